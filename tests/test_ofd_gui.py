"""The window opens an OFD like a PDF (pytest-qt, offscreen): page 1 is shown with its seal, the thumbnails
list the pages, zoom works, keyword mode highlights OFD text; a damaged OFD gives a message, not a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QMimeData, QPointF, QUrl  # noqa: E402
from PySide6.QtGui import QDropEvent, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.document import OfdViewDocument  # noqa: E402
from app.gui.main_window import MainWindow, Mode  # noqa: E402
from app.gui.render import dpi_key  # noqa: E402
from app.gui.resources import Languages, register_cjk_font  # noqa: E402

INTEROP = Path(__file__).parent / "data" / "interop"


@pytest.fixture
def window(qtbot, demo_app):
    register_cjk_font(QApplication.instance())
    languages = Languages(QApplication.instance())
    languages.apply("en")
    win = MainWindow(demo_app, languages, watch=False)
    win.resize(1200, 900)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    languages.clear()


def _wait_rendered(qtbot, window: MainWindow, page: int) -> QImage:
    view = window.page_view

    def done() -> bool:
        return view.renderer.cache.get((view.renderer.serial, page, dpi_key(view._dpi()))) is not None

    qtbot.waitUntil(done, timeout=20_000)
    QApplication.processEvents()
    return view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def _reds(image: QImage, rect) -> int:
    count = 0
    for y in range(max(0, int(rect.top())), min(image.height(), int(rect.bottom())), 2):
        for x in range(max(0, int(rect.left())), min(image.width(), int(rect.right())), 2):
            c = image.pixelColor(x, y)
            count += c.red() > 180 and c.green() < 110 and c.blue() < 110
    return count


def test_open_an_ofd_and_see_page_one_with_its_seal(qtbot, window: MainWindow, tmp_path: Path):
    source = shutil.copy(INTEROP / "keyword.ofd", tmp_path / "证明.ofd")
    assert window.open_path(source)
    assert isinstance(window.document, OfdViewDocument)
    assert window.thumbnails.model().rowCount() == 1
    window.page_view.fit_page()
    image = _wait_rendered(qtbot, window, 0)
    image.save(str(tmp_path / "ofd-view.png"))  # both pictures looked at while writing this test
    window.grab().save(str(tmp_path / "ofd-window.png"))
    # the signature's StampAnnot (90,110 42×42 mm) shows the seal's red ring where the view puts it
    top_left = window.page_view.mm_to_viewport(0, 90, 110)
    bottom_right = window.page_view.mm_to_viewport(0, 132, 152)
    from PySide6.QtCore import QRectF

    assert _reds(image, QRectF(top_left, bottom_right)) > 50
    # the page itself is the certificate's pink paper, not blank
    centre = window.page_view.mm_to_viewport(0, 20, 20)
    colour = image.pixelColor(int(centre.x()), int(centre.y()))
    assert (colour.red(), colour.green(), colour.blue()) != (255, 255, 255)
    assert "证明.ofd" in window.windowTitle()


def test_keyword_mode_and_zoom_on_an_ofd(qtbot, window: MainWindow, tmp_path: Path):
    window.open_path(shutil.copy(INTEROP / "keyword2.ofd", tmp_path / "k.ofd"))
    assert window.thumbnails.model().rowCount() == 2
    window.set_mode(Mode.KEYWORD)
    window.keyword_edit.setText("马上融资")
    assert [h.page for h in window._hits] == [0, 1]
    window.page_view.set_zoom(200)
    assert window.page_view.zoom() == pytest.approx(200)
    _wait_rendered(qtbot, window, window.page_view.current_page())


def test_drop_accepts_ofd_and_a_damaged_ofd_gives_a_message(qtbot, window: MainWindow, tmp_path: Path, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(window, "show_message", lambda icon, title, text: shown.append(text))
    bad = tmp_path / "bad.ofd"
    bad.write_text("not a zip")
    assert not window.open_path(bad)
    assert shown and "bad.ofd" in shown[0] and "OFD" in shown[0]
    good = shutil.copy(INTEROP / "helloworld.ofd", tmp_path / "hello.ofd")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(good))])
    from PySide6.QtCore import Qt

    event = QDropEvent(QPointF(10, 10), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    assert window.document_path == Path(good)

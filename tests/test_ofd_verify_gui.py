"""Opening a signed OFD shows its signatures in the 验章 panel like a PDF's (pytest-qt, offscreen): the
rows, the details with the files changed after signing, and the marks beside the stamps on the page."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from ofd_documents import minimal_parts  # noqa: E402
from ofd_sign_helpers import SealHolder, sign_parts, write_parts  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app import i18n  # noqa: E402
from app.core import truststore  # noqa: E402
from app.core.application import VerificationStatus  # noqa: E402
from app.core.report import FINDING_TEXT, Finding  # noqa: E402
from app.gui.main_window import MainWindow  # noqa: E402
from app.gui.resources import Languages, register_cjk_font  # noqa: E402


@pytest.fixture
def holder() -> SealHolder:
    return SealHolder.create()


@pytest.fixture
def window(qtbot, demo_app, holder: SealHolder, tmp_path: Path, monkeypatch):
    trust = tmp_path / "trust"
    trust.mkdir()
    (trust / "root.der").write_bytes(holder.root_der)
    monkeypatch.setattr(truststore, "trust_dir", lambda: trust)
    register_cjk_font(QApplication.instance())
    languages = Languages(QApplication.instance())
    languages.apply("en")
    win = MainWindow(demo_app, languages, watch=False)
    win.resize(1300, 900)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    languages.clear()


def _open_and_verify(qtbot, window: MainWindow, path: Path):
    with qtbot.waitSignal(window.verify_panel.verificationFinished, timeout=60_000) as blocker:
        assert window.open_path(path)
    return blocker.args[0]


def test_a_signed_ofd_shows_its_signatures(qtbot, window: MainWindow, holder: SealHolder, tmp_path: Path):
    two = sign_parts(sign_parts(minimal_parts(), holder), holder, boundary="120 200 40 40")
    report = _open_and_verify(qtbot, window, write_parts(tmp_path / "合同.ofd", two))
    panel = window.verify_panel
    assert report.status is VerificationStatus.VALID and panel.list.count() == 2
    valid = i18n.translate("report", FINDING_TEXT[Finding.VALID])
    assert all(valid in panel.list.item(i).text() and "测试单位公章" in panel.list.item(i).text() for i in range(2))
    assert sorted(report.marks()) == [(0, (50.0, 50.0, 40.0, 40.0), "valid"), (0, (120.0, 200.0, 40.0, 40.0), "valid")]
    window.page_view.fit_page()
    QApplication.processEvents()
    qtbot.wait(300)
    window.grab().save(str(tmp_path / "ofd-verify-valid.png"))  # looked at while writing this test


def test_a_changed_ofd_is_red_with_the_files_named(qtbot, window: MainWindow, holder: SealHolder, tmp_path: Path):
    parts = sign_parts(minimal_parts(), holder)
    parts["Doc_0/Pages/Page_0/Content.xml"] = parts["Doc_0/Pages/Page_0/Content.xml"].replace(
        "骑缝章测试".encode(), "改过的文字".encode()
    )
    report = _open_and_verify(qtbot, window, write_parts(tmp_path / "改过.ofd", parts))
    panel = window.verify_panel
    assert report.status is VerificationStatus.INVALID and report.marks()[0][2] == "invalid"
    broken = i18n.translate("report", FINDING_TEXT[Finding.BROKEN])
    assert broken in panel.list.item(0).text()
    panel.list.setCurrentRow(0)
    assert "changed after signing: Doc_0/Pages/Page_0/Content.xml" in panel.details.toPlainText()
    window.grab().save(str(tmp_path / "ofd-verify-changed.png"))

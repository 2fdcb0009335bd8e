"""The page view, driven like a user would (pytest-qt, offscreen): real PDFs, real rendering, the view's own
pixels, and app/core/placement.py as the independent judge of where a millimetre is on a PDF page."""

from __future__ import annotations

import time
from pathlib import Path

import pymupdf
import pytest
from documents import make_pdf
from pdf_helpers import seal_png
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtWidgets import QApplication

from app.core import placement
from app.core.document import EmptyField, open_document
from app.gui.page_view import GAP, MARGIN, PageView
from app.gui.render import dpi_key
from app.gui.thumbnails import ThumbnailList
from app.i18n import translate

PX_PER_MM = 96 / 25.4
SEAL_MM = (40.0, 40.0)


# --- helpers --------------------------------------------------------------------------------------
def marker_pdf(path: Path) -> tuple[Path, dict[int, tuple[float, float]]]:
    """Pages with a 6 pt red square drawn by a raw content stream at a known PDF user-space point, on
    pages with odd boxes: /Rotate 90, an offset /CropBox, /Rotate 270 + offset /CropBox, /Rotate 180.
    Returns the file and, per page, the square's centre in user space (points)."""
    doc = pymupdf.open()
    centres = {0: (150.0, 600.0), 1: (300.0, 400.0), 2: (220.0, 350.0), 3: (400.0, 700.0), 4: (120.0, 160.0)}
    boxes = {1: None, 2: "[50 100 500 700]", 3: "[80 120 520 780]", 4: None}
    rotations = {1: 90, 2: 0, 3: 270, 4: 180}
    for index, (x, y) in centres.items():
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 72), f"page {index + 1}", fontsize=12)
        xref = doc.get_new_xref()
        doc.update_object(xref, "<<>>")
        doc.update_stream(xref, f"q 1 0 0 rg {x - 3} {y - 3} 6 6 re f Q".encode())
        contents = " ".join(f"{c} 0 R" for c in page.get_contents())
        doc.xref_set_key(page.xref, "Contents", f"[{contents} {xref} 0 R]")
        if boxes.get(index):
            doc.xref_set_key(page.xref, "CropBox", boxes[index])
        if rotations.get(index):
            doc.xref_set_key(page.xref, "Rotate", str(rotations[index]))
    doc.save(path)
    doc.close()
    return path, centres


def grab(view: PageView) -> QImage:
    QApplication.processEvents()
    return view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def colour_pixels(image: QImage, test, area=None) -> list[tuple[int, int]]:
    x0, y0, x1, y1 = area or (0, 0, image.width(), image.height())
    x0, y0 = max(0, int(x0)), max(0, int(y0))
    x1, y1 = min(image.width(), int(x1)), min(image.height(), int(y1))
    found = []
    for y in range(y0, y1):
        for x in range(x0, x1):
            c = image.pixelColor(x, y)
            if test(c.red(), c.green(), c.blue()):
                found.append((x, y))
    return found


def centroid(points: list[tuple[int, int]]) -> QPointF:
    assert points, "nothing of that colour in the view"
    return QPointF(sum(p[0] for p in points) / len(points) + 0.5, sum(p[1] for p in points) / len(points) + 0.5)


def is_red(r: int, g: int, b: int) -> bool:
    return r > 180 and g < 110 and b < 110


def wait_rendered(qtbot, view: PageView, pages) -> None:
    def done() -> bool:
        key = dpi_key(view._dpi())
        return all(view.renderer.cache.get((view.renderer.serial, p, key)) is not None for p in pages)

    qtbot.waitUntil(done, timeout=10_000)
    QApplication.processEvents()


@pytest.fixture
def view(qtbot):
    widget = PageView()
    qtbot.addWidget(widget)
    widget.resize(900, 1000)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    document = widget.document()
    widget.set_document(None)
    if document is not None:
        document.close()


def point(p: QPointF) -> QPoint:
    return QPoint(round(p.x()), round(p.y()))


# --- zoom, scroll -----------------------------------------------------------------------------------
def test_zoom_is_true_size_and_fits(qtbot, view: PageView, tmp_path: Path):
    view.set_document(open_document(make_pdf(tmp_path / "z.pdf", pages=4, rotations={2: 90})))
    a4_w_mm = 595.28 * 25.4 / 72
    assert view.zoom() == 100
    assert view.page_rect(0).width() == pytest.approx(a4_w_mm * PX_PER_MM, abs=0.5)  # 210 mm → 793.7 px
    with qtbot.waitSignal(view.zoomChanged) as zoomed:
        view.set_zoom(150)
    assert zoomed.args == [150.0]
    assert view.page_rect(0).width() == pytest.approx(a4_w_mm * PX_PER_MM * 1.5, abs=0.5)
    wait_rendered(qtbot, view, [0])
    # the image is rendered for this zoom: 150 % of 96 dpi (× devicePixelRatio)
    image = view.renderer.cache.get((view.renderer.serial, 0, dpi_key(144 * view.devicePixelRatioF())))
    assert image is not None and image.width() == pytest.approx(view.page_rect(0).width() * view.devicePixelRatioF(), abs=1.5)

    view.fit_width()  # the landscape page 3 is the widest
    vp = view.viewport().width()
    assert view.page_rect(2).width() == pytest.approx(vp - 2 * MARGIN, abs=1.5)
    view.fit_page()
    rect = view.page_rect(view.current_page())
    assert rect.height() <= view.viewport().height() - 2 * MARGIN + 1
    assert rect.top() >= 0 and rect.bottom() <= view.viewport().height()

    view.set_zoom(100)
    before = view.zoom()
    event = QWheelEvent(
        QPointF(400, 300), view.viewport().mapToGlobal(QPointF(400, 300)), QPoint(0, 0), QPoint(0, 120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    anchor = view.page_at(QPointF(400, 300))
    QApplication.sendEvent(view.viewport(), event)
    assert view.zoom() == pytest.approx(before * 1.1)
    after = view.page_at(QPointF(400, 300))  # the point under the mouse stays under the mouse
    assert after[0] == anchor[0] and after[1] == pytest.approx(anchor[1], abs=0.5)
    view.set_zoom(5000)
    assert view.zoom() == 800


def test_navigation_and_page_changed(qtbot, view: PageView, tmp_path: Path):
    view.set_document(open_document(make_pdf(tmp_path / "n.pdf", pages=8)))
    with qtbot.waitSignal(view.pageChanged) as changed:
        view.go_to_page(5)
    assert changed.args == [5] and view.current_page() == 5
    assert view.page_rect(5).top() == pytest.approx(GAP / 2, abs=1)
    wait_rendered(qtbot, view, [5])
    image = grab(view)
    assert colour_pixels(image, lambda r, g, b: r < 80 and g < 80 and b < 80, (0, 0, image.width(), 200))  # text
    with qtbot.waitSignal(view.pageChanged) as changed:
        view.scroll_area().verticalScrollBar().setValue(0)
    assert changed.args == [0]
    view.scroll_to(6, (100, 250, 10, 10))
    assert view.current_page() == 6
    centre = view.mm_to_viewport(6, 105, 255)
    assert centre.x() == pytest.approx(view.viewport().width() / 2, abs=2)
    assert centre.y() == pytest.approx(view.viewport().height() / 2, abs=2)


# --- placement: mm agree with placement.py, rotated and cropped pages --------------------------------
@pytest.mark.parametrize("page", [0, 1, 2, 3, 4])
def test_click_on_a_drawn_point_gives_its_pdf_position(qtbot, view: PageView, tmp_path: Path, page: int):
    """The red square drawn at a known user-space point: find it in the view's pixels, drop the seal
    there with the mouse, and placement.py must turn the emitted mm back into that point."""
    pdf, centres = marker_pdf(tmp_path / "m.pdf")
    view.set_document(open_document(pdf))
    view.set_zoom(100)
    geometry = placement.page_geometries(pdf)[page]
    expected_mm = placement.user_to_visible_mm(geometry, *centres[page])
    view.scroll_to(page, (expected_mm[0] - 1, expected_mm[1] - 1, 2, 2))  # bring it into sight
    wait_rendered(qtbot, view, [page])
    r = view.page_rect(page)
    square = centroid(colour_pixels(grab(view), is_red, (r.left(), r.top(), r.right(), r.bottom())))

    view.begin_placement(seal_png(), SEAL_MM)
    qtbot.mouseMove(view.viewport(), point(square))
    with qtbot.waitSignal(view.placementConfirmed) as dropped:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point(square))
    got_page, x_mm, y_mm = dropped.args
    assert got_page == page
    assert (x_mm, y_mm) == pytest.approx(expected_mm, abs=0.3)
    user = placement.visible_mm_to_user(geometry, x_mm, y_mm)
    assert user == pytest.approx(centres[page], abs=0.3 / placement.MM_PER_PT)
    assert view.placement() == (page, (x_mm, y_mm))


@pytest.mark.parametrize("page", [1, 3])
def test_seal_set_at_a_pdf_point_is_drawn_there_at_true_size(qtbot, view: PageView, tmp_path: Path, page: int):
    """The other way round: placement.py's mm of the red square → set_placement → the seal's pixels
    surround the square, and the seal is SEAL_MM wide on screen at 100 %."""
    pdf, centres = marker_pdf(tmp_path / "m.pdf")
    view.set_document(open_document(pdf))
    geometry = placement.page_geometries(pdf)[page]
    centre_mm = placement.user_to_visible_mm(geometry, *centres[page])
    view.scroll_to(page, (centre_mm[0] - 25, centre_mm[1] - 25, 50, 50))
    wait_rendered(qtbot, view, [page])
    r = view.page_rect(page)
    square = centroid(colour_pixels(grab(view), is_red, (r.left(), r.top(), r.right(), r.bottom())))
    view.begin_placement(seal_png(), SEAL_MM)
    view.set_placement(page, centre_mm)
    image = grab(view)
    size = SEAL_MM[0] * PX_PER_MM
    ring = colour_pixels(image, is_red, (square.x() - size, square.y() - size, square.x() + size, square.y() + size))
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    # true physical size at 100 %: seal_png's ring spans 196 of its 200 pixels
    assert max(xs) - min(xs) + 1 == pytest.approx(size * 196 / 200, abs=2)
    assert max(ys) - min(ys) + 1 == pytest.approx(size * 196 / 200, abs=2)
    assert (min(xs) + max(xs) + 1) / 2 == pytest.approx(square.x(), abs=1.5)
    assert (min(ys) + max(ys) + 1) / 2 == pytest.approx(square.y(), abs=1.5)


def test_seal_is_ink_over_the_text(qtbot, view: PageView, tmp_path: Path):
    """Text under the seal stays readable: dark text pixels remain dark inside the seal's ring."""
    from pdf_helpers import seal_png as ring_png

    view.set_document(open_document(make_pdf(tmp_path / "ink.pdf", pages=1)))
    wait_rendered(qtbot, view, [0])
    text_y = 100 * 25.4 / 72  # the Chinese body line's baseline, mm
    before = grab(view)
    r = view.page_rect(0)
    band = (r.left(), r.top() + (text_y - 5) * PX_PER_MM, r.right(), r.top() + text_y * PX_PER_MM + 2)
    dark_before = len(colour_pixels(before, lambda r_, g, b: r_ < 90 and g < 90 and b < 90, band))
    assert dark_before > 100
    view.begin_placement(ring_png(400, 400, ring=400), (200.0, 40.0))  # a solid red block over the line
    view.set_placement(0, (105.0, text_y))
    after = grab(view)
    dark_after = len(colour_pixels(after, lambda r_, g, b: r_ < 90 and g < 90 and b < 90, band))
    assert dark_after >= 0.8 * dark_before


def test_mouse_follow_drop_drag_nudge_enter_escape(qtbot, view: PageView, tmp_path: Path):
    view.set_document(open_document(make_pdf(tmp_path / "p.pdf", pages=2)))
    view.set_zoom(100)
    view.begin_placement(seal_png(), SEAL_MM)
    r = view.page_rect(0)
    target = QPoint(round(r.left() + 100 * PX_PER_MM), round(r.top() + 120 * PX_PER_MM))
    qtbot.mouseMove(view.viewport(), target)
    qtbot.waitUntil(lambda: view.placement() is not None)
    page, (x, y) = view.placement()  # follows the mouse before the drop
    assert page == 0 and (x, y) == pytest.approx((100, 120), abs=0.3)
    with qtbot.waitSignal(view.placementConfirmed) as dropped:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=target)
    assert dropped.args[0] == 0 and dropped.args[1:] == pytest.approx([100, 120], abs=0.3)
    x0, y0 = dropped.args[1:]

    # drag by 38 px right, 19 px down (10 mm, 5 mm at 100 %) — grabbing off-centre must not jump the seal
    grip = target + QPoint(10, -8)
    moves: list[list] = []
    view.placementMoved.connect(lambda *a: moves.append(list(a)))
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=grip)
    for step in range(1, 5):
        qtbot.mouseMove(view.viewport(), grip + QPoint(round(38 * step / 4), round(19 * step / 4)))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=grip + QPoint(38, 19))
    assert moves, "dragging emits placementMoved"
    assert moves[-1][0] == 0 and moves[-1][1:] == pytest.approx([x0 + 38 / PX_PER_MM, y0 + 19 / PX_PER_MM], abs=0.05)
    x1, y1 = moves[-1][1:]
    w_before = view.seal_rect().width()
    assert w_before == pytest.approx(SEAL_MM[0] * PX_PER_MM, abs=0.01)  # a drag never resizes

    view.setFocus()
    with qtbot.waitSignal(view.placementMoved) as nudged:
        qtbot.keyClick(view.viewport(), Qt.Key.Key_Right)
    assert nudged.args[1:] == pytest.approx([x1 + 0.5, y1], abs=1e-9)
    with qtbot.waitSignal(view.placementMoved) as nudged:
        qtbot.keyClick(view.viewport(), Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert nudged.args[1:] == pytest.approx([x1 + 0.5, y1 + 5], abs=1e-9)
    with qtbot.waitSignal(view.placementMoved) as nudged:
        qtbot.keyClick(view.viewport(), Qt.Key.Key_Up)
        qtbot.keyClick(view.viewport(), Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.placement() == (0, pytest.approx((x1 - 4.5, y1 + 4.5), abs=1e-9))
    assert view.seal_rect().width() == w_before
    with qtbot.waitSignal(view.placementConfirmed) as confirmed:
        qtbot.keyClick(view.viewport(), Qt.Key.Key_Return)
    assert confirmed.args[1:] == pytest.approx([x1 - 4.5, y1 + 4.5], abs=1e-9)
    with qtbot.waitSignal(view.placementCancelled):
        qtbot.keyClick(view.viewport(), Qt.Key.Key_Escape)
    assert view.placement() is None and view.seal_rect() is None


def test_escape_while_following_and_clicks_between_pages(qtbot, view: PageView, tmp_path: Path):
    view.set_document(open_document(make_pdf(tmp_path / "e.pdf", pages=2)))
    view.begin_placement(seal_png(), SEAL_MM)
    gap = QPoint(5, 5)  # the grey margin left of the page: not on a page
    fired: list = []
    view.placementConfirmed.connect(lambda *a: fired.append(a))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=gap)
    assert fired == [] and view.placement() is None
    with qtbot.waitSignal(view.placementCancelled):
        qtbot.keyClick(view.viewport(), Qt.Key.Key_Escape)
    # without a placement, arrows scroll the document again
    view.set_zoom(100)
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Down)
    assert view.scroll_area().verticalScrollBar().value() > 0
    with pytest.raises(ValueError):
        view.begin_placement(b"not a png", SEAL_MM)


def test_drag_carries_the_seal_onto_the_next_page(qtbot, view: PageView, tmp_path: Path):
    view.set_document(open_document(make_pdf(tmp_path / "d.pdf", pages=3)))
    view.set_zoom(50)
    view.begin_placement(seal_png(), SEAL_MM)
    view.set_placement(0, (100.0, 270.0))
    start = view.seal_rect().center()
    end = view.mm_to_viewport(1, 100.0, 20.0)
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=point(start))
    qtbot.mouseMove(view.viewport(), point(end))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=point(end))
    page, (x, y) = view.placement()
    assert page == 1 and (x, y) == pytest.approx((100, 20), abs=0.6)  # 1 px = 0.53 mm at 50 %


# --- overlays ---------------------------------------------------------------------------------------
def test_field_targets_and_marks_are_clickable(qtbot, view: PageView, tmp_path: Path):
    view.set_document(open_document(make_pdf(tmp_path / "f.pdf", pages=2)))
    view.set_zoom(100)
    view.set_field_targets([EmptyField("甲方", 0, (20.0, 150.0, 50.0, 20.0)), EmptyField("乙方", 1, (20, 20, 50, 20))])
    marks = [(0, (120.0, 30.0, 40.0, 40.0), "warning"), (0, (120.0, 120.0, 40.0, 40.0), "valid"),
             (0, (60.0, 200.0, 40.0, 40.0), "invalid")]  # fmt: skip
    view.set_marks(marks)
    wait_rendered(qtbot, view, [0])
    with qtbot.waitSignal(view.fieldClicked) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point(view.mm_to_viewport(0, 45, 160)))
    assert clicked.args == ["甲方"]

    image = grab(view)
    colours = {
        1: lambda r, g, b: r < 80 and 100 < g < 150 and b < 80,  # green ✔
        0: lambda r, g, b: r > 220 and 150 < g < 190 and b < 60,  # amber !
        2: lambda r, g, b: 170 < r < 220 and g < 60 and b < 60,  # red ✘
    }
    for index, test in colours.items():
        page, (x, y, w, h), _ = marks[index]
        near = view.mm_to_viewport(page, x + w, y)  # beside the seal's top-right corner
        pixels = colour_pixels(image, test, (near.x() - 5, near.y() - 5, near.x() + 40, near.y() + 40))
        assert len(pixels) > 100, f"mark {index} not drawn"
        with qtbot.waitSignal(view.markClicked) as clicked:
            qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point(centroid(pixels)))
        assert clicked.args == [index]
    # a click on plain paper emits nothing
    with qtbot.assertNotEmitted(view.fieldClicked), qtbot.assertNotEmitted(view.markClicked):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point(view.mm_to_viewport(0, 150, 250)))


def test_keyword_highlights_cover_the_hits(qtbot, view: PageView, tmp_path: Path):
    pdf = make_pdf(tmp_path / "h.pdf", pages=2, rotations={1: 90}, keyword_at={0: (300, 400), 1: (200, 300)})
    document = open_document(pdf)
    view.set_document(document)
    hits = document.search("（盖章）")
    assert len(hits) == 2
    view.set_highlights(hits)
    for hit in hits:
        view.scroll_to(hit.page, hit.rect_mm)
        wait_rendered(qtbot, view, [hit.page])
        image = grab(view)
        x, y, w, h = hit.rect_mm
        tl, br = view.mm_to_viewport(hit.page, x, y), view.mm_to_viewport(hit.page, x + w, y + h)
        yellow = colour_pixels(image, lambda r, g, b: r > 200 and g > 170 and b < 140, (tl.x(), tl.y(), br.x(), br.y()))
        assert len(yellow) > 0.4 * (br.x() - tl.x()) * (br.y() - tl.y())
        outside = colour_pixels(image, lambda r, g, b: r > 200 and g > 170 and b < 140, (tl.x(), br.y() + 10, br.x(), br.y() + 40))
        assert outside == []
    view.set_highlights([])
    image = grab(view)
    assert colour_pixels(image, lambda r, g, b: r > 200 and g > 170 and b < 140, (tl.x(), tl.y(), br.x(), br.y())) == []


def test_cross_page_slice_preview_is_drawn(qtbot, view: PageView, tmp_path: Path):
    from app.core import appearance

    pdf = make_pdf(tmp_path / "s.pdf", pages=3)
    view.set_document(open_document(pdf))
    view.set_zoom(50)
    spots = placement.cross_page_spots(placement.page_geometries(pdf), [0, 1, 2], SEAL_MM)

    class Picture:
        type, data, width_mm, height_mm = "png", seal_png(300, 300), SEAL_MM[0], SEAL_MM[1]

    image = appearance.seal_image(Picture())
    slices = []
    for s in spots:
        part = appearance.image_for_spot(image, s.slice_index, s.slice_count)
        (left, top, right, bottom) = s.box_mm
        slices.append((s.page_index, (left, top, right - left, bottom - top), part.png))
    view.set_slice_preview(slices)
    view.go_to_page(1)
    wait_rendered(qtbot, view, [1])
    shot = grab(view)
    r = view.page_rect(1)
    right_strip = (r.right() - SEAL_MM[0] / 3 * PX_PER_MM * 0.5 - 2, r.top(), r.right(), r.bottom())
    assert len(colour_pixels(shot, is_red, right_strip)) > 20
    assert colour_pixels(shot, is_red, (r.left(), r.top(), r.right() - 14 * PX_PER_MM * 0.5, r.bottom())) == []


# --- thumbnails ---------------------------------------------------------------------------------------
def test_thumbnails_follow_and_drive_the_view(qtbot, view: PageView, tmp_path: Path):
    thumbs = ThumbnailList()
    qtbot.addWidget(thumbs)
    thumbs.resize(180, 600)
    thumbs.show()
    thumbs.bind(view)
    view.set_document(open_document(make_pdf(tmp_path / "t.pdf", pages=12)))
    model = thumbs.thumbnail_model()
    assert model.rowCount() == 12
    qtbot.waitUntil(lambda: model.is_rendered(0), timeout=10_000)
    assert not model.is_rendered(11)  # only what is in sight is rendered
    picture = model.data(model.index(0), Qt.ItemDataRole.DecorationRole)
    assert picture.width() == pytest.approx(120 * thumbs.devicePixelRatioF(), abs=1)
    image = picture.toImage()
    assert colour_pixels(image, lambda r, g, b: r < 200 and g < 200 and b < 200)  # the page's text, small
    rect = thumbs.visualRect(model.index(2))
    with qtbot.waitSignal(view.pageChanged) as changed:
        qtbot.mouseClick(thumbs.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert changed.args == [2] and view.current_page() == 2
    view.go_to_page(9)
    assert thumbs.currentIndex().row() == 9
    qtbot.waitUntil(lambda: model.is_rendered(9), timeout=10_000)
    view.set_document(None)
    assert model.rowCount() == 0


# --- responsiveness -----------------------------------------------------------------------------------
def test_scrolling_500_pages_never_blocks_the_gui_thread(qtbot, view: PageView, tmp_path: Path):
    from benchmarks.bench_gui import make_many_pages_pdf

    pdf = make_many_pages_pdf(tmp_path / "500.pdf", 500)
    opened = time.perf_counter()
    view.set_document(open_document(pdf))
    assert time.perf_counter() - opened < 2.0
    view.fit_width()
    lateness: list[float] = []
    last = [time.perf_counter()]
    probe = QTimer()
    probe.setInterval(10)

    def tick() -> None:
        now = time.perf_counter()
        lateness.append(now - last[0] - 0.010)
        last[0] = now

    probe.timeout.connect(tick)
    probe.start()
    bar = view.scroll_area().verticalScrollBar()
    rendered: set[int] = set()
    view.pageRendered.connect(rendered.add)
    started = time.perf_counter()
    while bar.value() < bar.maximum():  # a page per step, 50 pages a second: a fast flick through the file
        bar.setValue(bar.value() + bar.pageStep())
        qtbot.wait(20)
    qtbot.wait(300)
    probe.stop()
    assert time.perf_counter() - started < 120
    assert view.current_page() == 499
    assert len(lateness) > 100
    assert max(lateness) < 0.100, f"GUI thread blocked {max(lateness) * 1000:.0f} ms"
    assert 499 in rendered  # the end of the document was rendered
    assert view.renderer.cache.pixels <= view.renderer.cache.budget_pixels


def test_long_sessions_do_not_exhaust_none():
    """PySide6 6.12.0 dropped a reference to None on every void call, which aborts Python 3.11 within
    seconds ("none_dealloc"); the project pins a binding without that bug (docs/decisions.md). Guard:
    10,000 void calls leave None's reference count where it was."""
    import sys

    from PySide6.QtWidgets import QApplication, QScrollBar

    QApplication.instance() or QApplication([])
    bar = QScrollBar()
    before = sys.getrefcount(None)
    for value in range(10_000):
        bar.setValue(value % 50)
    assert abs(sys.getrefcount(None) - before) < 100


def test_high_dpi_screens_get_sharp_pages(tmp_path: Path):
    """With a device pixel ratio of 2 the pages are rendered at twice the dpi and drawn at the same
    logical size (so 100 % stays true size). Qt fixes the ratio at start-up: a fresh process."""
    import json
    import os
    import subprocess
    import sys

    pdf = make_pdf(tmp_path / "hidpi.pdf", pages=2)
    script = f"""
import json, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.core.document import open_document
from app.gui.page_view import PageView
from app.gui.render import dpi_key
view = PageView(); view.resize(900, 1000); view.show()
view.set_document(open_document({str(pdf)!r}))
key = (view.renderer.serial, 0, dpi_key(view._dpi()))
deadline = time.time() + 20
while view.renderer.cache.get(key) is None and time.time() < deadline:
    app.processEvents(); time.sleep(0.01)
image = view.renderer.cache.get(key)
shot = view.viewport().grab()
print(json.dumps({{"dpr": view.devicePixelRatioF(), "image_w": image.width(), "rect_w": view.page_rect(0).width(),
                   "shot_w": shot.width(), "viewport_w": view.viewport().width()}}))
"""
    env = dict(os.environ, QT_SCALE_FACTOR="2", QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(Path(__file__).parent.parent))
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True)
    facts = json.loads(out.stdout.strip().splitlines()[-1])
    assert facts["dpr"] == 2
    assert facts["rect_w"] == pytest.approx(595.28 * 96 / 72, abs=0.5)  # logical size: still true size
    assert facts["image_w"] == pytest.approx(2 * facts["rect_w"], abs=1.5)  # device pixels: twice as many
    assert facts["shot_w"] == 2 * facts["viewport_w"]


def test_home_end_and_a_following_seal_leaves_with_the_mouse(qtbot, view: PageView, tmp_path: Path):
    view.set_document(open_document(make_pdf(tmp_path / "he.pdf", pages=6)))
    view.setFocus()
    with qtbot.waitSignal(view.pageChanged) as changed:
        qtbot.keyClick(view.viewport(), Qt.Key.Key_End)
    assert changed.args == [5]
    with qtbot.waitSignal(view.pageChanged) as changed:
        qtbot.keyClick(view.viewport(), Qt.Key.Key_Home)
    assert changed.args == [0]
    view.begin_placement(seal_png(), SEAL_MM)
    qtbot.mouseMove(view.viewport(), point(view.mm_to_viewport(0, 100, 100)))
    qtbot.waitUntil(lambda: view.placement() is not None)
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))
    assert view.placement() is None and view.seal_rect() is None
    view.set_placement(0, (100.0, 100.0))  # once dropped, it stays when the mouse leaves
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))
    assert view.placement() == (0, (100.0, 100.0))


def test_thumbnails_evicted_from_the_cache_come_back(qtbot, view: PageView, tmp_path: Path):
    thumbs = ThumbnailList()
    qtbot.addWidget(thumbs)
    thumbs.resize(180, 400)
    thumbs.show()
    thumbs.bind(view)
    model = thumbs.thumbnail_model()
    view.set_document(open_document(make_pdf(tmp_path / "ev.pdf", pages=30)))
    qtbot.waitUntil(lambda: model.is_rendered(0), timeout=10_000)
    model.renderer.cache.clear()  # what the LRU does to pictures scrolled away long ago
    assert not model.is_rendered(0)
    thumbs.viewport().update()  # shown again → asked for again
    qtbot.waitUntil(lambda: model.is_rendered(0), timeout=10_000)


def test_a_page_too_large_to_render_says_so_instead_of_retrying(qtbot, view: PageView, tmp_path: Path):
    """A 5 m × 5 m page (PDF's largest) cannot be rendered at 100 %: the page shows the reason."""
    doc = pymupdf.open()
    doc.new_page(width=14400, height=14400)
    doc.new_page()
    doc.save(tmp_path / "huge.pdf")
    doc.close()
    view.set_document(open_document(tmp_path / "huge.pdf"))
    QApplication.processEvents()
    reasons = list(view._failed.values())
    assert len(reasons) == 1 and translate("errors", "the page cannot be shown this large") in reasons[0]
    view.viewport().repaint()
    QApplication.processEvents()
    with view.renderer._cond:
        assert all(page != 0 for _, page, _ in view.renderer._wanted)  # not asked for again
    view.set_zoom(5)  # small enough now
    wait_rendered(qtbot, view, [0])

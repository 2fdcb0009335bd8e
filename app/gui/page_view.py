"""The continuous page view: pages stacked vertically, zoom, seal placement at true size, overlays.

Geometry: a page of w × h visible mm is drawn w·s × h·s logical pixels, s = zoom/100 · 96/25.4, so
100 % is true physical size on a 96-dpi logical screen; the page images are rendered at
zoom/100 · 96 · devicePixelRatio dpi so they stay sharp on high-DPI screens. Every position the view
reports is in visible-page mm (placement.py's convention); the document (placement.py) converts to PDF.

Only the pages in sight (plus one ahead and behind) are rendered, on the Renderer's worker thread; a page
not ready yet shows a placeholder (or an older rendering, scaled) — so 500-page files scroll smoothly.

Run `python -m app.gui.page_view FILE.pdf` to look at a document (`--grab out.png` saves a picture).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QVBoxLayout, QWidget

from app.core.document import Document, EmptyField, TextHit

from .render import Renderer, dpi_key

MM_PER_INCH = 25.4
LOGICAL_DPI = 96.0
"""100 % zoom = true size on a 96-dpi logical screen (Qt's logical pixels)."""
MARGIN = 16
"""Logical pixels around the pages."""
GAP = 12
"""Logical pixels between pages."""
MIN_ZOOM, MAX_ZOOM = 10.0, 800.0
NUDGE_MM, NUDGE_SHIFT_MM = 0.5, 5.0
MARK_RADIUS = 11
"""Verification marks are drawn at a fixed screen size (logical pixels), whatever the zoom."""

MARK_COLOURS = {"valid": QColor("#2e7d32"), "warning": QColor("#f9a825"), "invalid": QColor("#c62828")}
MARK_GLYPHS = {"valid": "✔", "warning": "!", "invalid": "✘"}

RectMM = tuple[float, float, float, float]


class _Area(QAbstractScrollArea):
    """The scroll area; the PageView does the drawing and the event handling."""

    def __init__(self, view: PageView) -> None:
        super().__init__(view)
        self._view = view
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # always there: a scroll bar appearing would shift the pages sideways under the seal
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.viewport().setMouseTracking(True)
        self.viewport().setAutoFillBackground(False)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self.viewport())
        try:
            self._view._paint(painter, event.rect())
        finally:
            painter.end()

    def resizeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._view._on_resize()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        self.viewport().update()
        self._view._on_scroll()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            steps = event.angleDelta().y() / 120
            if steps:
                self._view._fit = None
                self._view._zoom_at(self._view.zoom() * (1.1**steps), event.position())
            event.accept()
            return
        super().wheelEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._view._mouse_move(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._view._mouse_press(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._view._mouse_release(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._view._key_press(event):
            super().keyPressEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Leave:
            self._view._mouse_left()
        return super().viewportEvent(event)


class PageView(QWidget):
    """Continuous vertical page view with its own scroll area (see the module docstring)."""

    pageChanged = Signal(int)  # noqa: N815 - Qt naming, the contract's
    zoomChanged = Signal(float)  # noqa: N815
    placementMoved = Signal(int, float, float)  # noqa: N815
    placementConfirmed = Signal(int, float, float)  # noqa: N815
    placementCancelled = Signal()  # noqa: N815
    fieldClicked = Signal(str)  # noqa: N815
    markClicked = Signal(int)  # noqa: N815
    documentChanged = Signal()  # noqa: N815 - extra: the thumbnail list follows it
    pageRendered = Signal(int)  # noqa: N815 - extra: a page's image arrived (tests, benchmarks)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._area = _Area(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._area)
        self.setFocusProxy(self._area)
        self.renderer = Renderer(parent=self)
        self.renderer.rendered.connect(self._on_rendered)
        self.renderer.failed.connect(self._on_failed)
        self._failed: dict[tuple[int, int], str] = {}
        """(page, dpi key) → why it cannot be rendered: shown on the page, not asked for again."""
        renderer = self.renderer  # a lambda, not the bound slot: the renderer (a child) may be gone first
        self.destroyed.connect(lambda *_: renderer.shutdown())
        self._document: Document | None = None
        self._sizes_mm: list[tuple[float, float]] = []
        self._tops: list[float] = []
        self._content = QSize(0, 0)
        self._zoom = 100.0
        self._fit: str | None = None
        self._current = 0
        self._highlights: list[TextHit] = []
        self._slices: list[tuple[int, RectMM, QImage]] = []
        self._fields: list[EmptyField] = []
        self._marks: list[tuple[int, RectMM, str]] = []
        # placement: None (off), "following" (the seal follows the mouse), "placed" (dropped, draggable)
        self._placing: str | None = None
        self._seal: QImage | None = None
        self._seal_mm = (0.0, 0.0)
        self._place: tuple[int, tuple[float, float]] | None = None
        self._drag_offset: QPointF | None = None
        self._request_timer = QTimer(self)
        self._request_timer.setSingleShot(True)
        self._request_timer.setInterval(0)
        self._request_timer.timeout.connect(self._request_visible)

    # --- public API (the contract) ---------------------------------------------------------------------
    def set_document(self, document: Document | None) -> None:
        """Show `document` (None: empty view). The caller keeps ownership (closes it)."""
        self.end_placement()
        self._highlights, self._slices, self._fields, self._marks = [], [], [], []
        self._failed = {}
        self._document = document
        self.renderer.set_document(document)
        self._sizes_mm = [document.page_size_mm(i) for i in range(document.page_count)] if document else []
        self._current = 0
        self._relayout()
        self._area.verticalScrollBar().setValue(0)
        if document is not None:  # the first page now, on this thread: no blank first paint
            self.renderer.render_now(0, self._dpi())
        self._area.viewport().update()
        self._schedule()
        self.documentChanged.emit()
        self.pageChanged.emit(0)

    def document(self) -> Document | None:
        return self._document

    def viewport(self) -> QWidget:
        """The widget the pages are drawn on (mouse events go here)."""
        return self._area.viewport()

    def scroll_area(self) -> QAbstractScrollArea:
        return self._area

    def zoom(self) -> float:
        return self._zoom

    def set_zoom(self, percent: float) -> None:
        """Zoom to `percent` (100 = true size), keeping the centre of the view in place."""
        self._fit = None
        self._zoom_at(percent, QPointF(self._area.viewport().rect().center()))

    def fit_width(self) -> None:
        """Zoom so the widest page fills the width; stays so when the window is resized."""
        self._fit = "width"
        self._apply_fit()

    def fit_page(self) -> None:
        """Zoom so the current page fits whole; stays so when the window is resized."""
        self._fit = "page"
        self._apply_fit()

    def current_page(self) -> int:
        return self._current

    def go_to_page(self, index: int) -> None:
        if not self._sizes_mm:
            return
        index = max(0, min(index, len(self._sizes_mm) - 1))
        self._area.verticalScrollBar().setValue(round(self._tops[index] - GAP / 2))
        self._update_current(force=index)

    def scroll_to(self, page: int, rect_mm: RectMM) -> None:
        """Bring the rectangle (x, y, w, h mm) on `page` to the middle of the view."""
        if not 0 <= page < len(self._sizes_mm):
            return
        target = self._page_rect_content(page)
        s = self._scale()
        cx = target.left() + (rect_mm[0] + rect_mm[2] / 2) * s
        cy = target.top() + (rect_mm[1] + rect_mm[3] / 2) * s
        vp = self._area.viewport().size()
        self._area.horizontalScrollBar().setValue(round(cx - vp.width() / 2))
        self._area.verticalScrollBar().setValue(round(cy - vp.height() / 2))
        self._update_current()

    def begin_placement(self, picture_png: bytes, size_mm: tuple[float, float]) -> None:
        """The seal picture follows the mouse at its true size; a click drops it."""
        image = QImage.fromData(picture_png)
        if image.isNull() or not (size_mm[0] > 0 and size_mm[1] > 0):
            raise ValueError("begin_placement needs a PNG picture and a positive size")
        self._seal, self._seal_mm = image, (float(size_mm[0]), float(size_mm[1]))
        self._placing, self._place, self._drag_offset = "following", None, None
        self._area.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self._area.setFocus(Qt.FocusReason.OtherFocusReason)
        self._area.viewport().update()

    def set_placement(self, page: int, center_mm: tuple[float, float]) -> None:
        """Drop (or move) the seal programmatically. Emits nothing (the caller knows where it put it)."""
        if self._seal is None or not 0 <= page < len(self._sizes_mm):
            return
        self._placing = "placed"
        self._place = (page, self._clamp(page, center_mm))
        self._area.viewport().unsetCursor()
        self._area.viewport().update()

    def placement(self) -> tuple[int, tuple[float, float]] | None:
        """Where the seal is (page, centre mm), or None when it is not on a page."""
        return self._place

    def end_placement(self) -> None:
        """Remove the seal from the view; emits nothing."""
        self._placing, self._seal, self._place, self._drag_offset = None, None, None, None
        self._area.viewport().unsetCursor()
        self._area.viewport().update()

    def set_highlights(self, hits: Sequence[TextHit]) -> None:
        self._highlights = list(hits)
        self._area.viewport().update()

    def set_slice_preview(self, slices: Sequence[tuple[int, RectMM, bytes]]) -> None:
        """Cross-page slices to preview: page, rect (x, y, w, h mm), the slice picture as PNG."""
        self._slices = [(page, rect, QImage.fromData(png)) for page, rect, png in slices]
        self._area.viewport().update()

    def set_field_targets(self, fields: Sequence[EmptyField]) -> None:
        self._fields = list(fields)
        self._area.viewport().update()

    def set_marks(self, marks: Sequence[tuple[int, RectMM, str]]) -> None:
        """Verification marks beside seals: page, the seal's rect (x, y, w, h mm), "valid"|"warning"|"invalid"."""
        self._marks = list(marks)
        self._area.viewport().update()

    # --- geometry --------------------------------------------------------------------------------------
    def _scale(self, zoom: float | None = None) -> float:
        """Logical pixels per mm."""
        return (self._zoom if zoom is None else zoom) / 100 * LOGICAL_DPI / MM_PER_INCH

    def _dpi(self) -> float:
        return self._zoom / 100 * LOGICAL_DPI * self.devicePixelRatioF()

    def _relayout(self) -> None:
        s = self._scale()
        tops, y = [], float(MARGIN)
        for _, h in self._sizes_mm:
            tops.append(y)
            y += h * s + GAP
        self._tops = tops
        width = max((w for w, _ in self._sizes_mm), default=0) * s + 2 * MARGIN
        height = (y - GAP + MARGIN) if tops else 0
        self._content = QSize(math.ceil(width), math.ceil(height))
        self._update_scrollbars()

    def _update_scrollbars(self) -> None:
        vp = self._area.viewport().size()
        hbar, vbar = self._area.horizontalScrollBar(), self._area.verticalScrollBar()
        hbar.setRange(0, max(0, self._content.width() - vp.width()))
        hbar.setPageStep(vp.width())
        hbar.setSingleStep(20)
        vbar.setRange(0, max(0, self._content.height() - vp.height()))
        vbar.setPageStep(vp.height())
        vbar.setSingleStep(40)

    def _page_rect_content(self, index: int) -> QRectF:
        s = self._scale()
        w, h = self._sizes_mm[index]
        total_w = max(self._content.width(), self._area.viewport().width())
        return QRectF((total_w - w * s) / 2, self._tops[index], w * s, h * s)

    def page_rect(self, index: int) -> QRectF:
        """Where page `index` is drawn, in viewport coordinates (logical pixels)."""
        r = self._page_rect_content(index)
        r.translate(-self._area.horizontalScrollBar().value(), -self._area.verticalScrollBar().value())
        return r

    def mm_to_viewport(self, page: int, x_mm: float, y_mm: float) -> QPointF:
        """A point in visible-page mm → viewport coordinates."""
        r, s = self.page_rect(page), self._scale()
        return QPointF(r.left() + x_mm * s, r.top() + y_mm * s)

    def _rect_mm_to_viewport(self, page: int, rect: RectMM) -> QRectF:
        p, s = self.mm_to_viewport(page, rect[0], rect[1]), self._scale()
        return QRectF(p.x(), p.y(), rect[2] * s, rect[3] * s)

    def _visible_range(self) -> range:
        if not self._tops:
            return range(0)
        vy = self._area.verticalScrollBar().value()
        height = self._area.viewport().height()
        s = self._scale()
        first = max(0, bisect.bisect_right(self._tops, vy) - 1)
        if first < len(self._tops) and self._tops[first] + self._sizes_mm[first][1] * s < vy:
            first += 1
        last = max(first, bisect.bisect_right(self._tops, vy + height) - 1)
        return range(first, min(last, len(self._tops) - 1) + 1)

    def page_at(self, pos: QPointF) -> tuple[int, tuple[float, float]] | None:
        """The page under a viewport point and the point in its visible mm, or None (between pages)."""
        s = self._scale()
        for index in self._visible_range():
            r = self.page_rect(index)
            if r.contains(pos):
                return index, ((pos.x() - r.left()) / s, (pos.y() - r.top()) / s)
        return None

    def _clamp(self, page: int, center: tuple[float, float]) -> tuple[float, float]:
        """The seal's centre stays on the page."""
        w, h = self._sizes_mm[page]
        return (min(max(center[0], 0.0), w), min(max(center[1], 0.0), h))

    # --- zoom ------------------------------------------------------------------------------------------
    def _zoom_at(self, percent: float, anchor: QPointF) -> None:
        """Zoom keeping the document point under `anchor` (viewport coordinates) where it is."""
        percent = min(max(float(percent), MIN_ZOOM), MAX_ZOOM)
        if percent == self._zoom and self._tops:
            return
        hit = self._anchor(anchor)
        self._zoom = percent
        self._relayout()
        if hit is not None:
            page, (x_mm, y_mm) = hit
            r, s = self._page_rect_content(page), self._scale()
            self._area.horizontalScrollBar().setValue(round(r.left() + x_mm * s - anchor.x()))
            self._area.verticalScrollBar().setValue(round(r.top() + y_mm * s - anchor.y()))
        self._area.viewport().update()
        self._schedule()
        self._update_current()
        self.zoomChanged.emit(self._zoom)

    def _anchor(self, pos: QPointF) -> tuple[int, tuple[float, float]] | None:
        """Like page_at, but between pages the nearest page (the anchor must survive a gap)."""
        if not self._tops:
            return None
        s = self._scale()
        y = pos.y() + self._area.verticalScrollBar().value()
        index = max(0, bisect.bisect_right(self._tops, y) - 1)
        r = self.page_rect(index)
        return index, ((pos.x() - r.left()) / s, (pos.y() - r.top()) / s)

    def _apply_fit(self) -> None:
        if not self._sizes_mm or self._fit is None:
            return
        vp = self._area.viewport().size()
        per_mm = LOGICAL_DPI / MM_PER_INCH / 100
        avail_w = vp.width() - 2 * MARGIN
        if self._fit == "width":
            widest = max(w for w, _ in self._sizes_mm)
            percent = avail_w / (widest * per_mm)
        else:
            w, h = self._sizes_mm[self._current]
            percent = min(avail_w / (w * per_mm), (vp.height() - 2 * MARGIN) / (h * per_mm))
        page = self._current
        fit = self._fit
        self._zoom_at(percent, QPointF(vp.width() / 2, 0))
        self._fit = fit
        if fit == "page":
            self.go_to_page(page)

    def _on_resize(self) -> None:
        self._update_scrollbars()
        if self._fit is not None:
            self._apply_fit()
        self._schedule()

    # --- rendering -------------------------------------------------------------------------------------
    def _schedule(self) -> None:
        self._request_timer.start()

    def _request_visible(self) -> None:
        if self._document is None:
            return
        visible = self._visible_range()
        if not visible:
            return
        dpi = self._dpi()
        pages = list(visible)
        pages += [p for p in (visible.stop, visible.start - 1) if 0 <= p < len(self._sizes_mm)]
        key = dpi_key(dpi)
        self.renderer.request([(p, dpi) for p in pages if (p, key) not in self._failed])

    def _on_rendered(self, serial: int, page: int, dpi: float) -> None:
        if serial != self.renderer.serial:
            return
        if page in self._visible_range():
            self._area.viewport().update(self.page_rect(page).toAlignedRect().adjusted(-2, -2, 2, 2))
        self.pageRendered.emit(page)

    def _on_failed(self, serial: int, page: int, message: str, dpi: float) -> None:
        if serial == self.renderer.serial:
            self._failed[(page, dpi_key(dpi))] = message
            self._area.viewport().update()

    def _on_scroll(self) -> None:
        self._schedule()
        self._update_current()

    def _update_current(self, force: int | None = None) -> None:
        if not self._tops:
            return
        if force is None:
            vy = self._area.verticalScrollBar().value()
            middle = vy + self._area.viewport().height() / 3
            force = max(0, bisect.bisect_right(self._tops, middle) - 1)
        if force != self._current:
            self._current = force
            self.pageChanged.emit(force)

    # --- painting --------------------------------------------------------------------------------------
    def _paint(self, painter: QPainter, clip: object) -> None:
        painter.fillRect(self._area.viewport().rect(), QColor("#5f6368"))
        if self._document is None:
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        serial, key = self.renderer.serial, dpi_key(self._dpi())
        for index in self._visible_range():
            rect = self.page_rect(index)
            painter.fillRect(rect.translated(2, 2), QColor(0, 0, 0, 60))
            image = self.renderer.cache.get((serial, index, key)) or self.renderer.cache.best(serial, index)
            if image is not None:
                painter.drawImage(rect, image)
            else:
                painter.fillRect(rect, Qt.GlobalColor.white)
                painter.setPen(QColor("#9aa0a6"))
                failure = self._failed.get((index, key))
                text = failure or self.tr("Page %1").replace("%1", str(index + 1))
                flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
                painter.drawText(rect.adjusted(12, 12, -12, -12), flags, text)
        visible = set(self._visible_range())
        self._paint_highlights(painter, visible)
        self._paint_fields(painter, visible)
        self._paint_slices(painter, visible)
        self._paint_seal(painter)
        self._paint_marks(painter, visible)

    def _paint_highlights(self, painter: QPainter, visible: set[int]) -> None:
        painter.save()
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        for hit in self._highlights:
            if hit.page in visible:
                painter.fillRect(self._rect_mm_to_viewport(hit.page, hit.rect_mm), QColor(255, 225, 0, 140))
        painter.restore()

    def _paint_fields(self, painter: QPainter, visible: set[int]) -> None:
        painter.save()
        pen = QPen(QColor("#1a73e8"), 1.5, Qt.PenStyle.DashLine)
        font = QFont(painter.font())
        font.setPointSizeF(max(6.0, 8.0 * self._zoom / 100))
        painter.setFont(font)
        for field in self._fields:
            if field.page in visible:
                rect = self._rect_mm_to_viewport(field.page, field.rect_mm)
                painter.fillRect(rect, QColor(26, 115, 232, 40))
                painter.setPen(pen)
                painter.drawRect(rect)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.tr("Click to stamp here"))
        painter.restore()

    def _paint_slices(self, painter: QPainter, visible: set[int]) -> None:
        painter.save()
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        for page, rect_mm, image in self._slices:
            if page in visible and not image.isNull():
                painter.drawImage(self._rect_mm_to_viewport(page, rect_mm), image)
        painter.restore()

    def seal_rect(self) -> QRectF | None:
        """Where the seal is drawn (viewport coordinates), or None."""
        if self._seal is None or self._place is None:
            return None
        page, (cx, cy) = self._place
        w, h = self._seal_mm
        return self._rect_mm_to_viewport(page, (cx - w / 2, cy - h / 2, w, h))

    def _paint_seal(self, painter: QPainter) -> None:
        rect = self.seal_rect()
        if rect is None or self._seal is None:
            return
        painter.save()
        # ink: multiply keeps the text under the seal readable, as on paper
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_Multiply)
        painter.setOpacity(0.75 if self._placing == "following" else 0.95)
        painter.drawImage(rect, self._seal)
        painter.restore()
        if self._placing == "placed":
            painter.save()
            painter.setPen(QPen(QColor("#1a73e8"), 1, Qt.PenStyle.DotLine))
            painter.drawRect(rect)
            painter.restore()

    def _mark_centre(self, page: int, rect_mm: RectMM) -> QPointF:
        r = self._rect_mm_to_viewport(page, rect_mm)
        return QPointF(r.right() + MARK_RADIUS + 2, r.top() + MARK_RADIUS)

    def _paint_marks(self, painter: QPainter, visible: set[int]) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(painter.font())
        font.setPixelSize(MARK_RADIUS + 4)
        font.setBold(True)
        painter.setFont(font)
        for page, rect_mm, status in self._marks:
            if page not in visible:
                continue
            c = self._mark_centre(page, rect_mm)
            painter.setPen(QPen(Qt.GlobalColor.white, 2))
            painter.setBrush(QBrush(MARK_COLOURS.get(status, MARK_COLOURS["invalid"])))
            painter.drawEllipse(c, MARK_RADIUS, MARK_RADIUS)
            box = QRectF(c.x() - MARK_RADIUS, c.y() - MARK_RADIUS, 2 * MARK_RADIUS, 2 * MARK_RADIUS)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, MARK_GLYPHS.get(status, "✘"))
        painter.restore()

    # --- mouse and keys --------------------------------------------------------------------------------
    def _mark_at(self, pos: QPointF) -> int | None:
        for index, (page, rect_mm, _) in enumerate(self._marks):
            if 0 <= page < len(self._sizes_mm):
                c = self._mark_centre(page, rect_mm)
                if math.hypot(pos.x() - c.x(), pos.y() - c.y()) <= MARK_RADIUS + 1:
                    return index
        return None

    def _field_at(self, pos: QPointF) -> EmptyField | None:
        for field in self._fields:
            if 0 <= field.page < len(self._sizes_mm) and self._rect_mm_to_viewport(field.page, field.rect_mm).contains(pos):
                return field
        return None

    def _mouse_move(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._placing == "following":
            hit = self.page_at(pos)
            if hit is not None:
                self._place = (hit[0], hit[1])
            self._area.viewport().update()
            return
        if self._placing == "placed" and self._drag_offset is not None and self._place is not None:
            centre = pos - self._drag_offset
            hit = self.page_at(centre)
            if hit is None:  # between pages: stay on the page, at the edge
                page = self._place[0]
                r, s = self.page_rect(page), self._scale()
                hit = (page, ((centre.x() - r.left()) / s, (centre.y() - r.top()) / s))
            self._move_to(hit[0], hit[1])
            return
        over_seal = (r := self.seal_rect()) is not None and r.contains(pos)
        if over_seal:
            self._area.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif self._mark_at(pos) is not None or self._field_at(pos) is not None:
            self._area.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self._area.viewport().unsetCursor()

    def _mouse_left(self) -> None:
        """The mouse left the view: a seal that only follows the mouse leaves with it."""
        if self._placing == "following" and self._place is not None:
            self._place = None
            self._area.viewport().update()

    def _move_to(self, page: int, centre: tuple[float, float]) -> None:
        self._place = (page, self._clamp(page, centre))
        self._area.viewport().update()
        self.placementMoved.emit(page, *self._place[1])

    def _mouse_press(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        if self._placing == "following":
            hit = self.page_at(pos)
            if hit is not None:
                self._placing = "placed"
                self._place = (hit[0], self._clamp(hit[0], hit[1]))
                self._area.viewport().unsetCursor()
                self._area.viewport().update()
                self.placementConfirmed.emit(self._place[0], *self._place[1])
            return
        rect = self.seal_rect()
        if self._placing == "placed" and rect is not None and rect.contains(pos):
            self._drag_offset = pos - rect.center()
            self._area.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        mark = self._mark_at(pos)
        if mark is not None:
            self.markClicked.emit(mark)
            return
        field = self._field_at(pos)
        if field is not None:
            self.fieldClicked.emit(field.name)

    def _mouse_release(self, event: QMouseEvent) -> None:
        if self._drag_offset is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag_offset = None
            self._area.viewport().setCursor(Qt.CursorShape.OpenHandCursor)

    def _key_press(self, event: QKeyEvent) -> bool:
        """Placement keys; False lets the scroll area handle the key (arrows scroll then)."""
        key = event.key()
        if key in (Qt.Key.Key_Home, Qt.Key.Key_End) and self._placing != "placed":
            self.go_to_page(0 if key == Qt.Key.Key_Home else len(self._sizes_mm) - 1)
            return True
        if self._placing is None:
            return False
        if key == Qt.Key.Key_Escape:
            self.end_placement()
            self.placementCancelled.emit()
            return True
        if self._placing != "placed" or self._place is None:
            return False
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.placementConfirmed.emit(self._place[0], *self._place[1])
            return True
        step = NUDGE_SHIFT_MM if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else NUDGE_MM
        delta = {
            Qt.Key.Key_Left: (-step, 0.0),
            Qt.Key.Key_Right: (step, 0.0),
            Qt.Key.Key_Up: (0.0, -step),
            Qt.Key.Key_Down: (0.0, step),
        }.get(Qt.Key(key))
        if delta is None:
            return False
        page, (x, y) = self._place
        self._move_to(page, (x + delta[0], y + delta[1]))
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if not self._key_press(event):
            super().keyPressEvent(event)


def main(argv: list[str] | None = None) -> int:
    """Manual harness: show a document (`--grab PNG` saves a picture of the view and quits)."""
    import argparse
    import sys

    from PySide6.QtWidgets import QApplication

    from app.core.document import open_document

    parser = argparse.ArgumentParser(description="SealDesk page view")
    parser.add_argument("pdf")
    parser.add_argument("--zoom", type=float, default=None)
    parser.add_argument("--grab", default=None, help="save a PNG of the view and quit")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    document = open_document(args.pdf)
    view = PageView()
    view.resize(900, 1000)
    view.show()
    view.set_document(document)
    if args.zoom:
        view.set_zoom(args.zoom)
    else:
        view.fit_width()
    if args.grab:
        def grab() -> None:
            view.grab().save(args.grab)
            app.quit()

        QTimer.singleShot(1500, grab)
    code = app.exec()
    view.set_document(None)
    document.close()
    return code


if __name__ == "__main__":
    raise SystemExit(main())

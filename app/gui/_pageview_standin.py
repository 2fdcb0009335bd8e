"""THROW-AWAY STAND-IN — the integrator deletes this file when the "viewer" branch lands.

A minimal `PageView` and `open_document` following the GUI contract (app/gui/page_view.py and
app/core/document.py belong to the viewer engineer), just enough for the main window and its tests:
pages stacked vertically, rendered synchronously with PyMuPDF, the seal picture drawn at true size.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from app.core import placement as geo

MM_PER_INCH = 25.4
GAP_PX = 12


@dataclass(frozen=True)
class TextHit:
    page: int
    rect_mm: tuple[float, float, float, float]


@dataclass(frozen=True)
class RenderedPage:
    width: int
    height: int
    stride: int
    samples: bytes


@dataclass(frozen=True)
class EmptyField:
    name: str
    page: int
    rect_mm: tuple[float, float, float, float]


class _PdfDocument:
    def __init__(self, path: Path) -> None:
        import pymupdf

        self.path = path
        self._lock = threading.Lock()
        self._geometries = geo.page_geometries(path)
        self._doc = pymupdf.open(path)
        self.page_count = len(self._geometries)

    def page_size_mm(self, index: int) -> tuple[float, float]:
        return self._geometries[index].visible_size_mm

    def render(self, index: int, dpi: float) -> RenderedPage:
        with self._lock:
            pix = self._doc[index].get_pixmap(dpi=int(dpi), alpha=False)
        return RenderedPage(pix.width, pix.height, pix.stride, bytes(pix.samples))

    def search(self, text: str, pages: Sequence[int] | None = None) -> list[TextHit]:
        hits = geo.find_keyword(self.path, text, pages=pages)
        return [TextHit(h.page_index, (h.rect_mm[0], h.rect_mm[1], h.rect_mm[2] - h.rect_mm[0],
                                       h.rect_mm[3] - h.rect_mm[1])) for h in hits]

    def empty_signature_fields(self) -> list[EmptyField]:
        import pymupdf

        fields = []
        with self._lock:
            for page in self._doc:
                for widget in page.widgets(types=[pymupdf.PDF_WIDGET_TYPE_SIGNATURE]):
                    if not widget.field_value:
                        box = geo._unrotated_rect_to_visible_mm(self._geometries[page.number], tuple(widget.rect))
                        fields.append(EmptyField(widget.field_name, page.number,
                                                 (box[0], box[1], box[2] - box[0], box[3] - box[1])))
        return fields

    def close(self) -> None:
        self._doc.close()


def open_document(path: str | Path) -> _PdfDocument:
    return _PdfDocument(Path(path))


class _Canvas(QWidget):
    def __init__(self, view: PageView) -> None:
        super().__init__()
        self._view = view
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)

    def paintEvent(self, event) -> None:  # noqa: N802
        self._view._paint(self)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._view._mouse_move(event.position())

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._view._mouse_press(event.position())

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self._view._key(event):
            super().keyPressEvent(event)


class PageView(QWidget):
    pageChanged = Signal(int)
    zoomChanged = Signal(float)
    placementMoved = Signal(int, float, float)
    placementConfirmed = Signal(int, float, float)
    placementCancelled = Signal()
    fieldClicked = Signal(str)
    markClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._document = None
        self._zoom = 100.0
        self._pixmaps: dict[tuple[int, float], QPixmap] = {}
        self._picture: QPixmap | None = None
        self._size_mm = (0.0, 0.0)
        self._placing = False
        self._placement: tuple[int, tuple[float, float]] | None = None
        self._highlights: list = []
        self._slices: list = []
        self._fields: list = []
        self._marks: list = []
        self._canvas = _Canvas(self)
        self._scroll = QScrollArea()
        self._scroll.setWidget(self._canvas)
        self._scroll.setAlignment(Qt.AlignHCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._scroll)

    # geometry
    def _px_per_mm(self) -> float:
        return self._zoom / 100 * 96 / MM_PER_INCH

    def _page_rects(self) -> list[QRectF]:
        rects, y = [], GAP_PX
        if self._document is None:
            return rects
        k = self._px_per_mm()
        for i in range(self._document.page_count):
            w, h = self._document.page_size_mm(i)
            rects.append(QRectF(GAP_PX, y, w * k, h * k))
            y += h * k + GAP_PX
        return rects

    def _relayout(self) -> None:
        rects = self._page_rects()
        width = int(max((r.right() for r in rects), default=0) + GAP_PX)
        height = int((rects[-1].bottom() if rects else 0) + GAP_PX)
        self._canvas.resize(max(width, 10), max(height, 10))
        self._canvas.update()

    def _to_page(self, pos: QPointF) -> tuple[int, tuple[float, float]] | None:
        k = self._px_per_mm()
        for index, rect in enumerate(self._page_rects()):
            if rect.top() - GAP_PX / 2 <= pos.y() <= rect.bottom() + GAP_PX / 2:
                return index, ((pos.x() - rect.left()) / k, (pos.y() - rect.top()) / k)
        return None

    def _mm_rect(self, page: int, rect_mm: Sequence[float]) -> QRectF:
        base = self._page_rects()[page]
        k = self._px_per_mm()
        x, y, w, h = rect_mm
        return QRectF(base.left() + x * k, base.top() + y * k, w * k, h * k)

    # contract
    def set_document(self, document) -> None:
        self._document = document
        self._pixmaps.clear()
        self._placement = None
        self._highlights, self._slices, self._fields, self._marks = [], [], [], []
        self._relayout()

    def set_zoom(self, percent: float) -> None:
        self._zoom = max(10.0, min(800.0, percent))
        self._relayout()
        self.zoomChanged.emit(self._zoom)

    def fit_width(self) -> None:
        if self._document is not None:
            self.set_zoom(100 * (self._scroll.viewport().width() - 2 * GAP_PX)
                          / (self._document.page_size_mm(0)[0] * 96 / MM_PER_INCH))

    def fit_page(self) -> None:
        if self._document is not None:
            w, h = self._document.page_size_mm(self.current_page())
            vp = self._scroll.viewport()
            self.set_zoom(100 * min((vp.width() - 2 * GAP_PX) / (w * 96 / MM_PER_INCH),
                                    (vp.height() - 2 * GAP_PX) / (h * 96 / MM_PER_INCH)))

    def zoom(self) -> float:
        return self._zoom

    def current_page(self) -> int:
        top = self._scroll.verticalScrollBar().value()
        for index, rect in enumerate(self._page_rects()):
            if rect.bottom() > top:
                return index
        return 0

    def go_to_page(self, index: int) -> None:
        rects = self._page_rects()
        if 0 <= index < len(rects):
            self._scroll.verticalScrollBar().setValue(int(rects[index].top() - GAP_PX))
            self.pageChanged.emit(index)

    def scroll_to(self, page: int, rect_mm: tuple[float, float, float, float]) -> None:
        r = self._mm_rect(page, rect_mm)
        self._scroll.ensureVisible(int(r.center().x()), int(r.center().y()), int(r.width()), int(r.height()))

    def begin_placement(self, picture_png: bytes, size_mm: tuple[float, float]) -> None:
        image = QImage.fromData(picture_png, "PNG")
        self._picture = QPixmap.fromImage(image)
        self._size_mm = size_mm
        self._placing = True
        self._placement = None
        self._canvas.setFocus()
        self._canvas.update()

    def set_placement(self, page: int, center_mm: tuple[float, float]) -> None:
        self._placement = (page, (float(center_mm[0]), float(center_mm[1])))
        self._placing = False
        self._canvas.update()
        self.placementMoved.emit(page, self._placement[1][0], self._placement[1][1])

    def placement(self) -> tuple[int, tuple[float, float]] | None:
        return self._placement

    def end_placement(self) -> None:
        self._placing = False
        self._placement = None
        self._picture = None
        self._canvas.update()

    def set_highlights(self, hits) -> None:
        self._highlights = list(hits)
        self._canvas.update()

    def set_slice_preview(self, slices) -> None:
        self._slices = [(p, r, QPixmap.fromImage(QImage.fromData(png, "PNG"))) for p, r, png in slices]
        self._canvas.update()

    def set_field_targets(self, fields) -> None:
        self._fields = list(fields)
        self._canvas.update()

    def set_marks(self, marks) -> None:
        self._marks = list(marks)
        self._canvas.update()

    # events
    def _mouse_move(self, pos: QPointF) -> None:
        if self._placing and self._picture is not None:
            where = self._to_page(pos)
            if where is not None:
                self._placement = where
                self._canvas.update()
                self.placementMoved.emit(where[0], *where[1])

    def _mouse_press(self, pos: QPointF) -> None:
        where = self._to_page(pos)
        if where is None:
            return
        page, (x, y) = where
        for f in self._fields:
            fx, fy, fw, fh = f.rect_mm
            if f.page == page and fx <= x <= fx + fw and fy <= y <= fy + fh:
                self.fieldClicked.emit(f.name)
                return
        if self._picture is not None:
            self._placement = where
            self._placing = False
            self._canvas.update()
            self.placementConfirmed.emit(page, x, y)

    def _key(self, event: QKeyEvent) -> bool:
        if self._picture is None:
            return False
        if event.key() == Qt.Key_Escape:
            self.end_placement()
            self.placementCancelled.emit()
            return True
        if self._placement is None:
            return False
        page, (x, y) = self._placement
        step = 5.0 if event.modifiers() & Qt.ShiftModifier else 0.5
        moves = {Qt.Key_Left: (-step, 0), Qt.Key_Right: (step, 0), Qt.Key_Up: (0, -step), Qt.Key_Down: (0, step)}
        if event.key() in moves:
            dx, dy = moves[event.key()]
            self.set_placement(page, (x + dx, y + dy))
            return True
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self.placementConfirmed.emit(page, x, y)
            return True
        return False

    def _pixmap(self, index: int) -> QPixmap:
        dpi = 96 * self._zoom / 100 * self.devicePixelRatioF()
        key = (index, round(dpi, 1))
        if key not in self._pixmaps:
            page = self._document.render(index, dpi)
            image = QImage(page.samples, page.width, page.height, page.stride, QImage.Format_RGB888).copy()
            self._pixmaps[key] = QPixmap.fromImage(image)
        return self._pixmaps[key]

    def _paint(self, canvas: QWidget) -> None:
        painter = QPainter(canvas)
        painter.fillRect(canvas.rect(), QColor("#6b6f76"))
        if self._document is None:
            return
        visible = canvas.visibleRegion().boundingRect()
        for index, rect in enumerate(self._page_rects()):
            if rect.bottom() < visible.top() or rect.top() > visible.bottom():
                continue
            painter.drawPixmap(rect, self._pixmap(index), QRectF(self._pixmap(index).rect()))
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(255, 220, 0, 110))
        for hit in self._highlights:
            painter.drawRect(self._mm_rect(hit.page, hit.rect_mm))
        painter.setBrush(Qt.NoBrush)
        painter.setPen(QPen(QColor("#1565c0"), 2, Qt.DashLine))
        for f in self._fields:
            painter.drawRect(self._mm_rect(f.page, f.rect_mm))
        for page, rect_mm, pixmap in self._slices:
            painter.drawPixmap(self._mm_rect(page, rect_mm), pixmap, QRectF(pixmap.rect()))
        if self._picture is not None and self._placement is not None:
            page, (x, y) = self._placement
            w, h = self._size_mm
            painter.setOpacity(0.85)
            painter.drawPixmap(self._mm_rect(page, (x - w / 2, y - h / 2, w, h)), self._picture,
                               QRectF(self._picture.rect()))

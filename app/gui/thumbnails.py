"""Page thumbnails beside the page view: click one to go there; the current page stays selected.

The list asks for a thumbnail only when Qt asks for an item's picture (so only visible rows are rendered)
and renders on its own Renderer thread with a small cache; a grey placeholder stands in until then.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QSizePolicy, QWidget

from app.core.document import Document

from .page_view import PageView
from .render import PageCache, Renderer, dpi_key

THUMB_WIDTH = 120
"""Logical pixels: the width of every thumbnail (heights follow the pages' proportions)."""

ModelIndex = QModelIndex | QPersistentModelIndex
WANTED = 16
"""At most this many thumbnails wait for rendering (a long list scrolled fast asks for many)."""


class ThumbnailModel(QAbstractListModel):
    """One row per page: the page number and, once rendered, its picture."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.renderer = Renderer(PageCache(budget_pixels=8_000_000), parent=self)
        self.renderer.rendered.connect(self._on_rendered)
        self._document: Document | None = None
        self._sizes: list[tuple[float, float]] = []
        self._dpr = 1.0
        self._wanted: list[int] = []
        """Pages Qt asked pictures for that are not rendered yet, most recent first."""

    def set_document(self, document: Document | None, dpr: float = 1.0) -> None:
        self.beginResetModel()
        self._document, self._dpr, self._wanted = document, dpr, []
        self.renderer.set_document(document)
        self._sizes = [document.page_size_mm(i) for i in range(document.page_count)] if document else []
        self.endResetModel()

    def dpi(self, page: int) -> float:
        """The resolution that makes the page THUMB_WIDTH logical pixels wide."""
        return THUMB_WIDTH * self._dpr / (self._sizes[page][0] / 25.4)

    def thumb_size(self, page: int) -> QSize:
        w, h = self._sizes[page]
        return QSize(THUMB_WIDTH, max(1, round(THUMB_WIDTH * h / w)))

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._sizes)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._sizes):
            return None
        page = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return str(page + 1)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._picture(page)
        if role == Qt.ItemDataRole.SizeHintRole:
            return self.thumb_size(page) + QSize(16, 28)
        return None

    def _picture(self, page: int) -> QPixmap:
        image = self.renderer.cache.get((self.renderer.serial, page, dpi_key(self.dpi(page))))
        if image is not None:
            pixmap = QPixmap.fromImage(image)
            painter = QPainter(pixmap)  # a thin frame: white pages on a white list need an edge
            painter.setPen(QColor("#9aa0a6"))
            painter.drawRect(0, 0, pixmap.width() - 1, pixmap.height() - 1)
            painter.end()
            pixmap.setDevicePixelRatio(self._dpr)
            return pixmap
        # the rows Qt paints now are the ones in sight: they go first; older wishes drop off the end
        self._wanted = [page] + [p for p in self._wanted if p != page and not self.is_rendered(p)][:WANTED - 1]
        self.renderer.request([(p, self.dpi(p)) for p in self._wanted])
        size = self.thumb_size(page)
        placeholder = QPixmap(size)
        placeholder.fill(QColor("#f1f3f4"))
        painter = QPainter(placeholder)
        painter.setPen(QColor("#dadce0"))
        painter.drawRect(0, 0, size.width() - 1, size.height() - 1)
        painter.end()
        return placeholder

    def _on_rendered(self, serial: int, page: int, dpi: float) -> None:
        if serial == self.renderer.serial and 0 <= page < len(self._sizes):
            index = self.index(page)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def is_rendered(self, page: int) -> bool:
        return self.renderer.cache.peek((self.renderer.serial, page, dpi_key(self.dpi(page))))


class ThumbnailList(QListView):
    """Thumbnails of the PageView's document; follows its current page, a click goes to the page."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = ThumbnailModel(self)
        self.setModel(self._model)
        self._view: PageView | None = None
        self.setViewMode(QListView.ViewMode.IconMode)  # the page number under its picture
        self.setFlow(QListView.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(QSize(THUMB_WIDTH, round(THUMB_WIDTH * 1.5)))
        self.setSpacing(4)
        self.setUniformItemSizes(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(THUMB_WIDTH + 40)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        renderer = self._model.renderer  # see PageView: the lambda outlives the child objects
        self.destroyed.connect(lambda *_: renderer.shutdown())
        self.clicked.connect(self._on_clicked)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(THUMB_WIDTH + 48, 400)

    def thumbnail_model(self) -> ThumbnailModel:
        return self._model

    def bind(self, page_view: PageView) -> None:
        """Show `page_view`'s document and keep in step with it (both ways)."""
        if self._view is not None:
            self._view.documentChanged.disconnect(self._on_document)
            self._view.pageChanged.disconnect(self._on_page)
        self._view = page_view
        page_view.documentChanged.connect(self._on_document)
        page_view.pageChanged.connect(self._on_page)
        self._on_document()

    def _on_document(self) -> None:
        document = self._view.document() if self._view is not None else None
        self._model.set_document(document, self.devicePixelRatioF())
        if document is not None:
            self._on_page(self._view.current_page() if self._view else 0)

    def _on_page(self, page: int) -> None:
        if 0 <= page < self._model.rowCount():
            index = self._model.index(page)
            if self.currentIndex() != index:
                self.setCurrentIndex(index)
                self.scrollTo(index)

    def _on_clicked(self, index: QModelIndex) -> None:
        if self._view is not None and index.isValid():
            self._view.go_to_page(index.row())

"""Page rendering off the GUI thread, with an LRU cache counted in pixels.

One worker thread per `Renderer` renders what the view asks for, most wanted first; a new request list
replaces the old one (pages scrolled past are never rendered). Finished pages arrive on the GUI thread
through the `rendered` signal as QImages and stay in the cache until it is over budget. One thread is
enough: MuPDF serialises calls on a document anyway (see app/core/document.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from app.core import errors
from app.core.document import Document

CacheKey = tuple[int, int, int]
"""(document serial, page index, dpi × 10 rounded): one rendering."""


def dpi_key(dpi: float) -> int:
    """Renderings within 0.1 dpi are the same rendering."""
    return round(dpi * 10)


def to_qimage(width: int, height: int, stride: int, samples: bytes) -> QImage:
    """RGB888 samples → a QImage that owns its pixels.

    Not QImage(buffer, …): PySide6 releases the borrowed buffer from the image's destructor, which on a
    worker thread corrupts reference counts (seen as "deallocating None" aborts while scrolling).
    """
    image = QImage(width, height, QImage.Format.Format_RGB888)
    line = image.bytesPerLine()
    bits = image.bits()
    if line == stride:
        bits[: stride * height] = samples[: stride * height]
    else:
        row = width * 3
        source = memoryview(samples)
        for y in range(height):
            bits[y * line : y * line + row] = source[y * stride : y * stride + row]
    return image


class PageCache:
    """Least-recently-used QImages, evicted when their pixels exceed `budget_pixels`."""

    def __init__(self, budget_pixels: int = 48_000_000) -> None:
        self.budget_pixels = budget_pixels
        self._images: OrderedDict[CacheKey, QImage] = OrderedDict()
        self._pixels = 0
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> QImage | None:
        with self._lock:
            image = self._images.get(key)
            if image is not None:
                self._images.move_to_end(key)
            return image

    def peek(self, key: CacheKey) -> bool:
        """Whether the rendering is cached, without counting as a use (LRU order unchanged)."""
        with self._lock:
            return key in self._images

    def best(self, serial: int, page: int) -> QImage | None:
        """Any rendering of the page (the sharpest), to show scaled while the right one is made."""
        with self._lock:
            found = [(k[2], img) for k, img in self._images.items() if k[0] == serial and k[1] == page]
        return max(found, key=lambda item: item[0])[1] if found else None

    def put(self, key: CacheKey, image: QImage) -> None:
        with self._lock:
            old = self._images.pop(key, None)
            if old is not None:
                self._pixels -= old.width() * old.height()
            self._images[key] = image
            self._pixels += image.width() * image.height()
            while self._pixels > self.budget_pixels and len(self._images) > 1:
                _, dropped = self._images.popitem(last=False)
                self._pixels -= dropped.width() * dropped.height()

    def clear(self) -> None:
        with self._lock:
            self._images.clear()
            self._pixels = 0

    @property
    def pixels(self) -> int:
        return self._pixels

    def __len__(self) -> int:
        return len(self._images)


class Renderer(QObject):
    """Renders pages of the current document on a worker thread; results come back via `rendered`."""

    rendered = Signal(int, int, float)
    """document serial, page, dpi: the image is in `cache` now."""
    failed = Signal(int, int, str, float)
    """document serial, page, the user message of the error, dpi."""

    def __init__(self, cache: PageCache | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache = cache or PageCache()
        self._document: Document | None = None
        self._serial = 0
        self._wanted: list[tuple[int, int, float]] = []
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="sealdesk-render", daemon=True)
        self._thread.start()

    @property
    def serial(self) -> int:
        """Changes with every set_document, so late results for an old document are recognised."""
        return self._serial

    def set_document(self, document: Document | None) -> int:
        with self._cond:
            self._document = document
            self._serial += 1
            self._wanted = []
        self.cache.clear()
        return self._serial

    def request(self, pages: Sequence[tuple[int, float]]) -> None:
        """Render these (page, dpi) pairs, first first; replaces the previous request list."""
        with self._cond:
            self._wanted = [
                (self._serial, page, dpi)
                for page, dpi in pages
                if self.cache.get((self._serial, page, dpi_key(dpi))) is None
            ]
            self._cond.notify()

    def render_now(self, page: int, dpi: float) -> QImage | None:
        """Render on the calling thread (the first page of a freshly opened document: no round trip)."""
        with self._cond:
            document, serial = self._document, self._serial
        if document is None:
            return None
        image = self._render(document, serial, page, dpi)
        return image

    def _render(self, document: Document, serial: int, page: int, dpi: float) -> QImage | None:
        key = (serial, page, dpi_key(dpi))
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        try:
            result = document.render(page, dpi)
        except errors.SealDeskError as exc:
            from app.i18n import translate

            self.failed.emit(serial, page, exc.user_message(translate), dpi)
            return None
        image = to_qimage(result.width, result.height, result.stride, result.samples)
        if serial == self._serial:
            self.cache.put(key, image)
        return image

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._wanted and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                serial, page, dpi = self._wanted.pop(0)
                document = self._document if serial == self._serial else None
            if document is None:
                continue
            if self._render(document, serial, page, dpi) is not None and serial == self._serial:
                self.rendered.emit(serial, page, dpi)

    def shutdown(self) -> None:
        """Stop the worker (waits for the page being rendered)."""
        with self._cond:
            self._stop = True
            self._wanted = []
            self._cond.notify()
        self._thread.join(timeout=5)

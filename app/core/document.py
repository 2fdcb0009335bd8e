"""The format-neutral document the GUI shows (PDF or OFD): page sizes, rendering, text search, empty signature fields.

The GUI never touches PyMuPDF or app/core/ofd directly; it talks to a `Document`. Every
position is in visible-page millimetres (origin at the top-left of the page as displayed, inside the
CropBox, after /Rotate) — the conventions of `app/core/placement.py`, which owns every conversion; this
module only calls it.

PyMuPDF is used read-only, for rendering and search. MuPDF is not safe to call from several threads at
once, so one lock serialises every call on the handle: the GUI renders from a worker thread while the GUI
thread may search.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from . import errors, placement
from .i18n_marks import QT_TRANSLATE_NOOP

RectMM = tuple[float, float, float, float]
"""x, y, w, h in visible-page mm from the page's top-left corner."""


@dataclass(frozen=True)
class TextHit:
    """One text match: the page and the matched text's box."""

    page: int
    rect_mm: RectMM


@dataclass(frozen=True)
class RenderedPage:
    """A rendered page: RGB888 pixels, top-left origin, `stride` bytes per row."""

    width: int
    height: int
    stride: int
    samples: bytes


@dataclass(frozen=True)
class EmptyField:
    """An unsigned signature field: a target the user can click to stamp there."""

    name: str
    page: int
    rect_mm: RectMM


@runtime_checkable
class Document(Protocol):
    """What the GUI needs from an open document, whatever its format."""

    path: Path
    page_count: int

    def page_size_mm(self, index: int) -> tuple[float, float]:
        """Visible size (CropBox, rotation applied) of page `index` in mm."""
        ...

    def render(self, index: int, dpi: float) -> RenderedPage:
        """Page `index` as displayed, at `dpi`. Thread-safe."""
        ...

    def search(self, text: str, pages: Sequence[int] | None = None) -> list[TextHit]:
        """Every match of `text` (all pages when `pages` is None), in document order."""
        ...

    def empty_signature_fields(self) -> list[EmptyField]:
        """Signature fields nobody has signed yet."""
        ...

    def close(self) -> None:
        """Release the file; further calls are errors."""
        ...


BAND_PIXELS = 600_000
"""Pixels rendered per MuPDF call (a few milliseconds each): see PdfDocument._render_bands."""
MAX_RENDER_PIXELS = 60_000_000
"""Refuse renders bigger than this (about 180 MB of RGB): a huge zoom on a huge page would exhaust memory."""


def _box_to_rect(box: placement.Box) -> RectMM:
    return (box[0], box[1], box[2] - box[0], box[3] - box[1])


class PdfDocument:
    """A PDF opened read-only with PyMuPDF. Create it with `open_document`."""

    def __init__(self, path: Path, handle: Any, geometry: list[placement.PageGeometry] | None = None) -> None:
        self.path = path
        self._doc = handle
        self._lock = threading.RLock()
        self.page_count: int = handle.page_count
        # `geometry` given: the caller knows the pages already (an OFD's display copy), no walk of the page tree
        self._geometry = geometry if geometry is not None else placement.page_geometries(handle)

    def _check_page(self, index: int) -> placement.PageGeometry:
        if not isinstance(index, int) or not 0 <= index < self.page_count:
            raise errors.PageOutOfRange(page=index + 1 if isinstance(index, int) else index, count=self.page_count)
        return self._geometry[index]

    def geometry(self, index: int) -> placement.PageGeometry:
        """The page's boxes and rotation (for converting positions with placement.py)."""
        return self._check_page(index)

    def page_size_mm(self, index: int) -> tuple[float, float]:
        return self._check_page(index).visible_size_mm

    def render(self, index: int, dpi: float) -> RenderedPage:
        geometry = self._check_page(index)
        w_pt, h_pt = geometry.visible_size_pt
        if not dpi > 0 or w_pt * h_pt * (dpi / 72) ** 2 > MAX_RENDER_PIXELS:
            raise errors.InvalidArgument(what=QT_TRANSLATE_NOOP("errors", "the page cannot be shown this large"), detail=f"{dpi} dpi")
        with self._lock:
            self._require_open()
            try:
                return self._render_bands(index, w_pt, h_pt, dpi)
            except errors.SealDeskError:
                raise
            except Exception as exc:  # MuPDF reports broken content streams as RuntimeError and the like
                raise errors.DocumentDamaged(detail=f"page {index + 1}: {exc}", name=self.path.name) from exc

    def _render_bands(self, index: int, w_pt: float, h_pt: float, dpi: float) -> RenderedPage:
        """Render in horizontal bands of about BAND_PIXELS.

        PyMuPDF keeps the GIL while MuPDF rasterises; one call for a page at 400 % would stop the GUI
        thread for a quarter of a second. Between bands the GIL is handed over, so the GUI stays fluid.
        """
        import pymupdf

        # whole pixels exactly: MuPDF rounds a fractional page size outwards (on the left for /Rotate 180),
        # which would shift the picture by up to a pixel against the mm grid
        width, height = max(1, round(w_pt * dpi / 72)), max(1, round(h_pt * dpi / 72))
        sx, sy = width / w_pt, height / h_pt
        matrix = pymupdf.Matrix(sx, sy)
        page = self._doc[index]
        rows = max(16, BAND_PIXELS // width)
        if rows >= height:
            pix = page.get_pixmap(matrix=matrix, alpha=False)
            return RenderedPage(pix.width, pix.height, pix.stride, bytes(pix.samples))
        display = page.get_displaylist()  # the page's content parsed once, rasterised band by band
        x0, y0 = display.rect.x0, display.rect.y0
        parts: list[bytes] = []
        stride = width * 3
        for top in range(0, height, rows):
            bottom = min(height, top + rows)
            clip = pymupdf.Rect(x0, y0 + top / sy, x0 + w_pt, y0 + bottom / sy)
            pix = display.get_pixmap(matrix=matrix, alpha=False, clip=clip)
            if pix.width != width or pix.height != bottom - top:  # rounding disagreed: crop or pad
                band = bytearray(b"\xff" * (stride * (bottom - top)))
                for y in range(min(pix.height, bottom - top)):
                    line = pix.samples_mv[y * pix.stride : y * pix.stride + min(pix.width, width) * 3]
                    band[y * stride : y * stride + len(line)] = line
                parts.append(bytes(band))
            else:
                parts.append(bytes(pix.samples))
        return RenderedPage(width, height, stride, b"".join(parts))

    def search(self, text: str, pages: Sequence[int] | None = None) -> list[TextHit]:
        with self._lock:
            self._require_open()
            hits = placement.find_keyword(self._doc, text, pages=pages)
        return [TextHit(h.page_index, _box_to_rect(h.rect_mm)) for h in hits]

    def empty_signature_fields(self) -> list[EmptyField]:
        import pymupdf

        fields: list[EmptyField] = []
        with self._lock:
            self._require_open()
            doc = self._doc
            for index in range(self.page_count):
                page = doc[index]
                for widget in page.widgets(types=[pymupdf.PDF_WIDGET_TYPE_SIGNATURE]):
                    if self._is_signed(widget.xref):
                        continue
                    rect = self._raw_rect(widget.xref)
                    if rect is None:
                        continue
                    geometry = self._geometry[index]
                    xa, ya = placement.user_to_visible_mm(geometry, rect[0], rect[1])
                    xb, yb = placement.user_to_visible_mm(geometry, rect[2], rect[3])
                    box = (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))
                    fields.append(EmptyField(widget.field_name or "", index, _box_to_rect(box)))
        return fields

    def _is_signed(self, xref: int) -> bool:
        """A signature field is signed when it (or its parent field) has a /V value."""
        doc, seen = self._doc, set()
        while xref and xref not in seen:
            seen.add(xref)
            kind, _ = doc.xref_get_key(xref, "V")
            if kind not in ("null", ""):
                return True
            kind, parent = doc.xref_get_key(xref, "Parent")
            xref = int(parent.split()[0]) if kind == "xref" else 0
        return False

    def _raw_rect(self, xref: int) -> tuple[float, float, float, float] | None:
        """The widget's /Rect in PDF user space (PyMuPDF's own rect is in its page coordinates)."""
        kind, value = self._doc.xref_get_key(xref, "Rect")
        if kind != "array":
            return None
        try:
            numbers = [float(v) for v in value.strip("[] ").split()]
        except ValueError:
            return None
        return tuple(numbers) if len(numbers) == 4 else None  # type: ignore[return-value]

    def _require_open(self) -> None:
        if self._doc is None:
            raise errors.InvalidArgument(what=QT_TRANSLATE_NOOP("errors", "the document is closed"), detail=str(self.path))

    def close(self) -> None:
        with self._lock:
            if self._doc is not None:
                self._doc.close()
                self._doc = None

    def __enter__(self) -> PdfDocument:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class OfdViewDocument:
    """An OFD (GB/T 33190) opened read-only: the model from app/core/ofd, pages drawn into a display PDF
    that the PDF renderer shows. Create it with `open_document`.

    Positions are the OFD's own page mm (top-left origin, y down: the same as visible-page mm); OFD pages
    have no rotation or crop. `ofd` gives the signature code the parsed package.
    """

    def __init__(self, path: Path, ofd: Any) -> None:
        from .ofd.render import DisplayCopy

        self.path = path
        self.ofd = ofd
        self.page_count: int = len(ofd.pages)
        from .ofd.text import page_geometries

        self._copy = DisplayCopy(ofd)
        self._view = PdfDocument(path, self._copy.pdf, page_geometries(ofd))
        self._lock = self._view._lock  # one lock: building a page and rendering it both call MuPDF

    def _check_page(self, index: int) -> None:
        if not isinstance(index, int) or not 0 <= index < self.page_count:
            raise errors.PageOutOfRange(page=index + 1 if isinstance(index, int) else index, count=self.page_count)

    def page_size_mm(self, index: int) -> tuple[float, float]:
        self._check_page(index)
        return self.ofd.pages[index].size_mm

    def render(self, index: int, dpi: float) -> RenderedPage:
        self._check_page(index)
        with self._lock:
            self._view._require_open()
            self._copy.page(index)
            return self._view.render(index, dpi)

    def search(self, text: str, pages: Sequence[int] | None = None) -> list[TextHit]:
        from .ofd.text import find_keyword

        with self._lock:
            self._view._require_open()
            try:
                hits = find_keyword(self.ofd, text, pages=pages, advance=self._copy.advance)
            except errors.SealDeskError:
                raise
            except Exception as exc:  # a damaged text part: a typed error naming the file, never a traceback
                raise errors.OfdDamaged(f"search: {type(exc).__name__}: {exc}", name=self.path.name,
                                        problem=QT_TRANSLATE_NOOP("errors", "its structure is broken")) from exc
        return [TextHit(h.page_index, _box_to_rect(h.rect_mm)) for h in hits]

    def empty_signature_fields(self) -> list[EmptyField]:
        """OFD has no signature fields: seals are placed freely (StampAnnot boundaries)."""
        return []

    def close(self) -> None:
        with self._lock:
            if self._view._doc is not None:
                self._view.close()
                self.ofd.close()

    def __enter__(self) -> OfdViewDocument:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def is_ofd(path: Path) -> bool:
    """OFD by content (a zip) or, for unreadable headers, by the .ofd suffix."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
    except OSError:
        head = b""
    return head.startswith(b"PK") or path.suffix.lower() == ".ofd"


def open_document(path: str | Path) -> Document:
    """Open a document for viewing, read-only: PDF, or OFD (a zip package) by its content.

    Raises DocumentNotFound, DocumentDamaged (not a PDF, broken; OfdDamaged/OfdPartMissing/OfdUnsafe for
    OFD) or DocumentEncrypted.
    """
    import pymupdf

    path = Path(path)
    if not path.is_file():
        raise errors.DocumentNotFound(detail=str(path), name=str(path))
    if is_ofd(path):
        from .ofd import read_ofd

        ofd = read_ofd(path)
        try:
            return OfdViewDocument(path, ofd)
        except Exception:
            ofd.close()
            raise
    try:
        handle = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # FileDataError, RuntimeError, …
        raise errors.DocumentDamaged(detail=f"{type(exc).__name__}: {exc}", name=path.name) from exc
    try:
        if not handle.is_pdf or handle.page_count < 1:
            raise errors.DocumentDamaged(detail="not a PDF or no pages", name=path.name)
        if handle.needs_pass:
            raise errors.DocumentEncrypted(name=path.name)
        return PdfDocument(path, handle)
    except errors.SealDeskError:
        handle.close()
        raise
    except Exception as exc:
        handle.close()
        raise errors.DocumentDamaged(detail=f"{type(exc).__name__}: {exc}", name=path.name) from exc


__all__ = ["Document", "EmptyField", "OfdViewDocument", "PdfDocument", "RenderedPage", "TextHit", "open_document"]

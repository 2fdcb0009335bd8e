"""Where a seal goes on a PDF page: spot, page lists, keyword, cross-page (骑缝章) slices.

This module owns every unit and coordinate conversion of SealDesk; nothing else converts.

Two coordinate systems meet here:

* **Visible page millimetres** — what the user sees and types: origin at the top-left corner of the page
  *as displayed* (inside the CropBox, after the page's /Rotate), x to the right, y downwards.
* **PDF default user space** — what goes into an annotation's /Rect: points (1/72 inch), origin
  bottom-left of the coordinate system the MediaBox is expressed in, y upwards. The visible area is the
  CropBox (intersected with the MediaBox), which may be offset from the origin, and viewers turn it
  clockwise by /Rotate (0, 90, 180 or 270) for display.

Derivation (W, H = unrotated CropBox width and height in points; (cx0, cy0, cx1, cy1) = CropBox):
the unrotated top-left offset of a user-space point (x, y) is u = x - cx0, v = cy1 - y. Turning the
page clockwise by /Rotate maps (u, v) to the displayed (X, Y):

    0:   (u, v)          90: (H - v, u)          180: (W - u, H - v)          270: (v, W - u)

so on a /Rotate 90 page the displayed top-left corner is user space (cx0, cy0), the CropBox's
bottom-left corner. PyMuPDF's own "page coordinates" (search hits, drawings) are (u, v): unrotated,
relative to the top-left of the effective CropBox. Its `Page.transformation_matrix` ignores the CropBox
offset on rotated pages, so it is not used here.

/UserUnit (a PDF 1.6 scale factor, almost never set) is not honoured: a point is taken as 1/72 inch.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from . import errors
from .i18n_marks import QT_TRANSLATE_NOOP

MM_PER_PT = 25.4 / 72
"""Millimetres per PDF point (1 pt = 1/72 inch)."""

Box = tuple[float, float, float, float]
"""x0, y0, x1, y1 with x0 < x1 and y0 < y1."""

LETTER: Box = (0.0, 0.0, 612.0, 792.0)
"""What MuPDF (our preview) shows for a page without a usable /MediaBox."""

PdfSource = Any
"""A PDF as a path (str / os.PathLike), its bytes, or an open PyMuPDF document (left open)."""


def mm_to_pt(mm: float) -> float:
    """Millimetres → PDF points."""
    return mm / MM_PER_PT


def pt_to_mm(pt: float) -> float:
    """PDF points → millimetres."""
    return pt * MM_PER_PT


def _normalise_box(box: Sequence[float]) -> Box:
    if len(box) != 4:
        raise errors.InvalidArgument(what="a page box needs four numbers", detail=repr(box))
    x0, y0, x1, y1 = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x0, y0, x1, y1)):
        raise errors.InvalidArgument(what="a page box must be finite", detail=repr(box))
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _has_area(box: Box) -> bool:
    return box[2] > box[0] and box[3] > box[1]


def _intersect(a: Box, b: Box) -> Box:
    return (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))


def normalise_rotation(rotate: float) -> int:
    """/Rotate → 0, 90, 180 or 270.

    Negative and ≥ 360 values are taken modulo 360. The PDF spec requires a multiple of 90; for others
    we round to the nearest multiple (half up), which is what MuPDF, our preview renderer, displays.
    """
    quarter = math.floor(float(rotate) / 90 + 0.5)
    return int(quarter % 4) * 90


@dataclass(frozen=True)
class PageGeometry:
    """The boxes and rotation of one PDF page: everything needed to convert positions on it."""

    index: int
    """0-based page index."""
    mediabox: Box
    """x0, y0, x1, y1 in PDF user space (normalised so x0 < x1, y0 < y1)."""
    cropbox: Box = None  # type: ignore[assignment]
    """The visible area in user space: the /CropBox intersected with the MediaBox; the MediaBox when
    absent (pass None) or when the intersection is empty."""
    rotation: int = 0
    """Clockwise display rotation, normalised to 0, 90, 180 or 270."""

    def __post_init__(self) -> None:
        media = _normalise_box(self.mediabox)
        if not _has_area(media):
            raise errors.InvalidArgument(what="the page's MediaBox is empty", detail=repr(self.mediabox))
        crop = media if self.cropbox is None else _intersect(_normalise_box(self.cropbox), media)
        if not _has_area(crop):
            crop = media
        object.__setattr__(self, "mediabox", media)
        object.__setattr__(self, "cropbox", crop)
        object.__setattr__(self, "rotation", normalise_rotation(self.rotation))

    @property
    def unrotated_size_pt(self) -> tuple[float, float]:
        """Width and height of the CropBox before /Rotate, in points."""
        x0, y0, x1, y1 = self.cropbox
        return (x1 - x0, y1 - y0)

    @property
    def visible_size_pt(self) -> tuple[float, float]:
        """Width and height as displayed (swapped for 90/270), in points."""
        w, h = self.unrotated_size_pt
        return (h, w) if self.rotation in (90, 270) else (w, h)

    @property
    def visible_size_mm(self) -> tuple[float, float]:
        """Width and height as displayed (swapped for 90/270), in millimetres."""
        w, h = self.visible_size_pt
        return (pt_to_mm(w), pt_to_mm(h))


# --- reading pages ---------------------------------------------------------------------------------
@contextmanager
def _opened(pdf: PdfSource) -> Iterator[Any]:
    """Open `pdf` with PyMuPDF (closing it afterwards unless the caller passed an open document)."""
    import pymupdf

    if isinstance(pdf, pymupdf.Document):
        yield pdf
        return
    if isinstance(pdf, bytes | bytearray | memoryview):
        name = "(document in memory)"
        opener = lambda: pymupdf.open(stream=bytes(pdf), filetype="pdf")  # noqa: E731
    elif isinstance(pdf, str | os.PathLike):
        name = os.fspath(pdf)
        opener = lambda: pymupdf.open(name, filetype="pdf")  # noqa: E731
    else:
        raise errors.InvalidArgument(what="a PDF path or its bytes", detail=type(pdf).__name__)
    try:
        doc = opener()
    except Exception as exc:  # PyMuPDF raises FileNotFoundError, FileDataError, RuntimeError …
        raise errors.DocumentDamaged(detail=f"{type(exc).__name__}: {exc}", name=name) from exc
    try:
        if not doc.is_pdf:
            raise errors.DocumentDamaged(detail="not a PDF", name=name)
        if doc.needs_pass:
            raise errors.DocumentEncrypted(name=name)
        yield doc
    finally:
        doc.close()


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")
_REF = re.compile(r"(\d+)\s+(\d+)\s+R")


def _resolve_numbers(doc: Any, text: str) -> list[float]:
    """Numbers of a PDF array or number, following indirect references ("12 0 R") one level."""
    text = _REF.sub(lambda m: " " + doc.xref_object(int(m.group(1)), compressed=True).strip() + " ", text)
    return [float(n) for n in _NUMBER.findall(text)]


def _inherited(doc: Any, page_xref: int, key: str) -> list[float] | None:
    """The numbers of an inheritable page attribute (/MediaBox, /CropBox, /Rotate), walking /Parent."""
    xref, seen = page_xref, set()
    while xref and xref not in seen:
        seen.add(xref)
        kind, value = doc.xref_get_key(xref, key)
        if kind not in ("null", "") and value != "null":
            if kind == "xref":
                value = doc.xref_object(int(value.split()[0]), compressed=True)
            return _resolve_numbers(doc, value)
        kind, parent = doc.xref_get_key(xref, "Parent")
        xref = int(parent.split()[0]) if kind == "xref" else 0
    return None


def _geometry_of(doc: Any, index: int) -> PageGeometry:
    xref = doc.page_xref(index)
    return _geometry_from(
        index,
        _inherited(doc, xref, "MediaBox"),
        _inherited(doc, xref, "CropBox"),
        _inherited(doc, xref, "Rotate"),
    )


def _geometry_from(
    index: int, media: list[float] | None, crop: list[float] | None, rotate: list[float] | None
) -> PageGeometry:
    """One page's geometry from its raw inherited attributes, with MuPDF's fallbacks for odd values."""
    if media is None or len(media) != 4 or not _has_area(_normalise_box(media)):
        media = list(LETTER)
    if crop is not None and len(crop) != 4:
        crop = None
    return PageGeometry(
        index=index,
        mediabox=tuple(media),  # type: ignore[arg-type]
        cropbox=None if crop is None else tuple(crop),  # type: ignore[arg-type]
        rotation=rotate[0] if rotate else 0,  # type: ignore[arg-type]
    )


def page_geometries(pdf_path_or_bytes: PdfSource) -> list[PageGeometry]:
    """The geometry of every page, read from the raw (inherited) /MediaBox, /CropBox and /Rotate."""
    with _opened(pdf_path_or_bytes) as doc:
        return [_geometry_of(doc, i) for i in range(doc.page_count)]


def page_geometries_from_reader(reader: Any) -> list[PageGeometry]:
    """The same geometry read through an open pyHanko reader (no PyMuPDF needed: stamping a document
    parses it once, with pyHanko, and places the seal from that)."""

    def numbers(value: Any) -> list[float] | None:
        value = value.get_object() if hasattr(value, "get_object") else value
        items = value if isinstance(value, list | tuple) else [value]
        try:
            return [float(v.get_object() if hasattr(v, "get_object") else v) for v in items]
        except (TypeError, ValueError):
            return None

    geometries: list[PageGeometry] = []
    stack: list[tuple[Any, dict[str, list[float] | None]]] = [(reader.root.raw_get("/Pages"), {})]
    seen: set[int] = set()
    while stack:
        node_ref, inherited = stack.pop()
        node = node_ref.get_object() if hasattr(node_ref, "get_object") else node_ref
        identity = hash((node_ref.idnum, node_ref.generation)) if hasattr(node_ref, "idnum") else id(node)
        if identity in seen:  # a cyclic page tree: each node once
            continue
        seen.add(identity)
        attrs = dict(inherited)
        for key in ("/MediaBox", "/CropBox", "/Rotate"):
            if key in node:
                attrs[key] = numbers(node.raw_get(key))
        if "/Kids" in node:
            stack.extend((kid, attrs) for kid in reversed(list(node["/Kids"])))
            continue
        geometries.append(
            _geometry_from(
                len(geometries), attrs.get("/MediaBox"), attrs.get("/CropBox"), attrs.get("/Rotate")
            )
        )
    return geometries


# --- conversions -----------------------------------------------------------------------------------
def _unrotated_to_visible(page: PageGeometry, u: float, v: float) -> tuple[float, float]:
    """Unrotated top-left offsets (points) → displayed top-left offsets (points)."""
    w, h = page.unrotated_size_pt
    r = page.rotation
    if r == 0:
        return (u, v)
    if r == 90:
        return (h - v, u)
    if r == 180:
        return (w - u, h - v)
    return (v, w - u)


def _visible_to_unrotated(page: PageGeometry, x: float, y: float) -> tuple[float, float]:
    """Displayed top-left offsets (points) → unrotated top-left offsets (points)."""
    w, h = page.unrotated_size_pt
    r = page.rotation
    if r == 0:
        return (x, y)
    if r == 90:
        return (y, h - x)
    if r == 180:
        return (w - x, h - y)
    return (w - y, x)


def visible_mm_to_user(page: PageGeometry, x_mm: float, y_mm: float) -> tuple[float, float]:
    """A point in visible-page mm (top-left origin, as displayed) → PDF default user space (points)."""
    u, v = _visible_to_unrotated(page, mm_to_pt(x_mm), mm_to_pt(y_mm))
    cx0, _, _, cy1 = page.cropbox
    return (cx0 + u, cy1 - v)


def user_to_visible_mm(page: PageGeometry, x: float, y: float) -> tuple[float, float]:
    """A point in PDF default user space (points) → visible-page mm (top-left origin, as displayed)."""
    cx0, _, _, cy1 = page.cropbox
    vx, vy = _unrotated_to_visible(page, x - cx0, cy1 - y)
    return (pt_to_mm(vx), pt_to_mm(vy))


def _unrotated_rect_to_visible_mm(page: PageGeometry, rect: Sequence[float]) -> Box:
    """A rect in PyMuPDF page coordinates (unrotated, top-left of the CropBox) → visible mm box."""
    cx0, _, _, cy1 = page.cropbox
    u0, v0, u1, v1 = rect
    xa, ya = user_to_visible_mm(page, cx0 + u0, cy1 - v0)
    xb, yb = user_to_visible_mm(page, cx0 + u1, cy1 - v1)
    return (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))


# --- spots -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StampSpot:
    """Where one seal picture (or one slice of it) goes."""

    page_index: int
    """0-based page index."""
    rect: Box
    """x0 < x1, y0 < y1 in PDF default user space: the annotation's /Rect."""
    rotation: int
    """The page's /Rotate: the appearance must be counter-rotated by this to look upright."""
    center_mm: tuple[float, float]
    """Centre of the picture in visible-page mm from the top-left (for the usage record)."""
    size_mm: tuple[float, float]
    """Width and height of the picture as shown upright, in mm."""
    slice_index: int | None = None
    """Cross-page slice (0-based, left to right in the upright picture), or None for the whole seal."""
    slice_count: int | None = None
    """Number of cross-page slices, or None for the whole seal."""

    @property
    def box_mm(self) -> Box:
        """The picture's box in visible-page mm: left, top, right, bottom."""
        (cx, cy), (w, h) = self.center_mm, self.size_mm
        return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)

    @property
    def size_pt(self) -> tuple[float, float]:
        """Width and height of the upright picture in points (before counter-rotation)."""
        return (mm_to_pt(self.size_mm[0]), mm_to_pt(self.size_mm[1]))


def _finite_pair(value: Sequence[float], what: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise errors.InvalidArgument(what=what, detail=repr(value)) from exc
    if not (math.isfinite(a) and math.isfinite(b)):
        raise errors.InvalidArgument(what=what, detail=repr(value))
    return (a, b)


def _seal_size(size_mm: Sequence[float]) -> tuple[float, float]:
    w, h = _finite_pair(size_mm, "the seal size in mm")
    if w <= 0 or h <= 0:
        raise errors.InvalidArgument(
            what=QT_TRANSLATE_NOOP("errors", "the seal size must be positive"), detail=repr(size_mm)
        )
    return (w, h)


EDGE_TOLERANCE_MM = 0.01
"""How far a seal may stick out of the page (rounding of positions typed or computed in mm)."""


def spot_at(
    page: PageGeometry,
    center_mm: Sequence[float],
    size_mm: Sequence[float],
    *,
    partly_outside: bool = False,
) -> StampSpot:
    """The spot for a picture of `size_mm` (upright) centred at `center_mm` on the visible page.

    The user-space rect covers the upright picture: on 90/270 pages its width and height are swapped.
    A seal that would lie partly off the visible page raises SealOffPage (with the page size): a
    clipped seal is not a seal. `partly_outside=True` (cross-page slices, which sit on the edge by
    design) allows it; a box entirely outside, or only touching the page's edge, always raises
    PlacementInvalid.
    """
    cx_mm, cy_mm = _finite_pair(center_mm, "the seal position in mm")
    w_mm, h_mm = _seal_size(size_mm)
    vw, vh = page.visible_size_mm
    left, top, right, bottom = cx_mm - w_mm / 2, cy_mm - h_mm / 2, cx_mm + w_mm / 2, cy_mm + h_mm / 2
    if right <= 0 or bottom <= 0 or left >= vw or top >= vh:
        raise errors.PlacementInvalid(
            reason=QT_TRANSLATE_NOOP("errors", "the seal lies entirely outside the page"),
            detail=f"page {page.index + 1} is {vw:.1f}×{vh:.1f} mm; seal box "
            f"({left:.1f}, {top:.1f})–({right:.1f}, {bottom:.1f}) mm",
        )
    tolerance = EDGE_TOLERANCE_MM
    if not partly_outside and (
        left < -tolerance or top < -tolerance or right > vw + tolerance or bottom > vh + tolerance
    ):
        raise errors.SealOffPage(
            f"seal box ({left:.2f}, {top:.2f})–({right:.2f}, {bottom:.2f}) mm",
            page=page.index + 1,
            width=f"{vw:.0f}",
            height=f"{vh:.0f}",
            seal_width=f"{w_mm:g}",
            seal_height=f"{h_mm:g}",
            x=f"{cx_mm:g}",
            y=f"{cy_mm:g}",
        )
    x, y = visible_mm_to_user(page, cx_mm, cy_mm)
    w_pt, h_pt = mm_to_pt(w_mm), mm_to_pt(h_mm)
    if page.rotation in (90, 270):
        w_pt, h_pt = h_pt, w_pt
    return StampSpot(
        page_index=page.index,
        rect=(x - w_pt / 2, y - h_pt / 2, x + w_pt / 2, y + h_pt / 2),
        rotation=page.rotation,
        center_mm=(cx_mm, cy_mm),
        size_mm=(w_mm, h_mm),
    )


def user_box_to_visible_mm(page: PageGeometry, box: Sequence[float]) -> Box:
    """A user-space box (e.g. a field's /Rect) → left, top, right, bottom in visible-page mm."""
    x0, y0, x1, y1 = _normalise_box(box)
    xa, ya = user_to_visible_mm(page, x0, y0)
    xb, yb = user_to_visible_mm(page, x1, y1)
    return (min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb))


def spot_in_box(page: PageGeometry, box: Sequence[float], size_mm: Sequence[float]) -> StampSpot:
    """The seal at its true size centred in a user-space box (an existing signature field's /Rect)."""
    left, top, right, bottom = user_box_to_visible_mm(page, box)
    return spot_at(page, ((left + right) / 2, (top + bottom) / 2), size_mm)


# --- page lists ------------------------------------------------------------------------------------
_SINGLE = re.compile(r"^([+-]?\d+)$")
_RANGE = re.compile(r"^([+-]?\d+)\s*(?:[~～]|-(?=\s*[+-]?\d+$))\s*([+-]?\d+)$")


def parse_page_list(spec: str, page_count: int) -> list[int]:
    """A page list typed by the user → 0-based indexes, in the order given, duplicates removed.

    Syntax: items separated by commas (ASCII or full-width "，"); an item is a 1-based page number, a
    negative number counting from the end (-1 = last page), or a range "a-b" / "a~b" (also "-3~-1",
    "2~-1" = page 2 to the last, "-3--1"); "all" or "*" alone means every page. A range must not run
    backwards. Bad syntax → InvalidArgument; a page that does not exist → PageOutOfRange.
    """
    if not isinstance(spec, str):
        raise errors.InvalidArgument(what=QT_TRANSLATE_NOOP("errors", "a page list"), detail=repr(spec))
    text = spec.strip()
    if text.lower() in ("all", "*"):
        return list(range(page_count))

    def resolve(number: str) -> int:
        n = int(number)
        if n == 0 or abs(n) > page_count:
            raise errors.PageOutOfRange(page=n, count=page_count)
        return n - 1 if n > 0 else page_count + n

    result: list[int] = []
    for raw in re.split(r"[,，]", text):
        item = raw.strip()
        if not item:
            continue
        if m := _SINGLE.match(item):
            indexes = [resolve(m.group(1))]
        elif m := _RANGE.match(item):
            first, last = resolve(m.group(1)), resolve(m.group(2))
            if first > last:
                raise errors.PageListInvalid(f"{first + 1} > {last + 1}", spec=spec, item=item)
            indexes = list(range(first, last + 1))
        else:
            raise errors.PageListInvalid("bad item", spec=spec, item=item)
        result.extend(i for i in indexes if i not in result)
    if not result:
        raise errors.InvalidArgument(
            what=QT_TRANSLATE_NOOP("errors", "the page list is empty"), detail=repr(spec)
        )
    return result


def _by_index(pages: Sequence[PageGeometry]) -> dict[int, PageGeometry]:
    return {p.index: p for p in pages}


def _page(table: dict[int, PageGeometry], index: int, count: int) -> PageGeometry:
    try:
        return table[index]
    except KeyError:
        raise errors.PageOutOfRange(page=index + 1, count=count) from None


def spots_on_pages(
    pages: Sequence[PageGeometry],
    indexes: Sequence[int],
    center_mm: Sequence[float],
    size_mm: Sequence[float],
) -> list[StampSpot]:
    """The same visible-page spot on each page in `indexes` (0-based), in that order."""
    table = _by_index(pages)
    return [spot_at(_page(table, i, len(pages)), center_mm, size_mm) for i in indexes]


# --- keyword ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeywordHit:
    """One match of a keyword, in visible-page mm."""

    page_index: int
    """0-based page index."""
    center_mm: tuple[float, float]
    """Centre of the matched text, visible-page mm from the top-left."""
    rect_mm: Box
    """Box of the matched text: left, top, right, bottom in visible-page mm."""


def _reading_order(hits: list[KeywordHit]) -> list[KeywordHit]:
    """Hits of one page top to bottom; hits whose vertical extents overlap form a line, left to right."""
    ordered: list[KeywordHit] = []
    line: list[KeywordHit] = []
    line_bottom = -math.inf
    for hit in sorted(hits, key=lambda h: (h.rect_mm[1], h.rect_mm[0])):
        if line and hit.center_mm[1] > line_bottom:
            ordered.extend(sorted(line, key=lambda h: h.rect_mm[0]))
            line = []
        line_bottom = max(line_bottom, hit.rect_mm[3]) if line else hit.rect_mm[3]
        line.append(hit)
    ordered.extend(sorted(line, key=lambda h: h.rect_mm[0]))
    return ordered


def find_keyword(
    pdf_path_or_bytes: PdfSource, keyword: str, *, pages: Sequence[int] | None = None
) -> list[KeywordHit]:
    """Every match of `keyword` on the given pages (0-based; all when None), in document order.

    Document order = page order, then lines top to bottom and left to right as displayed. Uses
    PyMuPDF's text search (ASCII letters match case-insensitively). A match that wraps onto the next
    line is reported as one hit per line part. No match → empty list.
    """
    if not isinstance(keyword, str) or not keyword.strip():
        raise errors.InvalidArgument(
            what=QT_TRANSLATE_NOOP("errors", "the keyword is empty"), detail=repr(keyword)
        )
    hits: list[KeywordHit] = []
    with _opened(pdf_path_or_bytes) as doc:
        count = doc.page_count
        wanted = range(count) if pages is None else pages
        for index in wanted:
            if not 0 <= index < count:
                raise errors.PageOutOfRange(page=index + 1, count=count)
        for index in dict.fromkeys(wanted):
            geometry = _geometry_of(doc, index)
            page_hits = []
            for rect in doc[index].search_for(keyword):
                box = _unrotated_rect_to_visible_mm(geometry, (rect.x0, rect.y0, rect.x1, rect.y1))
                centre = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
                page_hits.append(KeywordHit(page_index=index, center_mm=centre, rect_mm=box))
            hits.extend(_reading_order(page_hits))
    return hits


def keyword_spots(
    pdf: PdfSource,
    pages: Sequence[PageGeometry],
    keyword: str,
    size_mm: Sequence[float],
    *,
    every: bool = False,
    offset_mm: Sequence[float] = (0, 0),
    find: Callable[..., list[KeywordHit]] | None = None,
) -> list[StampSpot]:
    """Spots centred on the first match (document order) of `keyword` — or on every match — plus
    `offset_mm` (x to the right, y downwards as displayed). Only the pages in `pages` are searched.
    No match → KeywordNotFound. `find(pdf, keyword, pages=…)` searches another format (OFD's
    `ofd.text.find_keyword`, `pdf` then being the OfdDocument); default: the PDF search.
    """
    dx, dy = _finite_pair(offset_mm, QT_TRANSLATE_NOOP("errors", "the keyword offset in mm"))
    table = _by_index(pages)
    hits = (find or find_keyword)(pdf, keyword, pages=[p.index for p in pages])
    if not hits:
        raise errors.KeywordNotFound(keyword=keyword)
    chosen = hits if every else hits[:1]
    return [
        spot_at(_page(table, h.page_index, len(pages)), (h.center_mm[0] + dx, h.center_mm[1] + dy), size_mm)
        for h in chosen
    ]


MIN_SLICE_MM = 1.0
"""Narrowest cross-page slice worth making: thinner ones cannot be matched when the pages are fanned."""


# --- cross-page seal (骑缝章) ------------------------------------------------------------------------
def cross_page_spots(
    pages: Sequence[PageGeometry],
    indexes: Sequence[int],
    size_mm: Sequence[float],
    *,
    edge: str = "right",
    y_mm: float | None = None,
) -> list[StampSpot]:
    """Spots for a cross-page seal (骑缝章) cut into N = len(indexes) equal vertical slices.

    Convention: the pages are stacked face up in the order of `indexes` (first on top) and fanned out
    so that every page shows a strip of its visible `edge`.

    * edge="right": lower pages stick out further right, so the strips from left to right are those
      of indexes[0], indexes[1], …: slice i (0-based, left to right in the upright picture) goes to
      page indexes[i], flush with its right edge.
    * edge="left": mirrored — lower pages stick out further left, so the strips from left to right are
      those of the last page … the first: page indexes[k] gets slice N-1-k, flush with its left edge
      (the first page carries the rightmost slice).

    Each slice is w/N wide and the full seal height, centred vertically on its page (or at `y_mm` from
    the visible top). Edges are the *displayed* edges, so rotated pages work alike. Spots are returned in
    the order of `indexes`, each with slice_index/slice_count set and center_mm/size_mm of its slice.
    """
    if edge not in ("right", "left"):
        raise errors.InvalidArgument(
            what=QT_TRANSLATE_NOOP("errors", "the seal edge (use right or left)"), detail=edge
        )
    n = len(indexes)
    if n < 2:
        raise errors.InvalidArgument(
            what=QT_TRANSLATE_NOOP("errors", "a cross-page seal needs at least 2 pages"), detail=f"{n} given"
        )
    if len(set(indexes)) != n:
        raise errors.InvalidArgument(
            what=QT_TRANSLATE_NOOP("errors", "a cross-page seal needs distinct pages"), detail=repr(indexes)
        )
    if y_mm is not None and not math.isfinite(float(y_mm)):
        raise errors.InvalidArgument(
            what=QT_TRANSLATE_NOOP("errors", "the seal position in mm"), detail=repr(y_mm)
        )
    w_mm, h_mm = _seal_size(size_mm)
    slice_w = w_mm / n
    if slice_w < MIN_SLICE_MM:
        raise errors.CrossPageTooManyPages(
            f"{n} slices of {slice_w:.2f} mm",
            width=f"{w_mm:g}",
            count=n,
            minimum=f"{MIN_SLICE_MM:g}",
            most=int(w_mm // MIN_SLICE_MM),
        )
    table = _by_index(pages)
    spots = []
    for k, index in enumerate(indexes):
        page = _page(table, index, len(pages))
        vw, vh = page.visible_size_mm
        cx = vw - slice_w / 2 if edge == "right" else slice_w / 2
        cy = vh / 2 if y_mm is None else float(y_mm)
        spot = spot_at(page, (cx, cy), (slice_w, h_mm), partly_outside=True)
        spots.append(replace(spot, slice_index=k if edge == "right" else n - 1 - k, slice_count=n))
    return spots


__all__ = [
    "MM_PER_PT",
    "Box",
    "KeywordHit",
    "PageGeometry",
    "StampSpot",
    "cross_page_spots",
    "find_keyword",
    "keyword_spots",
    "mm_to_pt",
    "normalise_rotation",
    "page_geometries",
    "parse_page_list",
    "pt_to_mm",
    "spot_at",
    "spots_on_pages",
    "user_to_visible_mm",
    "visible_mm_to_user",
    "page_geometries_from_reader",
]

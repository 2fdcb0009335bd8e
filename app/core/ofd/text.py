"""Where every character of an OFD page is, and keyword search over them.

A TextCode places its first character at (X, Y) — the baseline — and each next one DeltaX/DeltaY further;
"g 3 2.5" in a delta list means three times 2.5. Characters beyond the deltas given advance by the font's
own width (the standard's rule). A keyword may span several TextCodes and TextObjects: the search runs
over each line of the page (characters sharing a baseline, in x order), so "重庆市马" + "上融资" is found as
"马上融资".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import errors
from ..i18n_marks import QT_TRANSLATE_NOOP
from ..placement import KeywordHit, PageGeometry, mm_to_pt
from . import xml
from .model import Box, Page
from .reader import OfdDocument, numbers
from .walk import Matrix, apply, walk_page

ASCENT, DESCENT = 0.88, 0.12
"""Glyph box above and below the baseline, in font sizes (the CJK fonts' usual em box)."""
MAX_GLYPHS_PER_CODE = 100_000


@dataclass(frozen=True)
class Glyph:
    char: str
    font_id: str
    size: float
    """Font size in object space (mm before the CTM)."""
    x: float
    y: float
    """Baseline origin in object space."""
    advance: float
    matrix: Matrix
    """Object space → page mm."""

    def page_box(self) -> Box:
        """The glyph's box in page mm: left, top, right, bottom."""
        corners = [apply(self.matrix, self.x + dx, self.y + dy)
                   for dx in (0.0, self.advance) for dy in (-ASCENT * self.size, DESCENT * self.size)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        return min(xs), min(ys), max(xs), max(ys)


def expand_deltas(value: str, name: str = "") -> list[float]:
    """"g 3 2.5 1" → [2.5, 2.5, 2.5, 1.0]."""
    tokens = value.split()
    out: list[float] = []
    i = 0
    while i < len(tokens) and len(out) <= MAX_GLYPHS_PER_CODE:
        if tokens[i] == "g" and i + 2 < len(tokens):
            count = int(max(0.0, min(numbers(tokens[i + 1], name)[0], MAX_GLYPHS_PER_CODE)))
            out.extend(numbers(tokens[i + 2], name) * count)
            i += 3
        else:
            out.extend(numbers(tokens[i], name) if tokens[i] != "g" else [])
            i += 1
    return out


Advance = Callable[[str, str, float], float]
"""(font id, character, size) → advance width in the same units as size."""


def default_advance(font_id: str, char: str, size: float) -> float:
    """Without font metrics: CJK a full em, other characters half."""
    del font_id
    return size if ord(char) > 0x2E7F else size * 0.5


def text_object_glyphs(element: xml.Element, matrix: Matrix, name: str, advance: Advance = default_advance) -> list[Glyph]:
    """The characters of one TextObject, positioned."""
    font_id = xml.attr(element, "Font")
    size = numbers(xml.attr(element, "Size", "0"), name)[:1] or [0.0]
    glyphs: list[Glyph] = []
    x = y = 0.0
    for code in xml.children(element, "TextCode"):
        chars = code.text or ""
        if not chars:
            continue
        if xml.attr(code, "X"):
            x = numbers(xml.attr(code, "X"), name)[:1][0] if numbers(xml.attr(code, "X"), name) else x
        if xml.attr(code, "Y"):
            y = numbers(xml.attr(code, "Y"), name)[:1][0] if numbers(xml.attr(code, "Y"), name) else y
        dxs = expand_deltas(xml.attr(code, "DeltaX"), name)
        dys = expand_deltas(xml.attr(code, "DeltaY"), name)
        for i, char in enumerate(chars[:MAX_GLYPHS_PER_CODE]):
            if i < len(dxs) and dxs[i] > 0:
                step = width = dxs[i]
            else:  # the font's width: where DeltaX says nothing, and for the box of a backwards step
                width = advance(font_id, char, size[0])
                step = dxs[i] if i < len(dxs) else width
            glyphs.append(Glyph(char, font_id, size[0], x, y, width, matrix))
            x += step
            y += dys[i] if i < len(dys) else 0.0
    return glyphs


def page_glyphs(doc: OfdDocument, page: Page, advance: Advance = default_advance) -> list[Glyph]:
    """Every character drawn on the page (templates and annotation appearances included)."""
    out: list[Glyph] = []
    for placed in walk_page(doc, page):
        if placed.kind == "TextObject":
            out.extend(text_object_glyphs(placed.element, placed.matrix, doc.name, advance))
    return out


def _lines(glyphs: list[Glyph]) -> list[list[tuple[Glyph, Box]]]:
    """Glyphs grouped into lines (baselines within a third of the size), each sorted left to right."""
    boxed = [(g, g.page_box()) for g in glyphs if not g.char.isspace() or g.char == " "]
    boxed.sort(key=lambda gb: (gb[1][3], gb[1][0]))
    lines: list[list[tuple[Glyph, Box]]] = []
    for glyph, gbox in boxed:
        base = gbox[3]
        for line in lines:
            ref = line[0][1]
            if abs(ref[3] - base) <= max(0.3, (ref[3] - ref[1]) / 3):
                line.append((glyph, gbox))
                break
        else:
            lines.append([(glyph, gbox)])
    for line in lines:
        line.sort(key=lambda gb: gb[1][0])
    lines.sort(key=lambda line: line[0][1][1])
    return lines


def _normal(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def find_text(doc: OfdDocument, keyword: str, pages: Sequence[int] | None = None,
              advance: Advance = default_advance) -> list[tuple[int, Box]]:
    """Every match of `keyword` (whitespace ignored, ASCII case-insensitive) as (page index, box
    left/top/right/bottom in visible mm), in document order: pages, lines top to bottom, left to right."""
    wanted = _normal(keyword)
    hits: list[tuple[int, Box]] = []
    if not wanted:
        return hits
    for index in range(len(doc.pages)) if pages is None else pages:
        page = doc.pages[index]
        for line in _lines(page_glyphs(doc, page, advance)):
            chars = [(g, b) for g, b in line if not g.char.isspace()]
            joined = "".join(g.char.casefold() for g, _ in chars)
            start = joined.find(wanted)
            while start >= 0:
                part = [b for _, b in chars[start:start + len(wanted)]]
                hits.append((index, (min(b[0] for b in part), min(b[1] for b in part),
                                     max(b[2] for b in part), max(b[3] for b in part))))
                start = joined.find(wanted, start + len(wanted))
    return hits


def page_geometries(doc: OfdDocument) -> list[PageGeometry]:
    """OFD pages as placement.PageGeometry (no crop, no rotation), so that placement's spot, page-list and
    cross-page functions work unchanged on OFD; its visible mm are the OFD page's mm."""
    return [
        PageGeometry(page.index, (0.0, 0.0, mm_to_pt(page.size_mm[0]), mm_to_pt(page.size_mm[1])))
        for page in doc.pages
    ]


def find_keyword(doc: OfdDocument, keyword: str, *, pages: Sequence[int] | None = None,
                 advance: Advance = default_advance) -> list[KeywordHit]:
    """placement.find_keyword for OFD: the same hits (visible mm, document order) from the OFD text."""
    if not isinstance(keyword, str) or not keyword.strip():
        raise errors.InvalidArgument(what=QT_TRANSLATE_NOOP("errors", "the keyword is empty"), detail=repr(keyword))
    for index in pages or ():
        if not 0 <= index < len(doc.pages):
            raise errors.PageOutOfRange(page=index + 1, count=len(doc.pages))
    return [
        KeywordHit(page_index=index, center_mm=((b[0] + b[2]) / 2, (b[1] + b[3]) / 2), rect_mm=b)
        for index, b in find_text(doc, keyword, None if pages is None else list(dict.fromkeys(pages)), advance)
    ]

"""OFD pages drawn into an in-memory PDF (a display copy), which SealDesk's PDF renderer then shows.

Why a PDF: the viewer, its banded rendering, zoom, thumbnails and the render thread all exist for PDF;
PDF's imaging model (paths, clips, CTM, alpha, embedded fonts, images) covers OFD's, so each OFD object
becomes a few PDF operators in a content stream written here. Pages are built lazily, on first render.
The copy is never written to disk and never signed: it is only pixels for the screen.

Coordinates: the content stream starts with a matrix that maps page mm (top-left origin, y down, OFD's
space) to PDF points, so every OFD matrix is used as written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from .. import errors
from ..i18n_marks import QT_TRANSLATE_NOOP
from . import fonts, xml
from .paths import fmt as _fmt
from .paths import path_operators
from .reader import OfdDocument
from .text import text_object_glyphs
from .walk import Matrix, Placed, boundary_of, matrix_of, multiply, walk_page

log = logging.getLogger(__name__)

MM_TO_PT = 72 / 25.4
DEFAULT_LINE_WIDTH = 0.353
"""mm: the standard's default line width (1 pt)."""
RENDER_FAILED = QT_TRANSLATE_NOOP("errors", "a page cannot be drawn")


def _m(matrix: Matrix) -> str:
    return " ".join(_fmt(v) for v in matrix) + " cm"


@dataclass
class _Font:
    key: str
    xref: int
    font: Any
    """pymupdf.Font for glyph ids and widths."""
    unicode: bool
    """True: codes are UTF-16BE (the built-in CJK font); False: glyph ids (embedded Identity-H)."""


class DisplayCopy:
    """The display PDF of one OFD document; build pages with `page(index)`. Not thread-safe: the caller
    (the document layer) holds its lock around every call."""

    def __init__(self, doc: OfdDocument, *, stamps: bool = True) -> None:
        """`stamps`: draw the seal pictures of the document's signatures (not inside a seal picture)."""
        import pymupdf

        self.doc = doc
        self._draw_stamps = stamps
        self.pdf = pymupdf.open()
        for page in doc.pages:
            w, h = page.size_mm
            self.pdf.new_page(width=w * MM_TO_PT, height=h * MM_TO_PT)
        self._built: set[int] = set()
        self._fonts: dict[str, _Font | None] = {}
        self._images: dict[str, int | None] = {}
        self._fallback: _Font | None = None
        self._font_objects: dict[str, Any] = {}
        self._advances: dict[tuple[str, str], float] = {}
        self._glyph_ids: dict[tuple[str, str], int] = {}

    # -- fonts ------------------------------------------------------------------------------------
    def _fallback_font(self, page: Any) -> _Font:
        import pymupdf

        if self._fallback is None:
            xref = page.insert_font(fontname=fonts.FALLBACK)
            self._fallback = _Font("FB", xref, pymupdf.Font(fonts.FALLBACK), True)
        return self._fallback

    def _font(self, page: Any, font_id: str) -> _Font | None:
        """The font for an OFD font id: embedded file, installed named font, or None (fallback)."""
        import pymupdf

        if font_id in self._fonts:
            return self._fonts[font_id]
        res = self.doc.resources.fonts.get(font_id)
        data: bytes | None = None
        if res is not None and res.file_part:
            try:
                data = self.doc.part_bytes(res.file_part)
            except errors.OfdPartMissing as exc:
                self.doc.problems.append(exc.detail)
        if data is None and res is not None:
            path = fonts.named_font_file(res.name) or fonts.named_font_file(res.family)
            data = path.read_bytes() if path is not None else None
        loaded: _Font | None = None
        if data:
            try:
                font = pymupdf.Font(fontbuffer=data)
                xref = page.insert_font(fontname=f"F{len(self._fonts)}", fontbuffer=data)
                loaded = _Font(f"F{len(self._fonts)}", xref, font, False)
            except Exception as exc:  # noqa: BLE001 - damaged or unsupported font file: draw with the fallback
                self.doc.problems.append(f"font {font_id}: {exc}")
        self._fonts[font_id] = loaded
        return loaded

    def advance(self, font_id: str, char: str, size: float) -> float:
        """The font's own advance width for `char` (used where DeltaX says nothing)."""
        import pymupdf

        res = self.doc.resources.fonts.get(font_id)
        key = font_id if res is not None and res.file_part else fonts.FALLBACK
        font = self._font_objects.get(key)
        if font is None:
            try:
                font = pymupdf.Font(fontbuffer=self.doc.part_bytes(res.file_part)) if key == font_id and res \
                    else pymupdf.Font(fonts.FALLBACK)
            except Exception:  # noqa: BLE001 - unusable font file: the fallback's metrics
                font = pymupdf.Font(fonts.FALLBACK)
            self._font_objects[key] = font
        width = self._advances.get((key, char))
        if width is None:
            width = font.glyph_advance(ord(char)) if font.has_glyph(ord(char)) else 0.0
            width = self._advances[(key, char)] = width or (1.0 if ord(char) > 0x2E7F else 0.5)
        return width * size

    # -- colours, parameters ----------------------------------------------------------------------
    def _colour(self, element: xml.Element | None, stroke: bool) -> tuple[str, float] | None:
        """PDF colour operator and alpha (0..1) of an OFD colour element; None when absent/unreadable."""
        if element is None:
            return None
        value = xml.attr(element, "Value")
        alpha = _alpha(xml.attr(element, "Alpha"))
        if not value:
            segment = xml.path(element, "AxialShd", "Segment", "Color")
            if segment is None:
                segment = xml.path(element, "RadialShd", "Segment", "Color")
            return self._colour(segment, stroke) if segment is not None else None
        space = self.doc.resources.colour_spaces.get(xml.attr(element, "ColorSpace"))
        kind = space.type if space else "RGB"
        top = (1 << (space.bits if space else 8)) - 1 or 255
        try:
            parts = [int(v[1:], 16) if v.startswith("#") else float(v) for v in value.split()]
        except ValueError:
            return None
        parts = [max(0.0, min(1.0, p / top)) for p in parts]
        if kind == "GRAY" or len(parts) == 1:
            op, parts = ("G" if stroke else "g"), parts[:1]
        elif kind == "CMYK" and len(parts) >= 4:
            op, parts = ("K" if stroke else "k"), parts[:4]
        elif len(parts) >= 3:
            op, parts = ("RG" if stroke else "rg"), parts[:3]
        else:
            return None
        return " ".join(_fmt(p) for p in parts) + " " + op, alpha

    def _params(self, placed: Placed) -> list[xml.Element]:
        """DrawParam elements from the outermost to the innermost (Relative parents first)."""
        chain: list[xml.Element] = []
        for pid in placed.draw_params:
            stack, seen = [], set()
            while pid and pid not in seen:
                seen.add(pid)
                param = self.doc.resources.draw_params.get(pid)
                if param is None:
                    break
                stack.append(param.element)
                pid = param.relative or ""
            chain.extend(reversed(stack))
        return chain

    def _inherited(self, placed: Placed, params: list[xml.Element], name: str) -> str:
        own = xml.attr(placed.element, name)
        if own:
            return own
        for param in reversed(params):
            if xml.attr(param, name):
                return xml.attr(param, name)
        return ""

    def _inherited_colour(self, placed: Placed, params: list[xml.Element], name: str) -> xml.Element | None:
        own = xml.child(placed.element, name)
        if own is not None:
            return own
        for param in reversed(params):
            found = xml.child(param, name)
            if found is not None:
                return found
        return None

    # -- objects -----------------------------------------------------------------------------------
    def _clips(self, placed: Placed) -> list[str]:
        """Clip operators; each Clip intersects, the Areas of one Clip unite."""
        out: list[str] = []
        _, _, w, h = boundary_of(placed.element, self.doc.name)
        if placed.kind != "TextObject" and w > 0 and h > 0:
            # the standard clips a graphic unit to its Boundary; a stroke on the edge keeps its outer half
            # (producers draw frames exactly on the boundary). Text is not clipped: text boundaries are
            # often tighter than the glyphs.
            m = 0.0 if placed.kind == "ImageObject" else _number(xml.attr(placed.element, "LineWidth"), 1.0)
            rect = f"M {-m} {-m} L {w + m} {-m} L {w + m} {h + m} L {-m} {h + m} C"
            out.append(path_operators(rect, placed.boundary_matrix) + "\nW n")
        for clip in xml.children(xml.child(placed.element, "Clips"), "Clip"):
            ops: list[str] = []
            for area in xml.children(clip, "Area"):
                trans = xml.attr(clip, "TransFlag") == "true" or xml.attr(area, "TransFlag") == "true"
                base = placed.matrix if trans else placed.boundary_matrix
                area_ctm = matrix_of(xml.attr(area, "CTM"), self.doc.name)
                shape = xml.child(area, "Path")
                if shape is None:
                    continue
                bx, by, _, _ = boundary_of(shape, self.doc.name)
                m = multiply((1.0, 0.0, 0.0, 1.0, bx, by), area_ctm) if area_ctm else (1.0, 0.0, 0.0, 1.0, bx, by)
                m = multiply(m, base)
                ops.append(path_operators(xml.text(shape, "AbbreviatedData"), m))
            if ops:
                out.append("\n".join(ops) + "\nW n")
        return out

    def _alpha_state(self, fill: float, stroke: float, states: dict[str, str]) -> str:
        if fill >= 1 and stroke >= 1:
            return ""
        key = f"A{len(states)}"
        states[key] = f"<< /ca {_fmt(fill)} /CA {_fmt(stroke)} >>"
        return f"/{key} gs"

    def _path(self, placed: Placed, states: dict[str, str]) -> str:
        params = self._params(placed)
        element = placed.element
        stroke = xml.attr(element, "Stroke", "true") != "false"
        fill = xml.attr(element, "Fill", "false") == "true"
        if not (stroke or fill):
            return ""
        geometry = path_operators(xml.text(element, "AbbreviatedData"))
        if not geometry:
            return ""
        obj_alpha = _alpha(xml.attr(element, "Alpha"))
        fill_colour = self._colour(self._inherited_colour(placed, params, "FillColor"), False) or ("0 g", 1.0)
        stroke_colour = self._colour(self._inherited_colour(placed, params, "StrokeColor"), True) or ("0 G", 1.0)
        width = _number(self._inherited(placed, params, "LineWidth"), DEFAULT_LINE_WIDTH)
        ops = [_m(placed.matrix), fill_colour[0], stroke_colour[0], f"{_fmt(width)} w"]
        ops.append(self._alpha_state(obj_alpha * fill_colour[1], obj_alpha * stroke_colour[1], states))
        cap = {"Round": 1, "Square": 2}.get(self._inherited(placed, params, "Cap"), 0)
        join = {"Round": 1, "Bevel": 2}.get(self._inherited(placed, params, "Join"), 0)
        ops.append(f"{cap} J {join} j")
        dash = self._inherited(placed, params, "DashPattern")
        if dash:
            try:
                values = [abs(float(v)) for v in dash.split()][:16]
                if values and sum(values) > 0:
                    offset = _number(self._inherited(placed, params, "DashOffset"), 0.0)
                    ops.append(f"[{' '.join(_fmt(v) for v in values)}] {_fmt(offset)} d")
            except ValueError:
                pass
        even_odd = xml.attr(element, "Rule") == "Even-Odd"
        paint = ("B*" if even_odd else "B") if fill and stroke else (("f*" if even_odd else "f") if fill else "S")
        ops += [geometry, paint]
        return "\n".join(o for o in ops if o)

    def _text(self, page: Any, placed: Placed, used: dict[str, int], states: dict[str, str]) -> str:
        params = self._params(placed)
        element = placed.element
        glyphs = text_object_glyphs(element, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), self.doc.name, self.advance)
        if not glyphs:
            return ""
        fill = xml.attr(element, "Fill", "true") != "false"
        stroke = xml.attr(element, "Stroke", "false") == "true"
        font = self._font(page, xml.attr(element, "Font"))
        res = self.doc.resources.fonts.get(xml.attr(element, "Font"))
        weight = _number(xml.attr(element, "Weight"), 400)
        bold = (weight >= 600 or (res is not None and res.bold)) and (font is None or not font.font.is_bold)
        italic = xml.attr(element, "Italic") == "true" or (res is not None and res.italic)
        mode = 3 if not (fill or stroke) else (2 if (stroke and fill) or (bold and fill) else (1 if stroke else 0))
        fill_colour = self._colour(self._inherited_colour(placed, params, "FillColor"), False) or ("0 g", 1.0)
        stroke_colour = self._colour(self._inherited_colour(placed, params, "StrokeColor"), True)
        if stroke_colour is None or (bold and not stroke):
            stroke_colour = (fill_colour[0].replace(" rg", " RG").replace(" g", " G").replace(" k", " K"),
                             fill_colour[1])
        obj_alpha = _alpha(xml.attr(element, "Alpha"))
        hscale = _number(xml.attr(element, "HScale"), 1.0) or 1.0
        size = glyphs[0].size
        ops = [_m(placed.matrix), fill_colour[0], stroke_colour[0],
               self._alpha_state(obj_alpha * fill_colour[1], obj_alpha * stroke_colour[1], states)]
        if bold and not stroke:
            ops.append(f"{_fmt(size * 0.03)} w")
        ops.append(f"BT {mode} Tr")
        current = ""
        prefix = f"{_fmt(hscale)} 0 {'0.2' if italic else '0'} -1 "  # y flipped back: glyphs stand upright
        for glyph in glyphs:
            if glyph.char.isspace():
                continue
            chosen, code = font, ""
            if chosen is not None:
                gid = self._glyph_ids.get((chosen.key, glyph.char))
                if gid is None:
                    gid = self._glyph_ids[(chosen.key, glyph.char)] = chosen.font.has_glyph(ord(glyph.char))
                code = f"{gid:04x}" if gid else ""
            if not code:
                chosen = self._fallback_font(page)
                code = glyph.char.encode("utf-16-be").hex()
            used[chosen.key] = chosen.xref
            if chosen.key != current:
                ops.append(f"/{chosen.key} {_fmt(glyph.size)} Tf")
                current = chosen.key
            ops.append(f"{prefix}{glyph.x:.3f} {glyph.y:.3f} Tm <{code}> Tj")
        ops.append("ET")
        return "\n".join(o for o in ops if o)

    def _image_xref(self, page: Any, key: str, data: bytes) -> int | None:
        import pymupdf

        if key in self._images:
            return self._images[key]
        xref: int | None = None
        try:
            if data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff":
                xref = page.insert_image(pymupdf.Rect(0, 0, 1, 1), stream=data)
            else:  # JBIG2, BMP, TIFF, GIF: decoded by MuPDF
                xref = page.insert_image(pymupdf.Rect(0, 0, 1, 1), pixmap=pymupdf.Pixmap(data))
        except Exception as exc:  # noqa: BLE001 - an undecodable picture is left out, the page still shows
            self.doc.problems.append(f"image {key}: {exc}")
        self._images[key] = xref
        return xref

    def _image(self, page: Any, placed: Placed, used: dict[str, int], states: dict[str, str]) -> str:
        media = self.doc.resources.media.get(xml.attr(placed.element, "ResourceID"))
        if media is None:
            return ""
        try:
            data = self.doc.part_bytes(media.file_part)
        except errors.OfdPartMissing as exc:
            self.doc.problems.append(exc.detail)
            return ""
        xref = self._image_xref(page, "m" + media.id, data)
        if xref is None:
            return ""
        name = f"I{xref}"
        used[name] = xref
        alpha = self._alpha_state(_alpha(xml.attr(placed.element, "Alpha")), 1.0, states)
        return "\n".join(o for o in (_m(placed.matrix), alpha, f"1 0 0 -1 0 1 cm /{name} Do") if o)

    def _stamps(self, page: Any, index: int, used: dict[str, int]) -> list[str]:
        """The seal pictures of the document's signatures on this page (what a signed OFD shows)."""
        out: list[str] = []
        for number, signature in enumerate(self.doc.signatures if self._draw_stamps else ()):
            spots = [s for s in signature.stamp_annots if s.page_index == index]
            if not spots:
                continue
            png = self._seal_png(number)
            if png is None:
                continue
            xref = self._image_xref(page, f"s{number}", png)
            if xref is None:
                continue
            used[f"I{xref}"] = xref
            ox, oy = self.doc.pages[index].box[:2]
            for spot in spots:
                x, y, w, h = spot.boundary
                clip = ""
                if spot.clip is not None:  # a cross-page slice: only its part of the picture shows
                    cx, cy, cw, ch = spot.clip
                    clip = f"{_fmt(x - ox + cx)} {_fmt(y - oy + cy)} {_fmt(cw)} {_fmt(ch)} re W n "
                out.append(f"q {clip}{_fmt(w)} 0 0 {_fmt(-h)} {_fmt(x - ox)} {_fmt(y - oy + h)} cm /I{xref} Do Q")
        return out

    def _seal_png(self, number: int) -> bytes | None:
        from ..appearance import seal_image
        from ..ses.parse import parse_seal, parse_ses_signature

        signature = self.doc.signatures[number]
        try:
            if signature.signed_value_part:
                picture = parse_ses_signature(self.doc.part_bytes(signature.signed_value_part)).seal.picture
            elif signature.seal_part:
                picture = parse_seal(self.doc.part_bytes(signature.seal_part)).picture
            else:
                return None
            if picture.data[:4] == b"PK\x03\x04":
                return ofd_picture_png(picture.data, f"{self.doc.name}:{signature.signed_value_part}")
            return seal_image(picture).png
        except errors.SealDeskError as exc:  # a plain "Sign" signature, or a seal SealDesk cannot show
            self.doc.problems.append(f"signature {signature.id}: {exc.detail or exc}")
            return None

    # -- pages -------------------------------------------------------------------------------------
    def page(self, index: int) -> Any:
        """The display page `index`, built on first use."""
        if index not in self._built:
            try:
                self._build(index)
            except errors.SealDeskError:
                raise
            except Exception as exc:  # a broken content part: say which page, never a traceback
                raise errors.OfdDamaged(f"page {index + 1}: {type(exc).__name__}: {exc}", name=self.doc.name,
                                        problem=RENDER_FAILED) from exc
            self._built.add(index)
        return self.pdf[index]

    def _build(self, index: int) -> None:
        page = self.pdf[index]
        height_pt = page.rect.height
        used: dict[str, int] = {}
        states: dict[str, str] = {}
        body: list[str] = [f"{MM_TO_PT:.9f} 0 0 {-MM_TO_PT:.9f} 0 {height_pt:.6f} cm"]
        for placed in walk_page(self.doc, self.doc.pages[index]):
            if placed.kind == "PathObject":
                ops = self._path(placed, states)
            elif placed.kind == "TextObject":
                ops = self._text(page, placed, used, states)
            else:
                ops = self._image(page, placed, used, states)
            if ops:
                body.append("q\n" + "\n".join(self._clips(placed)) + "\n" + ops + "\nQ")
        body += self._stamps(page, index, used)
        font_entries = " ".join(f"/{k} {x} 0 R" for k, x in used.items() if not k.startswith("I"))
        image_entries = " ".join(f"/{k} {x} 0 R" for k, x in used.items() if k.startswith("I"))
        state_entries = " ".join(f"/{k} {v}" for k, v in states.items())
        self.pdf.xref_set_key(page.xref, "Resources",
                              f"<< /Font << {font_entries} >> /XObject << {image_entries} >> "
                              f"/ExtGState << {state_entries} >> >>")
        content = self.pdf.get_new_xref()
        self.pdf.update_object(content, "<< >>")
        self.pdf.update_stream(content, ("q\n" + "\n".join(body) + "\nQ").encode("latin-1"))
        self.pdf.xref_set_key(page.xref, "Contents", f"{content} 0 R")

    def close(self) -> None:
        self.pdf.close()


def _alpha(value: str) -> float:
    try:
        return max(0.0, min(1.0, float(value) / 255)) if value else 1.0
    except ValueError:
        return 1.0


def _number(value: str, default: float) -> float:
    try:
        number = float(value) if value else default
    except ValueError:
        return default
    return number if number == number and abs(number) < 1e6 else default


OFD_PICTURE_DPI = 300


def ofd_picture_png(data: bytes, name: str) -> bytes:
    """A seal picture that is itself an OFD (vector stamps: GB/T 38540 allows it): its first page drawn
    by this renderer onto a transparent background."""
    from pathlib import Path

    from .reader import read_ofd

    picture = read_ofd(Path(name.replace("/", "_")), data=data)
    copy = DisplayCopy(picture, stamps=False)
    try:
        return copy.page(0).get_pixmap(dpi=OFD_PICTURE_DPI, alpha=True).tobytes("png")
    finally:
        copy.close()
        picture.close()

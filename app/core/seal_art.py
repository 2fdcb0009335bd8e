"""Pictures for demo seals: round official seals and square name seals, drawn as transparent PNGs.

The demo key and the tests need seal pictures that look like real impressions. Drawing them with the
CJK font compiled into PyMuPDF (Droid Sans Fallback behind the reserved name "china-s") makes the glyphs
correct on every machine, without depending on fonts installed on the system. Everything is laid out on
a PDF page measured in points (1 mm = 72/25.4 pt) and rasterised with an alpha channel, so the
background stays fully transparent and only the red ink is opaque.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from .errors import InvalidArgument

SEAL_RED_RGB = (230, 0, 18)
"""Seal red (#E60012), the usual on-screen colour of red seal ink."""

DEFAULT_DPI = 400
MIN_DPI = 300

CJK_FONT = "china-s"
"""PyMuPDF's built-in CJK font; needs no font file on the system."""

DIGIT_FONT = "helv"

_PT_PER_MM = 72 / 25.4
_RED = tuple(c / 255 for c in SEAL_RED_RGB)

# Ink box of a full CJK glyph in Droid Sans Fallback, in em units measured from the pen origin
# (x to the right, y upwards from the baseline): ink spans x 0.05..0.95 and y -0.10..0.82.
_CJK_INK_CENTER_Y = 0.36
_CJK_INK_HEIGHT = 0.92
_CJK_INK_WIDTH = 0.90
# Helvetica digits: ink from the baseline up to 0.73 em.
_DIGIT_INK_CENTER_Y = 0.365
_DIGIT_INK_HEIGHT = 0.73


@dataclass(frozen=True)
class RoundSealLayout:
    """Proportions of a round official seal, relative to its diameter (a 42 mm state-owned seal)."""

    rim: float = 1.2 / 42
    """Width of the outer ring."""
    star: float = 14 / 42
    """Diameter of the circle through the star's points."""
    name_size: float = 0.155
    """Font size of the organisation name."""
    name_gap: float = 0.7 / 42
    """Space between the ring and the top of the name's glyphs."""
    name_span_deg: float = 240.0
    """Angle covered by the name for ordinary lengths."""
    purpose_size: float = 0.115
    """Font size of the purpose text (合同专用章 ...)."""
    purpose_center: float = 0.235
    """Distance of the purpose text's centre below the seal's centre."""
    purpose_max_width: float = 0.6
    """Widest the purpose text may be before it is compressed."""
    code_size: float = 0.07
    """Font size of the code digits on the lower arc."""
    bold: float = 0.025
    """Extra stroke around glyphs, as a fraction of the font size (seal engraving is bolder than type)."""


def _check_dpi(dpi: int) -> None:
    if not isinstance(dpi, int) or dpi < MIN_DPI or dpi > 2400:
        raise InvalidArgument(f"dpi={dpi!r}", what=f"resolution must be {MIN_DPI}..2400 dpi")


def _check_size(value: float, what: str, low: float, high: float) -> None:
    if not (low <= value <= high):
        raise InvalidArgument(f"{what}={value!r}", what=f"{what} must be {low:g}..{high:g} mm")


@functools.cache
def _font(name: str):
    import pymupdf

    return pymupdf.Font(name)


def _check_glyphs(text: str, what: str) -> None:
    """Refuse characters the built-in font cannot draw, rather than silently printing blanks."""
    font = _font(CJK_FONT)
    missing = [ch for ch in text if not ch.isspace() and not font.has_glyph(ord(ch))]
    if missing:
        raise InvalidArgument(f"{what} has glyphs missing from the font: {''.join(missing)!r}", what=what)


def _new_page(width_mm: float, height_mm: float):
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page(width=width_mm * _PT_PER_MM, height=height_mm * _PT_PER_MM)
    return doc, page


def _to_png(doc, page, dpi: int) -> bytes:
    pix = page.get_pixmap(dpi=dpi, alpha=True)
    pix.set_dpi(dpi, dpi)
    png = pix.tobytes("png")
    doc.close()
    return png


def _glyph(page, ch: str, center, fontsize: float, *, xscale: float = 1.0, yscale: float = 1.0,
           rotate_deg: float = 0.0, pivot=None, bold: float = 0.0, font: str = CJK_FONT) -> None:
    """Draw one glyph with its ink centre at `center`, scaled about that centre, then turned about `pivot`.

    `rotate_deg` turns clockwise as seen on the picture; `bold` is the extra outline stroke as a fraction
    of the font size. When a pivot is given it must lie straight below or above the glyph's centre
    (same x), so that scaling x about the pivot equals scaling it about the glyph's centre.
    """
    import pymupdf

    advance = _font(font).text_length(ch, fontsize=1)
    center_y = _CJK_INK_CENTER_Y if font == CJK_FONT else _DIGIT_INK_CENTER_Y
    cx, cy = center
    origin = pymupdf.Point(cx - advance * fontsize / 2, cy + center_y * fontsize)
    fix = pymupdf.Point(pivot if pivot is not None else center)
    if yscale != 1.0 and abs(fix.y - cy) > 1e-6:
        raise ValueError("vertical scaling needs the pivot at the glyph centre")
    # PyMuPDF applies the morph in PDF space (y up), where a negative angle turns clockwise on screen.
    matrix = pymupdf.Matrix(xscale, yscale) * pymupdf.Matrix(-rotate_deg)
    page.insert_text(
        origin,
        ch,
        fontsize=fontsize,
        fontname=font,
        color=_RED,
        fill=_RED,
        render_mode=2 if bold > 0 else 0,
        border_width=bold,
        morph=(fix, matrix),
    )


def _star_points(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    """A regular five-pointed star, one point straight up."""
    inner = outer * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for k in range(10):
        radius = outer if k % 2 == 0 else inner
        angle = math.radians(k * 36)
        points.append((cx + radius * math.sin(angle), cy - radius * math.cos(angle)))
    return points


def draw_round_seal(
    org_name: str,
    purpose: str = "",
    *,
    diameter_mm: float = 42.0,
    code: str = "",
    dpi: int = DEFAULT_DPI,
    layout: RoundSealLayout | None = None,
) -> bytes:
    """Draw an official round seal: ring, name on the upper arc, star, purpose text, optional code.

    The name runs clockwise from lower left to lower right with every glyph upright to the arc; the
    code digits read left to right along the lower arc with their feet towards the ring.
    """

    layout = layout or RoundSealLayout()
    org_name = org_name.strip()
    purpose = purpose.strip()
    code = code.strip()
    if not org_name:
        raise InvalidArgument("empty organisation name", what="organisation name")
    _check_size(diameter_mm, "diameter", 20, 80)
    _check_dpi(dpi)
    _check_glyphs(org_name, "organisation name")
    _check_glyphs(purpose, "purpose")
    if code and not all(ch.isascii() and ch.isalnum() for ch in code):
        raise InvalidArgument(f"code={code!r}", what="seal code (letters and digits only)")

    doc, page = _new_page(diameter_mm, diameter_mm)
    d = diameter_mm * _PT_PER_MM
    cx = cy = d / 2
    rim = layout.rim * d
    shape = page.new_shape()
    shape.draw_circle((cx, cy), d / 2 - rim / 2)
    shape.finish(color=_RED, width=rim, fill=None)
    shape.draw_polyline(_star_points(cx, cy, layout.star * d / 2))
    shape.finish(color=None, fill=_RED, closePath=True)
    shape.commit()

    # Organisation name on the upper arc.
    n = len(org_name)
    size = layout.name_size * d
    span = layout.name_span_deg if n <= 16 else min(300.0, layout.name_span_deg + (n - 16) * 5)
    for _attempt in range(12):
        radius = d / 2 - rim - layout.name_gap * d - _CJK_INK_HEIGHT * size / 2
        # The name is spread over the whole arc, as on real seals; only very short names keep gaps sane.
        step = min(span / n, 45.0)
        # Glyphs must not touch at their inner (narrowest) edge.
        inner_pitch = math.radians(step) * (radius - _CJK_INK_HEIGHT * size / 2)
        xscale = min(1.0 if n <= 8 else 0.85, 0.9 * inner_pitch / (_CJK_INK_WIDTH * size))
        if xscale >= 0.55:
            break
        size *= 0.92
    start = -step * n / 2
    for i, ch in enumerate(org_name):
        theta = start + (i + 0.5) * step
        _glyph(page, ch, (cx, cy - radius), size, xscale=xscale, rotate_deg=theta, pivot=(cx, cy),
               bold=layout.bold)

    # Purpose text, horizontally below the star.
    if purpose:
        psize = layout.purpose_size * d
        natural = len(purpose) * _CJK_INK_WIDTH * psize
        pxscale = min(0.9, layout.purpose_max_width * d / natural)
        advance = psize * pxscale
        py = cy + layout.purpose_center * d
        left = cx - advance * len(purpose) / 2
        for i, ch in enumerate(purpose):
            _glyph(page, ch, (left + (i + 0.5) * advance, py), psize, xscale=pxscale, bold=layout.bold)

    # Code digits on the lower arc.
    if code:
        csize = layout.code_size * d
        cradius = d / 2 - rim - layout.name_gap * d - _DIGIT_INK_HEIGHT * csize / 2
        font = _font(DIGIT_FONT)
        pitch = 1.15 * max(font.text_length(ch, fontsize=csize) for ch in code)
        cstep = min(math.degrees(pitch / cradius), 110.0 / len(code))
        cstart = 180 + cstep * len(code) / 2
        for i, ch in enumerate(code):
            theta = cstart - (i + 0.5) * cstep
            _glyph(page, ch, (cx, cy + cradius), csize, rotate_deg=theta - 180, pivot=(cx, cy),
                   font=DIGIT_FONT)

    return _to_png(doc, page, dpi)


def name_seal_text(name: str, suffix: str = "印") -> str:
    """The characters a square name seal shows, filling an even number of cells.

    2-char names take 之+suffix (张三之印), or a 2-char suffix as it is (张三私印, 张三之印 for "之印");
    1- and 3-char names take the suffix's last character (欧阳峰印); longer names stand alone.
    """
    name = name.strip()
    suffix = suffix.strip()
    if not suffix or len(name) not in (1, 2, 3):
        return name
    if len(name) == 2:
        return name + (suffix[:2] if len(suffix) >= 2 else "之" + suffix)
    return name + suffix[-1]


def name_seal_columns(text: str) -> list[str]:
    """Split seal text into columns, right-most column first (traditional right-to-left reading)."""
    n = len(text)
    if n <= 2:
        return list(text)
    rows = 2 if n <= 4 else math.ceil(n / 3) if n <= 9 else math.ceil(math.sqrt(n))
    return [text[i : i + rows] for i in range(0, n, rows)]


def draw_square_name_seal(
    name: str, *, size_mm: float = 20.0, suffix: str = "印", dpi: int = DEFAULT_DPI
) -> bytes:
    """Draw a square name seal (duty or personal): a border with the name filling the cells.

    张三 becomes 张三之印 with 张三 in the right column and 之印 in the left; a 3-char name takes
    印 (right column two characters, left column two).
    """
    text = name_seal_text(name, suffix)
    if not text:
        raise InvalidArgument("empty name", what="name")
    _check_size(size_mm, "size", 8, 60)
    _check_dpi(dpi)
    _check_glyphs(text, "name")

    doc, page = _new_page(size_mm, size_mm)
    s = size_mm * _PT_PER_MM
    border = 0.06 * s
    margin = 0.045 * s
    shape = page.new_shape()
    shape.draw_rect((border / 2, border / 2, s - border / 2, s - border / 2))
    shape.finish(color=_RED, width=border, fill=None)
    shape.commit()

    columns = name_seal_columns(text)
    inner = s - 2 * border - 2 * margin
    col_w = inner / len(columns)
    for c, column in enumerate(columns):
        cell_h = inner / len(column)
        x = s - border - margin - (c + 0.5) * col_w
        for r, ch in enumerate(column):
            y = border + margin + (r + 0.5) * cell_h
            size = cell_h / _CJK_INK_HEIGHT * 0.94
            xscale = (col_w * 0.94) / (_CJK_INK_WIDTH * size)
            _glyph(page, ch, (x, y), size, xscale=xscale, bold=0.045)
    return _to_png(doc, page, dpi)


def _ellipse_point(a: float, b: float, t: float) -> tuple[float, float]:
    """Point at parameter t (radians, 0 = top, clockwise) of an ellipse centred on the origin (y down)."""
    return a * math.sin(t), -b * math.cos(t)


def _ellipse_positions(a: float, b: float, t_span: float, n: int) -> list[float]:
    """Parameters of n points spaced by equal arc length over [-t_span/2, t_span/2] (centres of n cells)."""
    samples = 720
    ts = [-t_span / 2 + t_span * k / samples for k in range(samples + 1)]
    lengths = [0.0]
    for k in range(samples):
        x0, y0 = _ellipse_point(a, b, ts[k])
        x1, y1 = _ellipse_point(a, b, ts[k + 1])
        lengths.append(lengths[-1] + math.hypot(x1 - x0, y1 - y0))
    total = lengths[-1]
    result = []
    k = 0
    for i in range(n):
        target = total * (i + 0.5) / n
        while lengths[k + 1] < target:
            k += 1
        frac = (target - lengths[k]) / (lengths[k + 1] - lengths[k])
        result.append(ts[k] + frac * (ts[k + 1] - ts[k]))
    return result


def draw_oval_seal(
    org_name: str,
    purpose: str = "发票专用章",
    *,
    width_mm: float = 40.0,
    height_mm: float = 30.0,
    code: str = "",
    dpi: int = DEFAULT_DPI,
) -> bytes:
    """Draw an oval seal such as the 40 × 30 mm invoice seal (发票专用章).

    Ring, organisation name along the upper part of the ellipse (clockwise, glyphs upright to the ring),
    the taxpayer number (`code`) straight across the middle, and the purpose text below it.
    """
    org_name = org_name.strip()
    purpose = purpose.strip()
    code = code.strip()
    if not org_name:
        raise InvalidArgument("empty organisation name", what="organisation name")
    _check_size(width_mm, "width", 20, 80)
    _check_size(height_mm, "height", 15, 80)
    _check_dpi(dpi)
    _check_glyphs(org_name, "organisation name")
    _check_glyphs(purpose, "purpose")
    if code and not all(ch.isascii() and ch.isalnum() for ch in code):
        raise InvalidArgument(f"code={code!r}", what="taxpayer number (letters and digits only)")


    doc, page = _new_page(width_mm, height_mm)
    w, h = width_mm * _PT_PER_MM, height_mm * _PT_PER_MM
    cx, cy = w / 2, h / 2
    rim = 1.0 / 30 * h
    shape = page.new_shape()
    shape.draw_oval((rim / 2, rim / 2, w - rim / 2, h - rim / 2))
    shape.finish(color=_RED, width=rim, fill=None)
    shape.commit()

    # Name along the upper arc of an inner ellipse.
    n = len(org_name)
    size = 0.15 * h
    span = math.radians(205 if n > 6 else 34 * n)
    for _attempt in range(12):
        inset = rim + 0.5 / 30 * h + _CJK_INK_HEIGHT * size / 2
        a, b = w / 2 - inset, h / 2 - inset
        params = _ellipse_positions(a, b, span, n)
        # The narrowest spacing is near the ends, where the ellipse bends most; measure it on the inner edge.
        ia, ib = a - _CJK_INK_HEIGHT * size / 2, b - _CJK_INK_HEIGHT * size / 2
        pitch = min(
            math.dist(_ellipse_point(ia, ib, t0), _ellipse_point(ia, ib, t1)) for t0, t1 in zip(params, params[1:], strict=False)
        ) if n > 1 else size
        xscale = min(1.0 if n <= 8 else 0.85, 0.9 * pitch / (_CJK_INK_WIDTH * size))
        if xscale >= 0.55:
            break
        size *= 0.92
    for ch, t in zip(org_name, params, strict=True):
        x, y = _ellipse_point(a, b, t)
        # Outward normal of the ellipse at t; the glyph's "up" points along it.
        nx, ny = b * math.sin(t), -a * math.cos(t)
        rotation = math.degrees(math.atan2(nx, -ny))
        _glyph(page, ch, (cx + x, cy + y), size, xscale=xscale, rotate_deg=rotation, bold=0.025)

    # Taxpayer number straight across the middle.
    if code:
        csize = 0.115 * h
        font = _font(DIGIT_FONT)
        natural = font.text_length(code, fontsize=csize)
        cxscale = min(0.85, 0.56 * w / natural)
        left = cx - natural * cxscale / 2
        x = left
        for ch in code:
            advance = font.text_length(ch, fontsize=csize) * cxscale
            _glyph(page, ch, (x + advance / 2, cy + 0.03 * h), csize, xscale=cxscale, bold=0.02, font=DIGIT_FONT)
            x += advance

    # Purpose text below.
    if purpose:
        psize = 0.15 * h
        natural = len(purpose) * _CJK_INK_WIDTH * psize
        pxscale = min(0.9, 0.5 * w / natural)
        advance = psize * pxscale
        py = cy + 0.28 * h
        left = cx - advance * len(purpose) / 2
        for i, ch in enumerate(purpose):
            _glyph(page, ch, (left + (i + 0.5) * advance, py), psize, xscale=pxscale, bold=0.025)

    return _to_png(doc, page, dpi)

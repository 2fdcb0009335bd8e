"""A seal's picture made ready for stamping: a transparent RGBA PNG with its physical size.

Seal files carry pictures in several formats (PNG, GIF, JPG, BMP, SVG, and vector "OFD" stamps) and
often as red ink on an opaque white background. A stamp must never hide the text beneath it, so every
picture is turned into RGBA with the paper made transparent: the white matte is removed the way
"colour to alpha" does it (alpha from how far a pixel is from white, colour un-blended from white), which
keeps anti-aliased edges smooth instead of leaving a pink fringe or a hard cut-out.

Cross-page seals (骑缝章) need the picture cut into equal vertical slices; `slice_image` chooses pixel
boundaries so the slices tile the picture exactly.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Protocol

from .errors import InvalidArgument, SealFormatError, SealPictureUnsupported

DEFAULT_SIZE_MM = 40.0
"""Size of the longer side when neither the seal nor the image says how large the picture is."""

SVG_DPI = 400
"""Resolution at which vector (SVG) pictures are rasterised."""

MAX_PIXELS = 6000 * 6000
"""Larger pictures are refused: no seal needs them and they could exhaust memory."""

_WHITE_THRESHOLD = 16
"""Pixels within this distance of white (0..255, darkest channel) become fully transparent (JPEG noise)."""

_PLAUSIBLE_MM = (8.0, 120.0)
"""A size derived from the image's own dpi is believed only if it falls in this range."""


class SealPictureLike(Protocol):
    """What a seal's picture provides (app.core.ses.SealPicture has these fields)."""

    type: str
    data: bytes
    width_mm: float
    height_mm: float


@dataclass(frozen=True)
class SealImage:
    """A seal picture as an RGBA PNG with a transparent background, and the size to show it at."""

    png: bytes
    """RGBA PNG; the paper is fully transparent."""
    width_mm: float
    """Physical width the image must be shown at."""
    height_mm: float
    """Physical height the image must be shown at."""
    pixel_width: int
    pixel_height: int


def _sniff(data: bytes) -> str | None:
    """The format the bytes really are; seal files do not always label their pictures correctly."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"BM") and len(data) > 26:
        return "BMP"
    if data.startswith(b"PK\x03\x04"):
        return "OFD"  # a zip container: OFD vector stamps
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if (head.startswith(b"<?xml") or head.startswith(b"<svg") or head.startswith(b"<!--")) and b"<svg" in head:
        return "SVG"
    return None


_DECLARED = {
    "PNG": "PNG",
    "GIF": "GIF",
    "JPG": "JPEG",
    "JPEG": "JPEG",
    "BMP": "BMP",
    "SVG": "SVG",
    "OFD": "OFD",
}


def seal_image(picture: SealPictureLike) -> SealImage:
    """Decode a seal's picture into a transparent RGBA PNG with its physical size in mm.

    Raises SealPictureUnsupported for types SealDesk cannot show (vector OFD stamps, unknown types) and
    SealFormatError when the data of a supported type is damaged.
    """
    declared_raw = (picture.type or "").strip()
    declared = _DECLARED.get(declared_raw.upper().lstrip("."))
    data = bytes(picture.data or b"")
    if declared == "OFD":
        raise SealPictureUnsupported("vector OFD seal pictures are not rendered", type=declared_raw or "OFD")
    actual = _sniff(data)
    if actual == "OFD":
        raise SealPictureUnsupported(
            f"picture labelled {declared_raw!r} is a zip/OFD container", type=declared_raw or "OFD"
        )
    if actual is None:
        if declared is None:
            raise SealPictureUnsupported(f"unknown picture type {declared_raw!r}", type=declared_raw or "?")
        raise SealFormatError(f"seal picture ({declared_raw}) is damaged: unrecognised data ({len(data)} bytes)")

    if actual == "SVG":
        image = _rasterise_svg(data, picture.width_mm, declared_raw)
        dpi = float(SVG_DPI)
    else:
        image, dpi = _decode_raster(data, actual, declared_raw)
    try:
        image = _transparent_paper(image)
    except Exception as exc:  # unusual pixel formats (16-bit grey, ...) Pillow cannot convert
        raise SealFormatError(f"seal picture ({declared_raw}) has an unsupported pixel format: {exc}") from exc
    width_mm, height_mm = _physical_size(picture.width_mm, picture.height_mm, image.size, dpi)
    return SealImage(
        png=_png(image), width_mm=width_mm, height_mm=height_mm, pixel_width=image.width, pixel_height=image.height
    )


def _decode_raster(data: bytes, fmt: str, declared: str):
    """Pillow image (not yet converted) and its dpi (0 when unknown)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise SealFormatError(f"seal picture too large: {opened.width}x{opened.height} pixels")
            opened.load()
            image = opened.copy()
            image.info = dict(opened.info)
    except SealFormatError:
        raise
    except Exception as exc:  # Pillow raises many kinds of errors for damaged data
        raise SealFormatError(f"seal picture ({declared or fmt}) could not be decoded: {exc}") from exc
    dpi = image.info.get("dpi")
    try:
        dpi_value = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        dpi_value = 0.0
    return image, dpi_value


def _rasterise_svg(data: bytes, width_mm: float, declared: str):
    import pymupdf
    from PIL import Image

    try:
        doc = pymupdf.open(stream=data, filetype="svg")
        try:
            page = doc[0]
            page_mm = page.rect.width * 25.4 / 72
            target_mm = width_mm if width_mm and width_mm > 0 else page_mm
            zoom = (target_mm / 25.4 * SVG_DPI) / page.rect.width
            if page.rect.width * zoom * page.rect.height * zoom > MAX_PIXELS:
                zoom = (MAX_PIXELS / (page.rect.width * page.rect.height)) ** 0.5
            pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=True)
            # MuPDF pixmaps are premultiplied.
            image = Image.frombytes("RGBa", (pix.width, pix.height), pix.samples).convert("RGBA")
        finally:
            doc.close()
    except Exception as exc:
        raise SealFormatError(f"seal picture ({declared or 'SVG'}) could not be rasterised: {exc}") from exc
    # Make the physical size follow the chosen zoom even without a size in the seal.
    image.info["dpi"] = (SVG_DPI, SVG_DPI)
    return image


def _transparent_paper(image):
    """RGBA with the white paper removed.

    Pictures with graded (anti-aliased) alpha and no opaque white background are kept as they are.
    """
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if image.mode == "CMYK":
        image = image.convert("RGB")
    rgba = image.convert("RGBA")
    if not has_alpha:
        return _white_to_alpha(rgba, existing_alpha=None)
    alpha = rgba.getchannel("A")
    histogram = alpha.histogram()
    graded = any(histogram[1:255])
    if graded and not _has_opaque_paper(rgba):
        return rgba  # real anti-aliased transparency over no paper: trust it
    # Only 0 and 255 (edges blended onto white), or an opaque white background: remove the white.
    return _white_to_alpha(rgba, existing_alpha=alpha if histogram[0] or graded else None)


def _has_opaque_paper(rgba) -> bool:
    """Whether at least 1 % of the picture is opaque near-white: a background that must go."""
    from PIL import ImageChops

    r, g, b, a = rgba.split()
    light = ImageChops.darker(ImageChops.darker(r, g), b).point([255 if v > 235 else 0 for v in range(256)])
    opaque = a.point([255 if v == 255 else 0 for v in range(256)])
    paper = ImageChops.multiply(light, opaque).histogram()[255]
    return paper * 100 >= rgba.width * rgba.height


def _white_to_alpha(rgba, existing_alpha):
    """'Colour to alpha' with white: alpha = distance from white of the darkest channel; colour un-blended."""
    from PIL import Image, ImageChops, ImageMath

    r, g, b, _ = rgba.split()
    darkest = ImageChops.darker(ImageChops.darker(r, g), b)
    coverage = ImageChops.invert(darkest)  # 0 for white paper, 255 for full ink
    t = _WHITE_THRESHOLD
    alpha = coverage.point([0 if v <= t else round((v - t) * 255 / (255 - t)) for v in range(256)])
    if existing_alpha is not None:
        alpha = ImageChops.multiply(alpha, existing_alpha)

    def unblend(channel):
        # channel = ink * coverage + 255 * (1 - coverage)  =>  ink = 255 - (255 - channel) / coverage
        return ImageMath.lambda_eval(lambda a: 255 - (255 - a["c"]) * 255 / a["m"], c=channel, m=coverage).convert(
            "L"
        )

    return Image.merge("RGBA", (unblend(r), unblend(g), unblend(b), alpha))


def _physical_size(width_mm: float, height_mm: float, pixels: tuple[int, int], dpi: float) -> tuple[float, float]:
    """The seal's own size wins; otherwise the image's dpi if plausible; otherwise 40 mm on the long side."""
    px_w, px_h = pixels
    width_mm = float(width_mm or 0)
    height_mm = float(height_mm or 0)
    if width_mm > 0 and height_mm > 0:
        return width_mm, height_mm
    if width_mm > 0:
        return width_mm, width_mm * px_h / px_w
    if height_mm > 0:
        return height_mm * px_w / px_h, height_mm
    low, high = _PLAUSIBLE_MM
    if dpi > 0:
        w, h = px_w / dpi * 25.4, px_h / dpi * 25.4
        if low <= max(w, h) <= high:
            return w, h
    scale = DEFAULT_SIZE_MM / max(px_w, px_h)
    return px_w * scale, px_h * scale


def _png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def slice_bounds(pixel_width: int, count: int) -> list[int]:
    """Pixel column boundaries of `count` near-equal slices: slice i spans [b[i], b[i+1])."""
    return [(i * pixel_width + count // 2) // count for i in range(count + 1)]


def slice_image(image: SealImage, index: int, count: int) -> SealImage:
    """Vertical slice `index` (0 = left-most) of `count` equal slices, for cross-page seals (骑缝章)."""
    from PIL import Image

    if not isinstance(count, int) or count < 1:
        raise InvalidArgument(f"count={count!r}", what="number of slices must be at least 1")
    if count > image.pixel_width:
        raise InvalidArgument(
            f"count={count} > {image.pixel_width} pixel columns", what="more slices than the seal picture is wide"
        )
    if not isinstance(index, int) or not 0 <= index < count:
        raise InvalidArgument(f"index={index!r} count={count}", what="slice index")
    if count == 1:
        return image
    bounds = slice_bounds(image.pixel_width, count)
    with Image.open(io.BytesIO(image.png)) as source:
        part = source.convert("RGBA").crop((bounds[index], 0, bounds[index + 1], image.pixel_height))
    return SealImage(
        png=_png(part),
        width_mm=image.width_mm / count,
        height_mm=image.height_mm,
        pixel_width=part.width,
        pixel_height=part.height,
    )


def image_for_spot(image: SealImage, slice_index: int | None, slice_count: int | None) -> SealImage:
    """The whole picture, or the requested slice when the spot is part of a cross-page seal."""
    if slice_index is None and slice_count is None:
        return image
    if slice_index is None or slice_count is None:
        raise InvalidArgument(
            f"slice_index={slice_index!r} slice_count={slice_count!r}", what="slice index and count go together"
        )
    return slice_image(image, slice_index, slice_count)

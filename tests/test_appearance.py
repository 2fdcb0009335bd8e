"""Seal pictures turned into transparent stamp images, and cross-page slices that tile exactly."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw

from app.core.appearance import SealImage, image_for_spot, seal_image, slice_bounds, slice_image
from app.core.errors import InvalidArgument, SealError, SealFormatError, SealPictureUnsupported
from app.core.seal_art import draw_round_seal

INTEROP = Path(__file__).parent / "data" / "interop"


@dataclass(frozen=True)
class Picture:
    """Stand-in with the fields of app.core.ses.SealPicture."""

    type: str
    data: bytes
    width_mm: float
    height_mm: float


def _png_in_seal(path: Path) -> bytes:
    """The picture of a seal file: from the PNG signature to the end of the IEND chunk."""
    raw = path.read_bytes()
    start = raw.index(b"\x89PNG\r\n\x1a\n")
    end = raw.index(b"IEND", start) + 8  # chunk type + CRC
    return raw[start:end]


def _open(image: SealImage) -> Image.Image:
    pix = pymupdf.Pixmap(image.png)  # MuPDF decodes it too, independently of Pillow
    assert pix.alpha == 1 and (pix.width, pix.height) == (image.pixel_width, image.pixel_height)
    decoded = Image.open(io.BytesIO(image.png))
    decoded.load()
    assert decoded.mode == "RGBA"
    assert decoded.size == (image.pixel_width, image.pixel_height)
    return decoded


def _pixels(image: Image.Image) -> list[tuple[int, int, int, int]]:
    bands = [band.tobytes() for band in image.split()]
    return list(zip(*bands, strict=True))


def _no_visible_paper(image: Image.Image) -> None:
    """No light pixel is left visible: the paper is transparent, including around the edges."""
    for r, g, b, a in _pixels(image):
        if a > 8:
            assert min(r, g, b) < 160, (r, g, b, a)


def _red_on_white(fmt: str, size: int = 472, dpi: int | None = 300, mode: str = "RGB") -> bytes:
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    margin = size // 20
    draw.ellipse((margin, margin, size - margin, size - margin), outline=(230, 0, 18), width=size // 30)
    draw.regular_polygon((size / 2, size / 2, size / 6), 5, fill=(230, 0, 18))
    # A supersampled copy gives anti-aliased edges like a scanned or exported seal.
    image = image.resize((size * 2, size * 2)).resize((size, size), Image.Resampling.LANCZOS)
    if mode != "RGB":
        image = image.convert(mode)
    out = io.BytesIO()
    params = {"dpi": (dpi, dpi)} if dpi else {}
    if fmt == "JPEG":
        params["quality"] = 85
    image.save(out, format=fmt, **params)
    return out.getvalue()


@pytest.fixture(scope="module")
def interop_png() -> bytes:
    return _png_in_seal(INTEROP / "UserV4.esl")


@pytest.fixture(scope="module")
def interop_image(interop_png: bytes) -> SealImage:
    return seal_image(Picture("PNG", interop_png, 40, 40))


def test_interop_seal_picture(interop_png: bytes, interop_image: SealImage):
    assert interop_image.width_mm == 40 and interop_image.height_mm == 40
    assert (interop_image.pixel_width, interop_image.pixel_height) == (400, 400)
    image = _open(interop_image)
    for corner in ((0, 0), (399, 0), (0, 399), (399, 399)):
        assert image.getpixel(corner)[3] == 0
    # The original is a palette PNG with one transparent index and edges blended onto white:
    # the full-ink pixels stay exactly as they were, the pink edge pixels become translucent red.
    original = Image.open(io.BytesIO(interop_png)).convert("RGBA")
    original_ink = sum(1 for p in _pixels(original) if p == (255, 0, 0, 255))
    assert original_ink > 10000
    result = _pixels(image)
    assert sum(1 for p in result if p == (255, 0, 0, 255)) == original_ink
    translucent = [p for p in result if 0 < p[3] < 255]
    assert translucent and all(p[:3] == (255, 0, 0) for p in translucent)
    _no_visible_paper(image)


def test_picture_with_graded_alpha_is_kept_as_is():
    png = draw_round_seal("北京市某某科技有限公司", "合同专用章", dpi=300)
    result = seal_image(Picture("PNG", png, 42, 42))
    original = Image.open(io.BytesIO(png)).convert("RGBA")
    assert _pixels(_open(result)) == _pixels(original)
    assert (result.width_mm, result.height_mm) == (42, 42)


@pytest.mark.parametrize("fmt,declared", [("JPEG", "JPG"), ("JPEG", "jpeg"), ("BMP", "BMP"), ("PNG", "png")])
def test_red_on_white_becomes_transparent(fmt: str, declared: str):
    data = _red_on_white(fmt)
    result = seal_image(Picture(declared, data, 40, 40))
    image = _open(result)
    assert (result.pixel_width, result.pixel_height) == (472, 472)
    w, h = image.size
    for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (w // 4, h // 4)):
        assert image.getpixel(corner)[3] == 0, corner
    # The star's centre is solid red ink.
    r, g, b, a = image.getpixel((w // 2, h // 2))
    assert a >= 240 and r > 200 and g < 30 and b < 40
    # Anti-aliasing survives as partial alpha instead of a hard cut.
    alphas = image.getchannel("A").histogram()
    assert sum(alphas[1:255]) > 500
    _no_visible_paper(image)


def test_gif_with_palette():
    data = _red_on_white("GIF", size=300, dpi=None, mode="P")
    result = seal_image(Picture("GIF", data, 0, 0))
    image = _open(result)
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((150, 150))[3] > 200
    _no_visible_paper(image)
    # Neither the seal nor the image says how large it is: 40 mm.
    assert (result.width_mm, result.height_mm) == (40.0, 40.0)


def test_size_from_image_dpi_when_the_seal_says_zero():
    data = _red_on_white("JPEG", size=472, dpi=300)
    result = seal_image(Picture("JPG", data, 0, 0))
    assert result.width_mm == pytest.approx(472 / 300 * 25.4, abs=0.05)
    assert result.height_mm == pytest.approx(result.width_mm)
    # An implausible dpi (a 472-pixel seal at 72 dpi would be 167 mm) falls back to 40 mm.
    result = seal_image(Picture("JPG", _red_on_white("JPEG", size=472, dpi=72), 0, 0))
    assert result.width_mm == pytest.approx(40.0)
    # Only one side given: the other follows the aspect ratio.
    wide = Image.new("RGB", (400, 300), (255, 255, 255))
    ImageDraw.Draw(wide).ellipse((10, 10, 390, 290), outline=(230, 0, 18), width=12)
    out = io.BytesIO()
    wide.save(out, format="PNG")
    result = seal_image(Picture("PNG", out.getvalue(), 40, 0))
    assert (result.width_mm, result.height_mm) == (40, pytest.approx(30))


def test_mislabelled_picture_is_decoded_by_content():
    result = seal_image(Picture("PNG", _red_on_white("JPEG"), 40, 40))
    assert _open(result).getpixel((0, 0))[3] == 0


def test_svg_is_rasterised():
    svg = (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="30mm" '
        b'viewBox="0 0 40 30"><rect width="40" height="30" fill="white"/>'
        b'<ellipse cx="20" cy="15" rx="19" ry="14" fill="none" stroke="#E60012" stroke-width="1"/>'
        b'<circle cx="20" cy="15" r="4" fill="#E60012"/></svg>'
    )
    result = seal_image(Picture("SVG", svg, 40, 30))
    assert (result.width_mm, result.height_mm) == (40, 30)
    assert abs(result.pixel_width - 40 / 25.4 * 400) <= 1
    image = _open(result)
    assert image.getpixel((2, 2))[3] == 0  # the white rectangle became transparent paper
    r, g, b, a = image.getpixel((result.pixel_width // 2, result.pixel_height // 2))
    assert a == 255 and (r, g, b) == (230, 0, 18)
    _no_visible_paper(image)


def test_ofd_vector_seal_is_refused_clearly():
    container = io.BytesIO()
    with zipfile.ZipFile(container, "w") as archive:
        archive.writestr("OFD.xml", "<ofd:OFD/>")
    with pytest.raises(SealPictureUnsupported) as caught:
        seal_image(Picture("OFD", container.getvalue(), 40, 40))
    assert "OFD" in caught.value.user_message()
    # An OFD container labelled as PNG is refused the same way.
    with pytest.raises(SealPictureUnsupported):
        seal_image(Picture("PNG", container.getvalue(), 40, 40))


def test_damaged_pictures_give_typed_errors(interop_png: bytes):
    with pytest.raises(SealFormatError) as caught:
        seal_image(Picture("PNG", b"this is not a picture at all", 40, 40))
    assert "PNG" in caught.value.detail
    with pytest.raises(SealFormatError) as caught:
        seal_image(Picture("PNG", interop_png[: len(interop_png) // 2], 40, 40))
    assert caught.value.detail
    with pytest.raises(SealFormatError):
        seal_image(Picture("JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 40, 40, 40))
    with pytest.raises(SealFormatError):
        seal_image(Picture("SVG", b"<svg xmlns='http://www.w3.org/2000/svg'><unclosed", 40, 40))
    with pytest.raises(SealPictureUnsupported):
        seal_image(Picture("TIFF", b"II*\x00garbage", 40, 40))
    with pytest.raises(SealError):
        seal_image(Picture("PNG", b"", 40, 40))


@pytest.mark.parametrize("count", range(1, 8))
def test_slices_tile_the_picture_exactly(interop_image: SealImage, count: int):
    whole = _open(interop_image)
    slices = [slice_image(interop_image, i, count) for i in range(count)]
    assert sum(s.pixel_width for s in slices) == interop_image.pixel_width
    assert all(s.pixel_height == interop_image.pixel_height for s in slices)
    assert all(s.height_mm == interop_image.height_mm for s in slices)
    assert sum(s.width_mm for s in slices) == pytest.approx(interop_image.width_mm)
    assert all(s.width_mm == pytest.approx(interop_image.width_mm / count) for s in slices)
    # Equal slices: pixel widths differ by at most one column.
    widths = [s.pixel_width for s in slices]
    assert max(widths) - min(widths) <= 1
    # Put side by side, the slices are the original, pixel for pixel.
    joined = Image.new("RGBA", whole.size)
    x = 0
    for part in slices:
        joined.paste(_open(part), (x, 0))
        x += part.pixel_width
    assert joined.tobytes() == whole.tobytes()


def test_slice_bounds():
    assert slice_bounds(400, 3) == [0, 133, 267, 400]
    assert slice_bounds(10, 1) == [0, 10]
    assert slice_bounds(7, 7) == list(range(8))


def test_slice_arguments_are_checked(interop_image: SealImage):
    for index, count in ((0, 0), (3, 3), (-1, 2), (0, 401)):
        with pytest.raises(InvalidArgument):
            slice_image(interop_image, index, count)


def test_image_for_spot(interop_image: SealImage):
    assert image_for_spot(interop_image, None, None) is interop_image
    second = image_for_spot(interop_image, 1, 2)
    assert second == slice_image(interop_image, 1, 2)
    assert second.pixel_width == 200
    with pytest.raises(InvalidArgument):
        image_for_spot(interop_image, 1, None)

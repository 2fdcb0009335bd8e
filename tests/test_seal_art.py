"""Demo seal pictures: real PNGs with transparent paper, red ink, the right size and the right layout."""

from __future__ import annotations

import io
import math

import pymupdf
import pytest
from PIL import Image, ImageChops

from app.core import seal_art
from app.core.errors import InvalidArgument
from app.core.seal_art import draw_round_seal, draw_square_name_seal, name_seal_columns, name_seal_text

ORG = "北京市某某科技有限公司"
PURPOSE = "合同专用章"


def _decode(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pix = pymupdf.Pixmap(png)  # decodes with MuPDF as well, independently of Pillow
    assert pix.alpha == 1 and pix.n == 4
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.mode == "RGBA"
    assert (image.width, image.height) == (pix.width, pix.height)
    return image


def _expected_pixels(mm: float, dpi: int) -> float:
    return mm * dpi / 25.4


def _ink_stats(image: Image.Image) -> dict[str, int]:
    stats = {"clear": 0, "red_opaque": 0, "white_opaque": 0, "off_colour": 0, "total": 0}
    r_band, g_band, b_band, a_band = (band.tobytes() for band in image.split())
    for r, g, b, a in zip(r_band, g_band, b_band, a_band, strict=True):
        stats["total"] += 1
        if a == 0:
            stats["clear"] += 1
            continue
        if a == 255 and min(r, g, b) > 200:
            stats["white_opaque"] += 1
        if a == 255 and (r, g, b) == seal_art.SEAL_RED_RGB:
            stats["red_opaque"] += 1
        # Any visible pixel must be seal red (edges may differ by rounding of premultiplied alpha).
        if a >= 32 and not (r >= 200 and g <= 40 and b <= 60):
            stats["off_colour"] += 1
    return stats


def _ink_in_polar_box(image: Image.Image, r_min: float, r_max: float, a_from: float, a_to: float) -> int:
    """Opaque pixels whose polar position about the centre (angle clockwise from 12 o'clock) is in the box."""
    alpha = image.getchannel("A")
    w, h = image.size
    cx, cy = w / 2, h / 2
    count = 0
    step = 2
    for y in range(0, h, step):
        for x in range(0, w, step):
            dx, dy = x + 0.5 - cx, y + 0.5 - cy
            radius = math.hypot(dx, dy) / (w / 2)
            if not r_min <= radius <= r_max:
                continue
            angle = math.degrees(math.atan2(dx, -dy)) % 360
            lo, hi = a_from % 360, a_to % 360
            inside = lo <= angle <= hi if lo <= hi else (angle >= lo or angle <= hi)
            if inside and alpha.getpixel((x, y)) > 128:
                count += 1
    return count


@pytest.fixture(scope="module")
def round_seal() -> Image.Image:
    return _decode(draw_round_seal(ORG, PURPOSE, diameter_mm=42.0, dpi=400))


def test_font_has_every_glyph_used():
    font = pymupdf.Font(seal_art.CJK_FONT)
    for text in (ORG, PURPOSE, "上海测试有限公司财务专用章发票张三之印欧阳峰司马相如"):
        for ch in text:
            assert font.has_glyph(ord(ch)), ch


def test_round_seal_size_alpha_and_colour(round_seal: Image.Image):
    expected = _expected_pixels(42.0, 400)
    assert abs(round_seal.width - expected) <= 1 and abs(round_seal.height - expected) <= 1
    assert round_seal.info.get("dpi") and round(round_seal.info["dpi"][0]) == 400
    w, h = round_seal.size
    for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (w // 8, h // 8)):
        assert round_seal.getpixel(corner)[3] == 0, corner
    stats = _ink_stats(round_seal)
    assert stats["white_opaque"] == 0
    assert stats["off_colour"] == 0
    assert 0.12 < stats["red_opaque"] / stats["total"] < 0.5
    assert stats["clear"] / stats["total"] > 0.45
    # The star fills the centre; the rim is opaque at the top, bottom, left and right.
    assert round_seal.getpixel((w // 2, h // 2)) == (*seal_art.SEAL_RED_RGB, 255)
    rim = round(1.2 / 42 * w / 2)
    for x, y in ((w // 2, rim), (w // 2, h - 1 - rim), (rim, h // 2), (w - 1 - rim, h // 2)):
        assert round_seal.getpixel((x, y))[3] == 255, (x, y)


def test_round_seal_name_fills_upper_arc_and_leaves_bottom_free(round_seal: Image.Image):
    # The name band lies between about 0.55 and 0.9 of the radius.
    for a_from in range(-115, 115, 20):
        assert _ink_in_polar_box(round_seal, 0.55, 0.9, a_from, a_from + 20) > 20, a_from
    # Nothing on the lower arc below the purpose text (no code was given).
    assert _ink_in_polar_box(round_seal, 0.7, 0.9, 155, 205) == 0


def test_round_seal_name_runs_clockwise_from_lower_left():
    first = _decode(draw_round_seal("北京甲乙丙丁公司", dpi=300))
    first_changed = _decode(draw_round_seal("南京甲乙丙丁公司", dpi=300))
    last_changed = _decode(draw_round_seal("北京甲乙丙丁公所", dpi=300))
    diff_first = ImageChops.difference(first, first_changed).getbbox()
    diff_last = ImageChops.difference(first, last_changed).getbbox()
    w, h = first.size
    assert diff_first is not None and diff_last is not None
    # The first character sits at the lower left, the last at the lower right.
    assert diff_first[2] < w / 2 and diff_first[3] > h / 2
    assert diff_last[0] > w / 2 and diff_last[3] > h / 2


def test_round_seal_purpose_and_code_areas():
    plain = _decode(draw_round_seal(ORG, dpi=300))
    with_purpose = _decode(draw_round_seal(ORG, PURPOSE, dpi=300))
    with_code = _decode(draw_round_seal(ORG, PURPOSE, code="1101080012345", dpi=300))
    w, h = plain.size
    purpose_box = ImageChops.difference(plain, with_purpose).getbbox()
    assert purpose_box is not None
    # Horizontal text below the star, centred.
    assert purpose_box[1] > h * 0.6 and purpose_box[3] < h * 0.85
    assert abs((purpose_box[0] + purpose_box[2]) / 2 - w / 2) < w * 0.02
    assert _ink_in_polar_box(with_code, 0.7, 0.95, 140, 220) > 20
    code_box = ImageChops.difference(with_purpose, with_code).getbbox()
    assert code_box is not None and code_box[1] > h * 0.75


@pytest.mark.parametrize("diameter", [38.0, 40.0, 45.0, 60.0])
def test_round_seal_other_diameters_scale(diameter: float):
    image = _decode(draw_round_seal("某某县人民政府办公室", "", diameter_mm=diameter, dpi=300))
    assert abs(image.width - _expected_pixels(diameter, 300)) <= 1
    stats = _ink_stats(image)
    assert stats["white_opaque"] == 0 and stats["off_colour"] == 0
    assert image.getpixel((0, 0))[3] == 0
    # The star keeps its proportion: 14/42 of the diameter across.
    alpha_row = image.getchannel("A").crop((0, image.height // 2 - 1, image.width, image.height // 2))
    star_box = alpha_row.crop((image.width // 4, 0, 3 * image.width // 4, 1)).getbbox()
    assert star_box is not None


def test_long_names_do_not_overlap():
    image = _decode(draw_round_seal("中华人民共和国某某省某某市某某区人民政府办公室", diameter_mm=45.0, dpi=300))
    stats = _ink_stats(image)
    assert stats["off_colour"] == 0
    # A gap between neighbouring glyphs survives along the name's inner edge: some angles carry no ink.
    empty_angles = sum(
        1 for a in range(-140, 140, 2) if _ink_in_polar_box(image, 0.56, 0.62, a, a + 1) == 0
    )
    assert empty_angles > 10


def test_square_seal_text_and_columns():
    assert name_seal_text("张三") == "张三之印"
    assert name_seal_text("欧阳峰") == "欧阳峰印"
    assert name_seal_text("司马相如") == "司马相如"
    assert name_seal_text("张三", suffix="") == "张三"
    assert name_seal_text("张三", suffix="之印") == "张三之印"
    assert name_seal_text("欧阳峰", suffix="之印") == "欧阳峰印"
    assert name_seal_text("张三", suffix="私印") == "张三私印"
    assert name_seal_text("李", suffix="之印") == "李印"
    assert name_seal_columns("张三之印") == ["张三", "之印"]
    assert name_seal_columns("欧阳峰印") == ["欧阳", "峰印"]
    assert name_seal_columns("张三") == ["张", "三"]


def test_square_seal_image():
    image = _decode(draw_square_name_seal("张三", size_mm=20.0, dpi=400))
    assert abs(image.width - _expected_pixels(20.0, 400)) <= 1
    assert abs(image.height - _expected_pixels(20.0, 400)) <= 1
    stats = _ink_stats(image)
    assert stats["white_opaque"] == 0 and stats["off_colour"] == 0
    assert 0.2 < stats["red_opaque"] / stats["total"] < 0.8
    assert stats["clear"] / stats["total"] > 0.15
    w, h = image.size
    border = round(0.06 * w)
    # Border is opaque on all four sides, the strip inside it is transparent paper.
    for x, y in ((w // 2, border // 2), (border // 2, h // 2), (w - 1 - border // 2, h // 2), (w // 2, h - 1 - border // 2)):
        assert image.getpixel((x, y))[3] == 255
    inner_strip = image.getchannel("A").crop((border + 2, border + 2, w - border - 2, border + 4))
    assert inner_strip.getextrema()[1] < 255
    # Ink in each of the four cells.
    alpha = image.getchannel("A")
    for box in ((0.15, 0.15, 0.45, 0.45), (0.55, 0.15, 0.85, 0.45), (0.15, 0.55, 0.45, 0.85), (0.55, 0.55, 0.85, 0.85)):
        cell = alpha.crop(tuple(round(v * w) for v in box))
        assert cell.getextrema()[1] == 255, box


def test_square_seal_reads_right_column_first():
    base = _decode(draw_square_name_seal("张三", dpi=300))
    same_first = _decode(draw_square_name_seal("张四", dpi=300))
    other_first = _decode(draw_square_name_seal("李三", dpi=300))
    w, h = base.size
    top_right = (w // 2, 0, w, h // 2)
    assert ImageChops.difference(base.crop(top_right), same_first.crop(top_right)).getbbox() is None
    diff = ImageChops.difference(base, other_first).getbbox()
    assert diff is not None and diff[0] >= w // 2 - 2 and diff[3] <= h // 2 + 2
    changed_second = ImageChops.difference(base, same_first).getbbox()
    assert changed_second is not None and changed_second[0] >= w // 2 - 2 and changed_second[1] >= h // 2 - 2


def test_square_seal_size_is_configurable():
    for size in (18.0, 25.0):
        image = _decode(draw_square_name_seal("欧阳峰", size_mm=size, dpi=300))
        assert abs(image.width - _expected_pixels(size, 300)) <= 1


def test_invalid_input_is_refused():
    with pytest.raises(InvalidArgument):
        draw_round_seal("", PURPOSE)
    with pytest.raises(InvalidArgument):
        draw_round_seal(ORG, dpi=150)
    with pytest.raises(InvalidArgument):
        draw_round_seal(ORG, diameter_mm=5)
    with pytest.raises(InvalidArgument):
        draw_round_seal(ORG, code="12-34")
    with pytest.raises(InvalidArgument):
        draw_round_seal("\U00020000公司")  # outside the built-in font
    with pytest.raises(InvalidArgument):
        draw_square_name_seal("  ")


def test_oval_invoice_seal():
    image = _decode(seal_art.draw_oval_seal(ORG, code="91110108MA01234567", dpi=300))
    assert abs(image.width - _expected_pixels(40.0, 300)) <= 1
    assert abs(image.height - _expected_pixels(30.0, 300)) <= 1
    w, h = image.size
    for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        assert image.getpixel(corner)[3] == 0
    stats = _ink_stats(image)
    assert stats["white_opaque"] == 0 and stats["off_colour"] == 0
    assert 0.1 < stats["red_opaque"] / stats["total"] < 0.5
    # Ring at the ends of both axes.
    rim = round(1.0 / 30 * h)
    for x, y in ((w // 2, rim // 2 + 1), (w // 2, h - 2 - rim // 2), (rim // 2 + 1, h // 2), (w - 2 - rim // 2, h // 2)):
        assert image.getpixel((x, y))[3] > 200, (x, y)
    # The taxpayer number is a horizontal line across the middle, clear of the name.
    no_code = _decode(seal_art.draw_oval_seal(ORG, dpi=300))
    box = ImageChops.difference(no_code, image).getbbox()
    assert box is not None
    assert box[1] > h * 0.4 and box[3] < h * 0.65 and box[0] > w * 0.15 and box[2] < w * 0.85

"""Placement geometry: units, page boxes, rotation, spots, page lists, cross-page slices.

The decisive test is `test_rendered_spot_lands_where_requested`: a filled rectangle is written at
spot.rect straight into the page's content stream (user space, no PyMuPDF coordinate helpers), the
page is rendered as displayed (rotated and cropped) by MuPDF *and* by poppler, and the red pixels must
sit at the requested visible-page millimetres.
"""

from __future__ import annotations

import random
import subprocess
from io import BytesIO
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from app.core import errors
from app.core.placement import (
    MM_PER_PT,
    PageGeometry,
    StampSpot,
    cross_page_spots,
    mm_to_pt,
    normalise_rotation,
    page_geometries,
    parse_page_list,
    pt_to_mm,
    spot_at,
    spots_on_pages,
    user_to_visible_mm,
    visible_mm_to_user,
)

A4 = (0.0, 0.0, 595.2756, 841.8898)  # 210 × 297 mm
A3 = (0.0, 0.0, 841.8898, 1190.5512)  # 297 × 420 mm
LETTER = (0.0, 0.0, 612.0, 792.0)  # 8.5 × 11 in
OFFSET_MEDIA = (100.0, 200.0, 695.0, 1042.0)
OFFSET_CROP = (150.0, 260.0, 600.0, 900.0)
ROTATIONS = (0, 90, 180, 270)
DPI = 150

# --- building and rendering real PDFs ---------------------------------------------------------------


def _box(b) -> str:
    return "[" + " ".join(format(v, ".4f") for v in b) + "]"


def make_pdf(pages: list[dict]) -> bytes:
    """A PDF whose pages have exactly the given raw /MediaBox, /CropBox, /Rotate and content stream."""
    doc = pymupdf.open()
    for spec in pages:
        page = doc.new_page()
        doc.xref_set_key(page.xref, "MediaBox", _box(spec["media"]))
        if spec.get("crop") is not None:
            doc.xref_set_key(page.xref, "CropBox", _box(spec["crop"]))
        doc.xref_set_key(page.xref, "Rotate", str(spec.get("rotate", 0)))
        content = doc.get_new_xref()
        doc.update_object(content, "<<>>")
        doc.update_stream(content, spec.get("content", b""))
        doc.xref_set_key(page.xref, "Contents", f"{content} 0 R")
    return doc.tobytes()


def red_boxes(rects) -> bytes:
    """Content stream filling each user-space rect in pure red."""
    ops = [b"1 0 0 rg"]
    for x0, y0, x1, y1 in rects:
        ops.append(b"%.4f %.4f %.4f %.4f re f" % (x0, y0, x1 - x0, y1 - y0))
    return b"\n".join(ops)


def ink_box_mm(img: Image.Image, dpi: int = DPI):
    """Bounding box (left, top, right, bottom, mm) of the non-white pixels of a rendered page."""
    mask = img.convert("L").point(lambda v: 255 if v < 160 else 0)
    box = mask.getbbox()
    assert box is not None, "nothing was drawn on the rendered page"
    return tuple(v * 25.4 / dpi for v in box)


def render_mupdf(pdf: bytes) -> list[Image.Image]:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    images = []
    for page in doc:
        pix = page.get_pixmap(dpi=DPI, alpha=False)
        images.append(Image.frombytes("RGB", (pix.width, pix.height), pix.samples))
    return images


def render_poppler(pdf: bytes, tmp_path: Path) -> list[Image.Image]:
    src = tmp_path / "render.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-cropbox", "-r", str(DPI), "-png", str(src), str(tmp_path / "p")], check=True)
    files = sorted(tmp_path.glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    return [Image.open(BytesIO(f.read_bytes())).convert("RGB") for f in files]


def clipped(box, size):
    w, h = size
    return (max(box[0], 0), max(box[1], 0), min(box[2], w), min(box[3], h))


# --- units ------------------------------------------------------------------------------------------


def test_mm_pt_conversions():
    assert MM_PER_PT == pytest.approx(0.352777, abs=1e-6)
    assert mm_to_pt(25.4) == pytest.approx(72)
    assert pt_to_mm(72) == pytest.approx(25.4)
    assert mm_to_pt(42) == pytest.approx(119.055, abs=1e-3)
    assert mm_to_pt(210) == pytest.approx(595.2756, abs=1e-4)
    assert mm_to_pt(297) == pytest.approx(841.8898, abs=1e-4)
    rng = random.Random(7)
    for _ in range(200):
        v = rng.uniform(-1000, 1000)
        assert pt_to_mm(mm_to_pt(v)) == pytest.approx(v, abs=1e-9)


@pytest.mark.parametrize(
    "media,size_mm", [(A4, (210, 297)), (A3, (297, 420)), (LETTER, (215.9, 279.4))], ids=["A4", "A3", "Letter"]
)
@pytest.mark.parametrize("rotation", ROTATIONS)
def test_visible_size(media, size_mm, rotation):
    page = PageGeometry(0, media, None, rotation)
    expected = size_mm if rotation in (0, 180) else size_mm[::-1]
    assert page.visible_size_mm == pytest.approx(expected, abs=1e-3)
    assert page.cropbox == media


def test_rotation_normalised():
    assert [normalise_rotation(r) for r in (0, 90, 180, 270, 360, 450, -90, -180, -270, 720)] == [
        0,
        90,
        180,
        270,
        0,
        90,
        270,
        180,
        90,
        0,
    ]
    # not a multiple of 90 (spec violation): nearest multiple, half up — what MuPDF displays
    assert [normalise_rotation(r) for r in (44, 45, 135, 300, -10)] == [0, 90, 180, 270, 0]
    assert PageGeometry(0, A4, None, -90).rotation == 270


def test_boxes_normalised_and_intersected():
    page = PageGeometry(3, (595, 842, 0, 0), (700, 900, -50, 100))
    assert page.mediabox == (0, 0, 595, 842)
    assert page.cropbox == (0, 100, 595, 842)  # crop beyond the media box is cut to it
    assert page.index == 3 and page.rotation == 0
    # a crop box that misses the media box is ignored
    assert PageGeometry(0, (0, 0, 100, 100), (200, 200, 300, 300)).cropbox == (0, 0, 100, 100)
    with pytest.raises(errors.InvalidArgument):
        PageGeometry(0, (0, 0, 0, 100))


# --- points ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rotation,visible,user",
    [
        # rotation 0: the visible top-left is the top-left of the page
        (0, (0, 0), (0, 841.8898)),
        (0, (210, 297), (595.2756, 0)),
        (0, (10, 20), (mm_to_pt(10), 841.8898 - mm_to_pt(20))),
        # /Rotate 90 turns clockwise: the bottom-left corner comes to the top-left, the left edge on top
        (90, (0, 0), (0, 0)),
        (90, (297, 0), (0, 841.8898)),
        (90, (0, 210), (595.2756, 0)),
        (90, (10, 20), (mm_to_pt(20), mm_to_pt(10))),
        # 180: upside down, the bottom-right corner is at the top-left
        (180, (0, 0), (595.2756, 0)),
        (180, (10, 20), (595.2756 - mm_to_pt(10), mm_to_pt(20))),
        # 270 (= 90 anticlockwise): the top-right corner comes to the top-left
        (270, (0, 0), (595.2756, 841.8898)),
        (270, (297, 210), (0, 0)),
        (270, (10, 20), (595.2756 - mm_to_pt(20), 841.8898 - mm_to_pt(10))),
    ],
)
def test_known_points_a4(rotation, visible, user):
    page = PageGeometry(0, A4, None, rotation)
    assert visible_mm_to_user(page, *visible) == pytest.approx(user, abs=1e-3)
    assert user_to_visible_mm(page, *user) == pytest.approx(visible, abs=1e-3)


@pytest.mark.parametrize(
    "rotation,user_top_left", [(0, (50, 700)), (90, (50, 60)), (180, (500, 60)), (270, (500, 700))]
)
def test_known_points_offset_crop(rotation, user_top_left):
    page = PageGeometry(0, A4, (50, 60, 500, 700), rotation)
    assert visible_mm_to_user(page, 0, 0) == pytest.approx(user_top_left)
    w_mm, h_mm = page.visible_size_mm
    assert (w_mm, h_mm) == pytest.approx(
        (pt_to_mm(450), pt_to_mm(640)) if rotation in (0, 180) else (pt_to_mm(640), pt_to_mm(450))
    )
    # the four visible corners are the four crop corners
    corners = {
        tuple(round(c, 6) for c in visible_mm_to_user(page, x, y)) for x in (0, w_mm) for y in (0, h_mm)
    }
    assert corners == {(50, 60), (50, 700), (500, 60), (500, 700)}


def test_known_points_offset_media():
    """MediaBox not at the origin, with a CropBox inside it."""
    page = PageGeometry(0, OFFSET_MEDIA, OFFSET_CROP, 90)
    assert visible_mm_to_user(page, 0, 0) == pytest.approx((150, 260))
    assert visible_mm_to_user(page, pt_to_mm(10), pt_to_mm(20)) == pytest.approx((170, 270))
    page = PageGeometry(0, OFFSET_MEDIA, None, 0)
    assert visible_mm_to_user(page, 0, 0) == pytest.approx((100, 1042))
    assert user_to_visible_mm(page, 100, 200) == pytest.approx((0, pt_to_mm(842)))
    assert user_to_visible_mm(page, 695, 200) == pytest.approx((pt_to_mm(595), pt_to_mm(842)))


@pytest.mark.parametrize("rotation", ROTATIONS)
@pytest.mark.parametrize(
    "media,crop", [(A4, None), (A3, None), (LETTER, None), (A4, (50, 60, 500, 700)), (OFFSET_MEDIA, OFFSET_CROP)]
)
def test_round_trips(media, crop, rotation):
    page = PageGeometry(0, media, crop, rotation)
    rng = random.Random(hash((media, crop, rotation)) & 0xFFFF)
    w, h = page.visible_size_mm
    for _ in range(100):
        x, y = rng.uniform(-20, w + 20), rng.uniform(-20, h + 20)
        ux, uy = visible_mm_to_user(page, x, y)
        assert user_to_visible_mm(page, ux, uy) == pytest.approx((x, y), abs=1e-9)
        px, py = rng.uniform(-100, 1300), rng.uniform(-100, 1300)
        assert visible_mm_to_user(page, *user_to_visible_mm(page, px, py)) == pytest.approx((px, py), abs=1e-9)
    # moving right/down on the visible page moves along the displayed axes, by the same distance
    a = visible_mm_to_user(page, 30, 40)
    b = visible_mm_to_user(page, 40, 40)
    c = visible_mm_to_user(page, 30, 50)
    assert pt_to_mm(abs(b[0] - a[0]) + abs(b[1] - a[1])) == pytest.approx(10)
    assert pt_to_mm(abs(c[0] - a[0]) + abs(c[1] - a[1])) == pytest.approx(10)


# --- spots ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rotation", ROTATIONS)
def test_spot_rect_size(rotation):
    page = PageGeometry(2, A4, None, rotation)
    centre = (page.visible_size_mm[0] / 2, page.visible_size_mm[1] / 2)
    spot = spot_at(page, centre, (42, 30))
    x0, y0, x1, y1 = spot.rect
    assert x0 < x1 and y0 < y1
    w, h = x1 - x0, y1 - y0
    if rotation in (0, 180):
        assert (w, h) == pytest.approx((119.055, 85.039), abs=1e-3)
    else:
        assert (w, h) == pytest.approx((85.039, 119.055), abs=1e-3)
    # page centre is the page centre whatever the rotation
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx((595.2756 / 2, 841.8898 / 2), abs=1e-3)
    assert spot == StampSpot(2, spot.rect, rotation, centre, (42, 30))
    assert spot.box_mm == pytest.approx((centre[0] - 21, centre[1] - 15, centre[0] + 21, centre[1] + 15))
    assert spot.size_pt == pytest.approx((119.055, 85.039), abs=1e-3)
    assert spot.slice_index is None and spot.slice_count is None


def test_spot_outside_page():
    page = PageGeometry(0, A4, None, 90)  # 297 × 210 mm as displayed
    spot_at(page, (21, 21), (42, 42))  # touching the corner from inside: on the page
    spot_at(page, (297 - 21.005, 210 - 21.005), (42, 42))  # 0.005 mm over: rounding, accepted
    for centre in [(-20, 100), (300, 215), (20, 100), (100, 200)]:  # partly outside: refused with the page size
        with pytest.raises(errors.SealOffPage) as err:
            spot_at(page, centre, (42, 42))
        assert "297×210 mm" in err.value.user_message() and "page 1" in err.value.user_message()
        spot_at(page, centre, (42, 42), partly_outside=True)  # cross-page slices may be clipped
    for centre in [(-20.99, 100), (317.99, 100), (100, -20.99), (100, 230.99)]:  # 0.01 mm still on the page
        spot_at(page, centre, (42, 42), partly_outside=True)
    for centre in [(-21.01, 100), (318.01, 100), (100, -21.01), (100, 231.01), (-100, -100)]:
        with pytest.raises(errors.PlacementInvalid):
            spot_at(page, centre, (42, 42), partly_outside=True)
    for bad_size in [(0, 10), (10, -1), (float("nan"), 10), (float("inf"), 10)]:
        with pytest.raises(errors.InvalidArgument):
            spot_at(page, (100, 100), bad_size)
    with pytest.raises(errors.InvalidArgument):
        spot_at(page, (float("nan"), 100), (42, 42))


def test_spots_on_pages():
    pages = [PageGeometry(i, A4, None, r) for i, r in enumerate((0, 90, 180, 270))]
    spots = spots_on_pages(pages, [3, 0, 1], (50, 60), (40, 30))
    assert [s.page_index for s in spots] == [3, 0, 1]
    assert [s.rotation for s in spots] == [270, 0, 90]
    for s in spots:
        assert s.center_mm == (50, 60)
        centre = ((s.rect[0] + s.rect[2]) / 2, (s.rect[1] + s.rect[3]) / 2)
        assert user_to_visible_mm(pages[s.page_index], *centre) == pytest.approx((50, 60))
    with pytest.raises(errors.PageOutOfRange) as exc:
        spots_on_pages(pages, [4], (50, 60), (40, 30))
    assert exc.value.params == {"page": 5, "count": 4}


# --- page lists -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec,expected",
    [
        ("1", [0]),
        ("1-3,5,-1", [0, 1, 2, 4, 9]),
        ("1~3", [0, 1, 2]),
        ("-3~-1", [7, 8, 9]),
        ("-3--1", [7, 8, 9]),
        ("2~-1", list(range(1, 10))),
        ("all", list(range(10))),
        ("ALL", list(range(10))),
        (" * ", list(range(10))),
        ("5,1-3,2,5,-10", [4, 0, 1, 2]),  # order kept, duplicates removed (-10 = page 1)
        (" 1 - 3 ， 8 ～ 9 ", [0, 1, 2, 7, 8]),  # spaces, full-width comma and tilde
        ("3-3", [2]),
        ("1,", [0]),
        ("+2", [1]),
    ],
)
def test_parse_page_list(spec, expected):
    assert parse_page_list(spec, 10) == expected


@pytest.mark.parametrize("spec", ["", " ", ",", "a", "1-", "-", "1-2-3", "1..3", "1;2", "3-1", "-1~-3", "1.5", "all,1"])
def test_parse_page_list_syntax_errors(spec):
    with pytest.raises(errors.InvalidArgument):
        parse_page_list(spec, 10)


@pytest.mark.parametrize("spec,page", [("0", 0), ("11", 11), ("-11", -11), ("1-11", 11), ("-12~-1", -12), ("3,0", 0)])
def test_parse_page_list_out_of_range(spec, page):
    with pytest.raises(errors.PageOutOfRange) as exc:
        parse_page_list(spec, 10)
    assert exc.value.params == {"page": page, "count": 10}
    assert "10" in str(exc.value)


def test_parse_page_list_empty_document():
    assert parse_page_list("all", 0) == []
    with pytest.raises(errors.PageOutOfRange):
        parse_page_list("1", 0)


# --- reading real PDFs -----------------------------------------------------------------------------


def test_page_geometries_raw_boxes(tmp_path):
    specs = [
        {"media": A4},
        {"media": A4, "crop": (50, 60, 500, 700), "rotate": 90},
        {"media": OFFSET_MEDIA, "crop": OFFSET_CROP, "rotate": 270},
        {"media": OFFSET_MEDIA, "rotate": 180},
        {"media": (595, 842, 0, 0), "crop": (-50, 100, 700, 900), "rotate": -90},
        {"media": LETTER, "rotate": 450},
    ]
    pdf = make_pdf(specs)
    geos = page_geometries(pdf)
    assert [g.index for g in geos] == list(range(len(specs)))
    assert geos[1].mediabox == A4 and geos[1].cropbox == (50, 60, 500, 700) and geos[1].rotation == 90
    assert geos[2].mediabox == OFFSET_MEDIA and geos[2].cropbox == OFFSET_CROP and geos[2].rotation == 270
    assert geos[3].cropbox == OFFSET_MEDIA and geos[3].rotation == 180
    assert geos[4].mediabox == (0, 0, 595, 842) and geos[4].cropbox == (0, 100, 595, 842)
    assert geos[4].rotation == 270 and geos[5].rotation == 90
    # the same from a path, and agreement with PyMuPDF's (flipped) view of the boxes
    path = tmp_path / "boxes.pdf"
    path.write_bytes(pdf)
    assert page_geometries(path) == geos == page_geometries(str(path))
    doc = pymupdf.open(path)
    for g, page in zip(geos, doc, strict=True):
        assert tuple(page.mediabox) == pytest.approx(g.mediabox)
        assert page.rotation == g.rotation
        assert tuple(page.rect)[2:] == pytest.approx(g.visible_size_pt)  # MuPDF's displayed size
    # poppler agrees on the displayed size and rotation of every page
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(len(specs)), str(path)], capture_output=True, text=True, check=True
    ).stdout
    sizes = [line for line in info.splitlines() if line.startswith("Page ") and " size:" in line]
    rots = [line for line in info.splitlines() if line.startswith("Page ") and " rot:" in line]
    for g, size_line, rot_line in zip(geos, sizes, rots, strict=True):
        w, _, h = size_line.split(":", 1)[1].split()[:3]
        assert (float(w), float(h)) == pytest.approx(g.unrotated_size_pt, abs=0.01)
        assert int(rot_line.split()[-1]) % 360 == g.rotation


def test_page_geometries_inherited_and_indirect():
    doc = pymupdf.open()
    for _ in range(2):
        doc.new_page()
    pages_node = int(doc.xref_get_key(doc[0].xref, "Parent")[1].split()[0])
    doc.xref_set_key(pages_node, "MediaBox", "[10 20 310 420]")
    doc.xref_set_key(pages_node, "CropBox", "[20 30 300 400]")
    doc.xref_set_key(pages_node, "Rotate", "90")
    first = doc[0].xref
    for key in ("MediaBox", "Rotate"):
        doc.xref_set_key(first, key, "null")  # null = absent: inherit from the page tree
    second = doc[1].xref
    box = doc.get_new_xref()
    doc.update_object(box, "[5 6 205 306]")
    rot = doc.get_new_xref()
    doc.update_object(rot, "180")
    doc.xref_set_key(second, "CropBox", f"{box} 0 R")
    doc.xref_set_key(second, "Rotate", f"{rot} 0 R")
    pdf = doc.tobytes()
    first_geo, second_geo = page_geometries(pdf)
    assert first_geo == PageGeometry(0, (10, 20, 310, 420), (20, 30, 300, 400), 90)
    assert second_geo.cropbox == (5, 6, 205, 306) and second_geo.rotation == 180
    reread = pymupdf.open(stream=pdf, filetype="pdf")
    assert tuple(reread[0].rect)[2:] == pytest.approx(first_geo.visible_size_pt)
    assert tuple(reread[1].rect)[2:] == pytest.approx(second_geo.visible_size_pt)


def test_page_without_mediabox_is_letter():
    """No /MediaBox anywhere (invalid, but seen): MuPDF, our preview, shows US Letter; so do we."""
    doc = pymupdf.open()
    page = doc.new_page()
    doc.xref_set_key(page.xref, "MediaBox", "null")
    pdf = doc.tobytes()
    assert page_geometries(pdf) == [PageGeometry(0, LETTER)]
    assert tuple(pymupdf.open(stream=pdf, filetype="pdf")[0].rect) == (0, 0, 612, 792)


def test_page_geometries_bad_input(tmp_path):
    with pytest.raises(errors.DocumentDamaged):
        page_geometries(b"not a pdf at all")
    with pytest.raises(errors.DocumentDamaged):
        page_geometries(tmp_path / "missing.pdf")
    encrypted = tmp_path / "enc.pdf"
    doc = pymupdf.open()
    doc.new_page()
    doc.save(encrypted, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="u", owner_pw="o")
    with pytest.raises(errors.DocumentEncrypted):
        page_geometries(encrypted)


# --- the proof: render what the spots say and look at the pixels ------------------------------------

RENDER_CASES = [
    # (media, crop, rotate, centre mm, size mm)
    *[(A4, None, r, (40, 60), (42, 30)) for r in ROTATIONS],
    *[(A4, (50, 60, 500, 700), r, (70, 35), (30, 18)) for r in ROTATIONS],
    *[(OFFSET_MEDIA, OFFSET_CROP, r, (25, 120), (20, 44)) for r in ROTATIONS],
    (A3, None, 90, (380, 250), (60, 60)),
    (LETTER, None, 270, (200, 150), (42, 42)),
    (A4, (50, 60, 500, 700), 90, (4, 5), (42, 30)),  # partly outside: clipped at the corner
    (OFFSET_MEDIA, OFFSET_CROP, 180, (150, 220), (42, 42)),  # partly outside: clipped at the corner
]


def test_rendered_spot_lands_where_requested(tmp_path):
    geos_and_spots = []
    specs = []
    for media, crop, rotate, centre, size in RENDER_CASES:
        geo = PageGeometry(len(specs), media, crop, rotate)
        spot = spot_at(geo, centre, size, partly_outside=True)
        specs.append({"media": media, "crop": crop, "rotate": rotate, "content": red_boxes([spot.rect])})
        geos_and_spots.append((geo, spot))
    pdf = make_pdf(specs)
    assert page_geometries(pdf) == [g for g, _ in geos_and_spots]
    for renderer, images in (("mupdf", render_mupdf(pdf)), ("poppler", render_poppler(pdf, tmp_path))):
        assert len(images) == len(RENDER_CASES)
        for (geo, spot), img in zip(geos_and_spots, images, strict=True):
            page_mm = (img.width * 25.4 / DPI, img.height * 25.4 / DPI)
            assert page_mm == pytest.approx(geo.visible_size_mm, abs=0.3), renderer
            expected = clipped(spot.box_mm, geo.visible_size_mm)
            got = ink_box_mm(img)
            assert got == pytest.approx(expected, abs=0.5), (renderer, geo, spot)
            if expected == spot.box_mm:  # fully inside: the centre is the requested one
                centre = ((got[0] + got[2]) / 2, (got[1] + got[3]) / 2)
                assert centre == pytest.approx(spot.center_mm, abs=0.5)


# --- cross-page seal -----------------------------------------------------------------------------


def _cross_pages():
    return [
        PageGeometry(0, A4, None, 0),
        PageGeometry(1, A4, (50, 60, 500, 700), 90),
        PageGeometry(2, OFFSET_MEDIA, OFFSET_CROP, 180),
        PageGeometry(3, LETTER, None, 270),
        PageGeometry(4, A3, None, 0),
    ]


@pytest.mark.parametrize("edge", ["right", "left"])
def test_cross_page_slices(edge):
    pages = _cross_pages()
    order = [0, 1, 2, 3, 4]
    spots = cross_page_spots(pages, order, (42, 40), edge=edge)
    n = len(order)
    assert [s.page_index for s in spots] == order
    assert [s.slice_count for s in spots] == [n] * n
    expected_slices = list(range(n)) if edge == "right" else list(reversed(range(n)))
    assert [s.slice_index for s in spots] == expected_slices
    assert sum(s.size_mm[0] for s in spots) == pytest.approx(42)
    for s in spots:
        page = pages[s.page_index]
        vw, vh = page.visible_size_mm
        left, top, right, bottom = s.box_mm
        assert s.size_mm == pytest.approx((42 / n, 40))
        if edge == "right":
            assert right == pytest.approx(vw, abs=1e-9)
        else:
            assert left == pytest.approx(0, abs=1e-9)
        assert (top + bottom) / 2 == pytest.approx(vh / 2)
        assert s.center_mm == pytest.approx(((left + right) / 2, (top + bottom) / 2))
        assert s.rotation == page.rotation
        # the user-space rect is the visible slice box, converted
        corners = [user_to_visible_mm(page, x, y) for x in s.rect[0::2] for y in s.rect[1::2]]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        assert (min(xs), min(ys), max(xs), max(ys)) == pytest.approx(s.box_mm, abs=1e-9)


def test_cross_page_y_offset_and_subset():
    pages = _cross_pages()
    spots = cross_page_spots(pages, [4, 1], (40, 40), y_mm=50)
    assert [(s.page_index, s.slice_index, s.slice_count) for s in spots] == [(4, 0, 2), (1, 1, 2)]
    assert all(s.center_mm[1] == pytest.approx(50) for s in spots)
    assert spots[0].center_mm[0] == pytest.approx(297 - 10)
    assert spots[1].center_mm[0] == pytest.approx(pt_to_mm(640) - 10)


def test_cross_page_refusals():
    pages = _cross_pages()
    for indexes in ([], [0]):
        with pytest.raises(errors.InvalidArgument):
            cross_page_spots(pages, indexes, (42, 42))
    with pytest.raises(errors.InvalidArgument):
        cross_page_spots(pages, [0, 0], (42, 42))
    with pytest.raises(errors.InvalidArgument):
        cross_page_spots(pages, [0, 1], (42, 42), edge="top")
    with pytest.raises(errors.InvalidArgument):
        cross_page_spots(pages, [0, 1], (0, 42))
    with pytest.raises(errors.PageOutOfRange):
        cross_page_spots(pages, [0, 7], (42, 42))
    with pytest.raises(errors.PlacementInvalid):
        cross_page_spots(pages, [0, 1], (42, 42), y_mm=-100)


@pytest.mark.parametrize("edge", ["right", "left"])
def test_rendered_cross_page_slices(edge, tmp_path):
    """Rendered slices are flush with the displayed edge, w/N wide and together as wide as the seal."""
    pages = _cross_pages()
    spots = cross_page_spots(pages, [0, 1, 2, 3, 4], (45, 30), edge=edge, y_mm=80)
    specs = [
        {"media": p.mediabox, "crop": p.cropbox, "rotate": p.rotation, "content": red_boxes([s.rect])}
        for p, s in zip(pages, spots, strict=True)
    ]
    pdf = make_pdf(specs)
    for images in (render_mupdf(pdf), render_poppler(pdf, tmp_path)):
        widths = []
        for page, img in zip(pages, images, strict=True):
            left, top, right, bottom = ink_box_mm(img)
            vw, _ = page.visible_size_mm
            if edge == "right":
                assert right == pytest.approx(vw, abs=0.3)
            else:
                assert left == pytest.approx(0, abs=0.3)
            assert (top + bottom) / 2 == pytest.approx(80, abs=0.5)
            assert bottom - top == pytest.approx(30, abs=0.5)
            widths.append(right - left)
        assert widths == pytest.approx([9] * 5, abs=0.5)
        assert sum(widths) == pytest.approx(45, abs=1)


def test_cross_page_refuses_slices_thinner_than_a_millimetre():
    from app.core.errors import CrossPageTooManyPages
    from app.core.placement import PageGeometry, cross_page_spots

    pages = [PageGeometry(index=i, mediabox=(0, 0, 595.28, 841.89)) for i in range(60)]
    assert len(cross_page_spots(pages, list(range(42)), (42.0, 42.0))) == 42  # exactly 1 mm each
    with pytest.raises(CrossPageTooManyPages) as caught:
        cross_page_spots(pages, list(range(43)), (42.0, 42.0))
    assert "42" in caught.value.user_message() and "43" in caught.value.user_message()

"""Keyword placement (关键字盖章): PyMuPDF search hits converted to visible-page mm.

Text is written at known user-space positions (raw content streams, or PyMuPDF's insert_text on an
unrotated page whose /Rotate and /CropBox are changed afterwards), so the expected visible position
follows from the user-space position; independently, each page is rendered as displayed and the hit
must sit on the text's ink.
"""

from __future__ import annotations

import pymupdf
import pytest
from PIL import Image, ImageChops

from app.core import errors
from app.core.placement import (
    KeywordHit,
    PageGeometry,
    find_keyword,
    keyword_spots,
    mm_to_pt,
    page_geometries,
    pt_to_mm,
    user_to_visible_mm,
)

A4 = (0.0, 0.0, 595.2756, 841.8898)
OFFSET_MEDIA = (100.0, 200.0, 695.0, 1042.0)
OFFSET_CROP = (150.0, 260.0, 600.0, 900.0)
DPI = 150
HELV = pymupdf.Font("helv")
CJK = pymupdf.Font("china-s")
SEAL_HERE = "（盖章）"


def _box(b) -> str:
    return "[" + " ".join(format(v, ".4f") for v in b) + "]"


def text_ops(items) -> bytes:
    """Helvetica text (/F1) at user-space baselines: items of (x, y, size, text)."""
    return b"\n".join(b"BT /F1 %g Tf %g %g Td (%s) Tj ET" % (s, x, y, t.encode()) for x, y, s, t in items)


def make_pdf(pages: list[dict]) -> bytes:
    """Pages with raw /MediaBox, /CropBox, /Rotate and a content stream that may use Helvetica as /F1."""
    doc = pymupdf.open()
    font = doc.get_new_xref()
    doc.update_object(font, "<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>")
    for spec in pages:
        page = doc.new_page()
        doc.xref_set_key(page.xref, "MediaBox", _box(spec["media"]))
        if spec.get("crop") is not None:
            doc.xref_set_key(page.xref, "CropBox", _box(spec["crop"]))
        doc.xref_set_key(page.xref, "Rotate", str(spec.get("rotate", 0)))
        doc.xref_set_key(page.xref, "Resources", f"<</Font<</F1 {font} 0 R>>>>")
        content = doc.get_new_xref()
        doc.update_object(content, "<<>>")
        doc.update_stream(content, spec.get("content", b""))
        doc.xref_set_key(page.xref, "Contents", f"{content} 0 R")
    return doc.tobytes()


def helv_centre(x, y, size, text):
    """User-space centre of Helvetica text's search box (advance width × ascender–descender)."""
    return (x + HELV.text_length(text, size) / 2, y + size * (HELV.ascender + HELV.descender) / 2)


def render(pdf: bytes) -> list[Image.Image]:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    out = []
    for page in doc:
        pix = page.get_pixmap(dpi=DPI, alpha=False)
        out.append(Image.frombytes("RGB", (pix.width, pix.height), pix.samples))
    return out


def ink_box_mm(img: Image.Image, *, red: bool = False):
    """Box (mm) of dark pixels, or of red pixels when `red`."""
    if red:
        r, g, _ = img.split()
        mask = ImageChops.multiply(r.point(lambda v: 255 if v > 180 else 0), g.point(lambda v: 255 if v < 90 else 0))
    else:
        mask = img.convert("L").point(lambda v: 255 if v < 128 else 0)
    box = mask.getbbox()
    assert box is not None
    return tuple(v * 25.4 / DPI for v in box)


def centre(box):
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


ASCII_CASES = [
    # media, crop, rotate, (x, y) baseline start in user space
    *[(A4, None, r, (120, 300)) for r in (0, 90, 180, 270)],
    *[(OFFSET_MEDIA, OFFSET_CROP, r, (260, 420)) for r in (0, 90, 180, 270)],
    (A4, (-50, 100, 700, 900), 90, (80, 500)),  # crop beyond the media box: cut to it
    (OFFSET_MEDIA, None, 270, (400, 900)),
]


def test_ascii_keyword_positions():
    specs = [
        {"media": m, "crop": c, "rotate": r, "content": text_ops([(x, y, 10, "SEALHERE")])}
        for m, c, r, (x, y) in ASCII_CASES
    ]
    pdf = make_pdf(specs)
    geos = page_geometries(pdf)
    hits = find_keyword(pdf, "SEALHERE")
    assert [h.page_index for h in hits] == list(range(len(ASCII_CASES)))
    width_mm = pt_to_mm(HELV.text_length("SEALHERE", 10))
    for (_, _, rotate, (x, y)), geo, hit, img in zip(ASCII_CASES, geos, hits, render(pdf), strict=True):
        expected = user_to_visible_mm(geo, *helv_centre(x, y, 10, "SEALHERE"))
        assert hit.center_mm == pytest.approx(expected, abs=1.0), (geo, hit)
        assert hit.center_mm == pytest.approx(centre(hit.rect_mm))
        left, top, right, bottom = hit.rect_mm
        along = right - left if rotate in (0, 180) else bottom - top  # text runs down/up on 90/270 pages
        assert along == pytest.approx(width_mm, abs=0.2)
        # as displayed: the match sits on the rendered ink of the text
        assert hit.center_mm == pytest.approx(centre(ink_box_mm(img)), abs=1.0), geo


def _cjk_pdf(placements):
    """A4 pages: "（盖章）" inserted on the upright page at (x, top-left y) → then crop/rotate applied."""
    doc = pymupdf.open()
    for crop, rotate, (x, y) in placements:
        page = doc.new_page(width=A4[2], height=A4[3])
        page.insert_text((x, y), SEAL_HERE, fontname="china-s", fontsize=12)
        if crop is not None:
            doc.xref_set_key(page.xref, "CropBox", _box(crop))
        doc.xref_set_key(page.xref, "Rotate", str(rotate))
    return doc.tobytes()


CJK_CASES = [
    (None, 0, (100, 200)),
    (None, 90, (300, 700)),
    (None, 180, (420, 120)),
    (None, 270, (60, 500)),
    ((50, 60, 500, 700), 0, (200, 400)),
    ((50, 60, 500, 700), 90, (380, 300)),
    ((80, 90, 560, 760), 270, (100, 150)),
]


def cjk_expected_user(x, y, size=12):
    """User-space centre of "（盖章）" inserted at PyMuPDF point (x, y) on an upright A4 page at the origin."""
    baseline = A4[3] - y
    return (x + CJK.text_length(SEAL_HERE, size) / 2, baseline + size * (CJK.ascender + CJK.descender) / 2)


def test_cjk_keyword_on_rotated_and_cropped_pages():
    pdf = _cjk_pdf(CJK_CASES)
    geos = page_geometries(pdf)
    assert [g.rotation for g in geos] == [r for _, r, _ in CJK_CASES]
    hits = find_keyword(pdf, SEAL_HERE)
    assert [h.page_index for h in hits] == list(range(len(CJK_CASES)))
    for (_, _, (x, y)), geo, hit, img in zip(CJK_CASES, geos, hits, render(pdf), strict=True):
        expected = user_to_visible_mm(geo, *cjk_expected_user(x, y))
        assert hit.center_mm == pytest.approx(expected, abs=1.0), (geo, hit)
        assert hit.center_mm == pytest.approx(centre(ink_box_mm(img)), abs=1.0), geo
    # hand-derived spot check: upright A4, text box x 100..148 pt, centre ≈ 4.7 pt above the baseline
    assert hits[0].center_mm == pytest.approx((pt_to_mm(124), pt_to_mm(200 - 4.7)), abs=0.5)
    # /Rotate 90: displayed x = user y, displayed y = user x (mm)
    ux, uy = cjk_expected_user(300, 700)
    assert hits[1].center_mm == pytest.approx((pt_to_mm(uy), pt_to_mm(ux)), abs=0.5)


def test_keyword_spot_rendered_on_the_text():
    """End to end: keyword_spots → red box drawn at spot.rect in user space → rendered over the ink."""
    pdf = _cjk_pdf(CJK_CASES)
    geos = page_geometries(pdf)
    spots = keyword_spots(pdf, geos, SEAL_HERE, (20, 14), every=True)
    assert [s.page_index for s in spots] == list(range(len(CJK_CASES)))
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    text_centres = [centre(ink_box_mm(img)) for img in render(pdf)]
    for spot in spots:
        page = doc[spot.page_index]
        x0, y0, x1, y1 = spot.rect
        before, after = doc.get_new_xref(), doc.get_new_xref()
        doc.update_object(before, "<<>>")
        doc.update_stream(before, b"q")
        doc.update_object(after, "<<>>")
        doc.update_stream(after, b"Q 1 0 0 rg %.4f %.4f %.4f %.4f re f" % (x0, y0, x1 - x0, y1 - y0))
        old = " ".join(f"{x} 0 R" for x in page.get_contents())
        doc.xref_set_key(page.xref, "Contents", f"[{before} 0 R {old} {after} 0 R]")
    for spot, text_centre, img in zip(spots, text_centres, render(doc.tobytes()), strict=True):
        red = ink_box_mm(img, red=True)
        assert centre(red) == pytest.approx(text_centre, abs=1.0)
        assert (red[2] - red[0], red[3] - red[1]) == pytest.approx((20, 14), abs=0.5)  # upright as displayed
        assert centre(red) == pytest.approx(spot.center_mm, abs=0.5)


ORDER_PAGES = [
    # page 0 (/Rotate 90): displayed x = user y, displayed y = user x
    #   A at user (100, 100) → shown near (35, 35) mm; B at (100, 700) → (247, 35); C at (400, 300) → (106, 141)
    (90, [("C", 400, 300, 10), ("B", 100, 700, 10), ("A", 100, 100, 10)]),
    # page 1 upright: D low on the page; E high; F on E's line (baseline 2 pt lower), further right, larger
    (0, [("D", 50, 100, 10), ("F", 300, 700, 14), ("E", 50, 702, 10)]),
]


def _label_of(hit: KeywordHit, geos) -> str:
    """Which written "KEY" a hit is: the one whose expected visible centre is nearest."""
    _, items = ORDER_PAGES[hit.page_index]
    geo = geos[hit.page_index]

    def distance(item):
        _, x, y, size = item
        ex, ey = user_to_visible_mm(geo, *helv_centre(x, y, size, "KEY"))
        return (ex - hit.center_mm[0]) ** 2 + (ey - hit.center_mm[1]) ** 2

    best = min(items, key=distance)
    assert distance(best) < 1.0
    return best[0]


def test_document_order_first_and_every():
    specs = [
        {"media": A4, "rotate": r, "content": text_ops([(x, y, size, "KEY") for _, x, y, size in items])}
        for r, items in ORDER_PAGES
    ]
    pdf = make_pdf(specs)
    geos = page_geometries(pdf)
    hits = find_keyword(pdf, "KEY")
    assert [_label_of(h, geos) for h in hits] == ["A", "B", "C", "E", "F", "D"]
    # hand-derived: A's box centre is ≈3.9 pt above its baseline (user y) and half its width right (user x)
    a_up, a_half = 10 * (HELV.ascender + HELV.descender) / 2, HELV.text_length("KEY", 10) / 2
    assert hits[0].center_mm == pytest.approx((pt_to_mm(100 + a_up), pt_to_mm(100 + a_half)), abs=0.3)
    # only some pages (ASCII matches ignore case); repeated page indexes are searched once
    assert [_label_of(h, geos) for h in find_keyword(pdf, "key", pages=[1])] == ["E", "F", "D"]
    assert [h.page_index for h in find_keyword(pdf, "KEY", pages=[1, 0, 1])] == [1, 1, 1, 0, 0, 0]
    first = keyword_spots(pdf, geos, "KEY", (42, 42))
    assert len(first) == 1 and first[0].page_index == 0 and first[0].center_mm == hits[0].center_mm
    every = keyword_spots(pdf, geos, "KEY", (42, 42), every=True)
    assert [s.center_mm for s in every] == [h.center_mm for h in hits]
    only_second = keyword_spots(pdf, [geos[1]], "KEY", (42, 42))
    assert only_second[0].page_index == 1 and only_second[0].center_mm == hits[3].center_mm


def test_keyword_offset_and_size():
    pdf = _cjk_pdf([(None, 0, (100, 200)), ((50, 60, 500, 700), 90, (380, 300))])
    geos = page_geometries(pdf)
    hits = find_keyword(pdf, SEAL_HERE)
    spots = keyword_spots(pdf, geos, SEAL_HERE, (42, 30), every=True, offset_mm=(5, -8))
    for hit, spot, geo in zip(hits, spots, geos, strict=True):
        assert spot.center_mm == pytest.approx((hit.center_mm[0] + 5, hit.center_mm[1] - 8))
        assert spot.size_mm == (42, 30)
        x0, y0, x1, y1 = spot.rect
        assert user_to_visible_mm(geo, (x0 + x1) / 2, (y0 + y1) / 2) == pytest.approx(spot.center_mm)
        expected = (mm_to_pt(42), mm_to_pt(30)) if geo.rotation == 0 else (mm_to_pt(30), mm_to_pt(42))
        assert (x1 - x0, y1 - y0) == pytest.approx(expected)
    with pytest.raises(errors.PlacementInvalid):
        keyword_spots(pdf, geos, SEAL_HERE, (42, 30), offset_mm=(-500, 0))


def test_keyword_not_found_and_bad_input(tmp_path):
    pdf = _cjk_pdf([(None, 0, (100, 200)), (None, 0, (100, 200))])
    assert find_keyword(pdf, "不存在的文字") == []
    geos = page_geometries(pdf)
    with pytest.raises(errors.KeywordNotFound) as exc:
        keyword_spots(pdf, geos, "不存在的文字", (42, 42))
    assert "不存在的文字" in str(exc.value)
    # present, but not on the pages asked for
    blank = pymupdf.open(stream=pdf, filetype="pdf")
    blank.new_page()
    path = tmp_path / "three.pdf"
    blank.save(path)
    three = page_geometries(path)
    assert len(find_keyword(path, SEAL_HERE, pages=[0])) == 1
    with pytest.raises(errors.KeywordNotFound):
        keyword_spots(path, [three[2]], SEAL_HERE, (42, 42))
    with pytest.raises(errors.PageOutOfRange):
        find_keyword(path, SEAL_HERE, pages=[3])
    for bad in ("", "   "):
        with pytest.raises(errors.InvalidArgument):
            find_keyword(path, bad)
    with pytest.raises(errors.DocumentDamaged):
        find_keyword(b"%PDF-1.7 garbage", SEAL_HERE)
    # an open document is used as is and left open
    doc = pymupdf.open(path)
    assert find_keyword(doc, SEAL_HERE) == find_keyword(path, SEAL_HERE)
    assert not doc.is_closed


def test_geometry_matches_a_freshly_built_page():
    """The geometry used for hits is the raw one (not PyMuPDF's flipped cropbox)."""
    pdf = make_pdf([{"media": OFFSET_MEDIA, "crop": OFFSET_CROP, "rotate": 90}])
    assert page_geometries(pdf) == [PageGeometry(0, OFFSET_MEDIA, OFFSET_CROP, 90)]


def test_text_cropped_away_is_not_found():
    """Only text on the visible page counts: a match outside the CropBox is no place for a seal."""
    crop = (200, 200, 400, 400)
    pdf = make_pdf(
        [{"media": A4, "crop": crop, "rotate": 0, "content": text_ops([(50, 50, 10, "KEY"), (250, 300, 10, "KEY")])}]
    )
    hits = find_keyword(pdf, "KEY")
    assert len(hits) == 1
    expected = user_to_visible_mm(PageGeometry(0, A4, crop, 0), *helv_centre(250, 300, 10, "KEY"))
    assert hits[0].center_mm == pytest.approx(expected, abs=0.5)

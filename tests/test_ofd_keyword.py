"""Keyword positioning in OFD: hits at the positions the files' TextCode X/Y, DeltaX ("g" repeats,
negative steps) and DeltaY give, including words split across TextCode and TextObject elements. Expected
values are computed by hand from the XML (quoted in each test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core import errors, placement
from app.core.document import open_document
from app.core.ofd import read_ofd
from app.core.ofd.text import expand_deltas, find_keyword, page_geometries

INTEROP = Path(__file__).parent / "data" / "interop"
ASC, DESC = 0.88, 0.12


def _box(x: float, baseline: float, size: float, right: float) -> tuple[float, float, float, float]:
    return (x, baseline - ASC * size, right, baseline + DESC * size)


def test_g_repeats_in_delta_lists():
    assert expand_deltas("g 3 2.5 1") == [2.5, 2.5, 2.5, 1.0]
    assert expand_deltas("g 2 4.9389 g 4 2.4694") == [4.9389] * 2 + [2.4694] * 4
    assert expand_deltas("") == []


def test_word_split_across_textcodes_and_textobjects_keyword2():
    """keyword2.ofd page 1: "    重庆市马" (Boundary 57.16 170.84, X 0 Y 4.23, DeltaX 4×1.0585 then 4.234),
    "上融资" at 78.33, "担保有限公" at 91.03, "司" at 112.20; page 2 splits the same text as "    重庆市马上融"
    + "资" + "担保有限公" + "司". "马上融资" and "有限公司" span objects on both pages."""
    size, baseline = 4.234035968780518, 170.84 + 4.23
    with open_document(INTEROP / "keyword2.ofd") as doc:
        hits = doc.search("马上融资")
        assert [h.page for h in hits] == [0, 1]
        x = 57.16 + 4 * 1.0585090489150204 + 3 * 4.234036195660082
        expected = _box(x, baseline, size, 78.33 + 2 * 4.234036195660067 + size)
        for hit in hits:
            x0, y0, w, h = hit.rect_mm
            assert (x0, y0, x0 + w, y0 + h) == pytest.approx(expected, abs=0.01)
        company = doc.search("有限公司")
        assert [h.page for h in company] == [0, 1]
        assert company[0].rect_mm[0] == pytest.approx(91.03 + 4.234036195660067 + 4.234036195660082, abs=0.01)
        assert company[0].rect_mm[0] + company[0].rect_mm[2] == pytest.approx(112.20 + size, abs=0.01)
        assert doc.search("马上融资", pages=[1])[0].page == 1


def test_many_hits_inside_one_textcode_multi_keyword():
    """multiKeywordInTextCode.ofd: "打发打发打发打发打发哈哈打发哈哈哈哈哈哈哈哈哈打发" at Boundary 31.197 26.2888, X 0.553,
    Y 3.175, nine DeltaX values (3.6829/3.7251 alternating), then the font's own width (1 em = Size 3.6865).
    "哈哈" occurs at characters 10, 14, 16, 18 and 20 (non-overlapping)."""
    size = 3.6865
    deltas = [3.6829, 3.7251] * 4 + [3.6829]
    xs = [31.197 + 0.553]
    for i in range(24):
        xs.append(xs[-1] + (deltas[i] if i < len(deltas) else size))
    with open_document(INTEROP / "multiKeywordInTextCode.ofd") as doc:
        hits = doc.search("哈哈")
        assert [round(h.rect_mm[0], 3) for h in hits] == pytest.approx([xs[i] for i in (10, 14, 16, 18, 20)], abs=0.01)
        for hit in hits:
            assert hit.rect_mm[1] == pytest.approx(26.2888 + 3.175 - ASC * size, abs=0.01)
            assert hit.rect_mm[2] == pytest.approx(2 * size, abs=0.01)


def test_g_deltas_negative_step_and_delta_y_keyword():
    """keyword.ofd: "鲁（2020）泰安市不动产证明第0014777号" (Boundary 160.2785 19.8381, Y 4.2425, Size 4.9389,
    DeltaX "g 2 4.9389 g 4 2.4694 g 10 4.9389 …"): 泰 is character 7. The address (Boundary 191.2234 70.6235,
    DeltaX "g 14 4.2333 g 2 2.1166 -63.4995 …", DeltaY "g 16 0 4.2333 …") wraps inside one TextCode:
    "楼1单元" starts the second line at x 0, one line (4.2333 mm) lower."""
    with open_document(INTEROP / "keyword.ofd") as doc:
        first = doc.search("泰安市")
        assert len(first) == 2
        x0 = 160.2785 + 2 * 4.9389 + 4 * 2.4694 + 4.9389
        assert first[0].page == 0
        assert first[0].rect_mm[:2] == pytest.approx((x0, 19.8381 + 4.2425 - ASC * 4.9389), abs=0.01)
        assert first[0].rect_mm[2] == pytest.approx(3 * 4.9389, abs=0.01)
        wrapped = doc.search("楼1单元")
        assert len(wrapped) == 1
        assert wrapped[0].rect_mm[0] == pytest.approx(191.2234 + 14 * 4.2333 + 2 * 2.1166 - 63.4995, abs=0.01)
        assert wrapped[0].rect_mm[1] == pytest.approx(70.6235 + 3.6364 + 4.2333 - ASC * 4.2333, abs=0.01)
        assert doc.search("不在文中") == []


def test_same_api_as_pdf_keyword_placement():
    """find_keyword gives placement.KeywordHit; placement's spot functions work on OFD page geometries."""
    ofd = read_ofd(INTEROP / "keyword2.ofd")
    try:
        hits = find_keyword(ofd, "马上融资", pages=[1])
        assert isinstance(hits[0], placement.KeywordHit) and hits[0].page_index == 1
        pages = page_geometries(ofd)
        assert pages[1].visible_size_mm == pytest.approx((210.0, 297.0))
        spot = placement.spot_at(pages[1], hits[0].center_mm, (40, 40))
        assert spot.box_mm[0] == pytest.approx(hits[0].center_mm[0] - 20)
        with pytest.raises(errors.PageOutOfRange):
            find_keyword(ofd, "马上融资", pages=[5])
        with pytest.raises(errors.InvalidArgument):
            find_keyword(ofd, "  ")
    finally:
        ofd.close()

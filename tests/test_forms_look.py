"""Forms keep their look: stamping changes no pixel outside the seal pictures and keeps every AcroForm
entry (NeedAppearances above all: LibreOffice forms have values but no appearance streams, and without
it poppler and MuPDF show their fields empty). Checked on LibreOffice- and LaTeX-style forms
(tests/form_documents.py) and on the page corpus of tests/documents.py, rendered with PyMuPDF and poppler.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from documents import make_pdf
from form_documents import FIELDS, make_form_pdf
from verifiers import pdfsig_fields, qpdf_check

from app.core.ses import kinds
from app.core.stamping import CrossPagePlacement, SpotPlacement, Stamper, StampRequest
from app.core.usage.log import UsageLog

MM = 25.4 / 72
MARGIN_PX = 2


@pytest.fixture
def stamper(session, demo_key, tmp_path):  # noqa: F811
    log = UsageLog(tmp_path / "usage.sqlite3")
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.CONTRACT)
    yield Stamper(session, seal, usage_log=log)
    log.close()


def mupdf_pages(path: Path) -> list:
    """Every page rendered by PyMuPDF at 72 dpi (annotations and widgets included), as PIL images."""
    import pymupdf as fitz
    from PIL import Image

    with fitz.open(str(path)) as doc:
        pixmaps = [page.get_pixmap(dpi=72, annots=True, alpha=False) for page in doc]
    return [Image.frombytes("RGB", (p.width, p.height), p.samples) for p in pixmaps]


def poppler_page(path: Path, page_index: int):
    from PIL import Image

    prefix = path.with_suffix(f".poppler{page_index + 1}")
    subprocess.run(
        ["pdftoppm", "-r", "72", "-cropbox", "-png", "-singlefile", "-f", str(page_index + 1), "-l", str(page_index + 1),
         str(path), str(prefix)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return Image.open(f"{prefix}.png").convert("RGB")


def masked(image, boxes_mm):
    """A copy of the image with the seal boxes (visible mm, plus a small margin) painted black."""
    from PIL import ImageDraw

    copy = image.copy()
    draw = ImageDraw.Draw(copy)
    for x0, y0, x1, y1 in boxes_mm:
        draw.rectangle(
            (x0 / MM - MARGIN_PX, y0 / MM - MARGIN_PX, x1 / MM + MARGIN_PX, y1 / MM + MARGIN_PX), fill=(0, 0, 0)
        )
    return copy


def largest_difference(a, b) -> int:
    from PIL import ImageChops

    return max(high for _, high in ImageChops.difference(a, b).getextrema())


def assert_same_outside_seals(before: Path, after: Path, spots) -> None:
    """Every page, outside the seal boxes: identical in poppler; in MuPDF at most one level apart.

    MuPDF composites a page whose annotations use soft masks (the seal's transparent background) inside
    a transparency group, which moves antialiased glyph edges elsewhere on the page by one level of 255;
    anything a reader could see (a vanished field value, a moved or recoloured object) is far larger.
    """
    old, new = mupdf_pages(before), mupdf_pages(after)
    assert len(old) == len(new)
    for index, (a, b) in enumerate(zip(old, new, strict=True)):
        boxes = [s.box_mm for s in spots if s.page_index == index]
        assert a.size == b.size, index
        assert largest_difference(masked(a, boxes), masked(b, boxes)) <= 1, f"MuPDF: page {index + 1} changed"
        if boxes:
            assert largest_difference(a, b) > 100, f"no seal drawn on page {index + 1}"
        pa, pb = poppler_page(before, index), poppler_page(after, index)
        assert masked(pa, boxes).tobytes() == masked(pb, boxes).tobytes(), f"poppler: page {index + 1} changed"


def acroform(path: Path) -> dict:
    """The AcroForm's entries as (raw) pyHanko objects, /Fields and /SigFlags apart."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        form = reader.root["/AcroForm"]
        entries = {k: form.raw_get(k) for k in form if k != "/Fields"}
        resolved = {k: v.get_object() if hasattr(v, "get_object") else v for k, v in entries.items()}
        return {k: repr(v) for k, v in resolved.items()}


def need_appearances(path: Path) -> bool | None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as fh:
        form = PdfFileReader(fh, strict=False).root["/AcroForm"]
        return bool(form["/NeedAppearances"]) if "/NeedAppearances" in form else None


def dark_pixels(image, rect_pt, page_height: float = 842.0) -> int:
    x0, y0, x1, y1 = rect_pt
    px = image.load()
    return sum(
        1
        for y in range(int(page_height - y1), int(page_height - y0))
        for x in range(int(x0), int(x1))
        if sum(px[x, y][:3]) < 300
    )


@pytest.mark.parametrize("style", ["libreoffice", "latex"])
@pytest.mark.parametrize("placement", ["multi_page", "cross_page"])
def test_form_pages_are_pixel_identical_outside_the_seal(tmp_path, stamper, style, placement):
    from pyhanko.pdf_utils import generic

    extra = {"/XFA": generic.ArrayObject([generic.pdf_string("preamble"), generic.pdf_string("<xdp/>")])}
    source = make_form_pdf(tmp_path / f"{style}.pdf", style, extra_acroform=extra)
    request = (
        SpotPlacement((140.0, 240.0), pages="1-3")
        if placement == "multi_page"
        else CrossPagePlacement(pages="all")
    )
    result = stamper.stamp(StampRequest(source, request, approval_ref="F-1"))
    out = result.output_path

    before, after = acroform(source), acroform(out)
    assert after.pop("/SigFlags") == "3"
    assert after == before  # NeedAppearances, DA, DR, XFA: all kept as they were
    assert need_appearances(out) is (style == "libreoffice")

    assert_same_outside_seals(source, out, result.spots)
    # the field values are visible before and after, in poppler and MuPDF
    for image in (poppler_page(source, 0), poppler_page(out, 0), mupdf_pages(source)[0], mupdf_pages(out)[0]):
        for _, _, rect in FIELDS:
            assert dark_pixels(image, rect) > 50

    assert all(e.valid for group in pdfsig_fields(out).values() for e in group)
    ok, text = qpdf_check(out)
    assert ok, text


def test_a_second_stamping_keeps_the_form_too(tmp_path, stamper):
    source = make_form_pdf(tmp_path / "lo.pdf", "libreoffice")
    first = stamper.stamp(StampRequest(source, SpotPlacement((140.0, 240.0), pages="1"), approval_ref="F-1"))
    second = stamper.stamp(StampRequest(first.output_path, SpotPlacement((60.0, 240.0), pages="2"), approval_ref="F-2"))
    assert acroform(second.output_path) == acroform(first.output_path)
    assert_same_outside_seals(first.output_path, second.output_path, second.spots)


CORPUS = {
    "plain": {},
    "rotated": {"rotations": {0: 90, 1: 180, 2: 270}},
    "cropped": {"cropboxes": {0: (40, 60, 560, 800), 2: (0, 100, 595, 841)}},
    "keyword": {"keyword_at": {1: (300, 400)}},
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_pages_are_pixel_identical_outside_the_seal(tmp_path, stamper, name):
    source = make_pdf(tmp_path / f"{name}.pdf", pages=3, **CORPUS[name])
    result = stamper.stamp(StampRequest(source, SpotPlacement((100.0, 150.0), pages="1-3"), approval_ref="C-1"))
    assert_same_outside_seals(source, result.output_path, result.spots)
    cross = stamper.stamp(StampRequest(result.output_path, CrossPagePlacement(pages="all"), approval_ref="C-2"))
    assert_same_outside_seals(result.output_path, cross.output_path, cross.spots)

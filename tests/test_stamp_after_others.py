"""A SealDesk stamping on a document someone else signed earlier (not with SealDesk): every picture of
the stamping is a widget of the one new signature field, so pyHanko's DEFAULT difference analysis — no
rule of ours — and poppler's pdfsig keep the earlier signature intact, and poppler renders every picture.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from documents import make_pdf
from test_certified import _simple_signer, pyhanko_default, roots  # noqa: F401 - fixtures
from verifiers import pdfsig_fields, qpdf_check

from app.core.ses import kinds
from app.core.stamping import CrossPagePlacement, SpotPlacement, Stamper, StampRequest
from app.core.usage.log import UsageLog
from app.core.verification import verify_document

MM = 25.4 / 72


@pytest.fixture
def stamper(session, demo_key, tmp_path):  # noqa: F811 - session is the shared fixture
    log = UsageLog(tmp_path / "usage.sqlite3")
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.CONTRACT)
    yield Stamper(session, seal, usage_log=log)
    log.close()


def signed_by_someone_else(tmp_path: Path, issued) -> Path:
    """A 3-page contract with a visible approval signature made by pyHanko itself (its default stamp)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    src = make_pdf(tmp_path / "contract.pdf", pages=3)
    dst = tmp_path / "contract-signed.pdf"
    with open(src, "rb") as inf, open(dst, "wb") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        signers.PdfSigner(
            signers.PdfSignatureMetadata(field_name="Counterparty"),
            signer=_simple_signer(issued),
            new_field_spec=fields.SigFieldSpec("Counterparty", on_page=0, box=(60, 60, 260, 120)),
        ).sign_pdf(writer, output=outf)
    return dst


def poppler_red_pixels(path: Path, page_index: int, box_mm: tuple[float, float, float, float]) -> int:
    """Strongly red pixels inside `box_mm` (visible mm) of the page as poppler's pdftoppm renders it."""
    from PIL import Image

    prefix = path.with_suffix(f".p{page_index + 1}")
    subprocess.run(
        ["pdftoppm", "-r", "72", "-cropbox", "-png", "-singlefile", "-f", str(page_index + 1), "-l", str(page_index + 1),
         str(path), str(prefix)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    image = Image.open(f"{prefix}.png").convert("RGB")
    x0, y0, x1, y1 = (round(v / MM) for v in box_mm)
    pixels = image.load()
    return sum(
        1
        for y in range(max(y0, 0), min(y1, image.height))
        for x in range(max(x0, 0), min(x1, image.width))
        if pixels[x, y][0] > 150 and pixels[x, y][1] < 100 and pixels[x, y][2] < 100
    )


def check_both_intact(path: Path, roots: list[bytes]) -> None:  # noqa: F811
    # pyHanko, DEFAULT validation settings: both signatures fine, the earlier one followed only by
    # form filling (the new field and its widgets)
    verdicts = pyhanko_default(path, roots)
    assert len(verdicts) == 2
    assert verdicts["Counterparty"] == (True, "form_filling", True)
    assert all(v[0] for v in verdicts.values())
    # SealDesk's verifier agrees
    report = verify_document(path, trust_roots=roots)
    assert [s.modification_level for s in report.signatures] == ["form_filling", "none"] and report.all_valid
    # poppler: two signature fields, every entry (one per widget in poppler < 23) valid
    fields = pdfsig_fields(path)
    assert list(fields)[0] == "Counterparty" and len(fields) == 2
    assert all(e.valid for group in fields.values() for e in group), [e.text for g in fields.values() for e in g]
    ok, text = qpdf_check(path)
    assert ok, text


def test_multi_page_stamp_after_a_foreign_signature(tmp_path, issued, stamper, roots):  # noqa: F811
    source = signed_by_someone_else(tmp_path, issued)
    result = stamper.stamp(StampRequest(source, SpotPlacement((120.0, 200.0), pages="1-3"), approval_ref="SP-1"))
    assert [s.page_index for s in result.spots] == [0, 1, 2]
    check_both_intact(result.output_path, roots)
    for spot in result.spots:
        assert poppler_red_pixels(result.output_path, spot.page_index, spot.box_mm) > 200, spot.page_index
    # nothing red elsewhere on a page: the pictures are where the spots say
    assert poppler_red_pixels(result.output_path, 1, (0, 0, 80, 150)) == 0


def test_cross_page_stamp_after_a_foreign_signature(tmp_path, issued, stamper, roots):  # noqa: F811
    source = signed_by_someone_else(tmp_path, issued)
    result = stamper.stamp(StampRequest(source, CrossPagePlacement(pages="all"), approval_ref="SP-2"))
    assert [s.slice_index for s in result.spots] == [0, 1, 2]
    check_both_intact(result.output_path, roots)
    for spot in result.spots:
        assert poppler_red_pixels(result.output_path, spot.page_index, spot.box_mm) > 50, spot.page_index

"""The benchmark scripts run end to end at tiny sizes, so they cannot rot (real SoftHSM token, real PDFs).

conftest.py already gave this session its own SEALDESK_HOME and SoftHSM store, so the benchmarks'
`prepare_environment()` is not called here; the token is provisioned exactly as the benchmarks do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_stamp, common, run_all  # noqa: E402


@pytest.fixture(scope="module")
def bench_token(softhsm_module):
    token = common.provision_token()
    yield token
    common.delete_token(token)


def test_all_benchmarks_run_and_report(bench_token, tmp_path: Path):
    sizes = run_all.Sizes.quick()
    results = run_all.collect(bench_token, tmp_path / "work", sizes, log=lambda *_: None)

    assert len(results.documents) == 2
    for timings in results.documents.values():
        names = {"sealdesk_inprocess", "pyhanko_inprocess"}
        if bench_stamp.have_pyhanko_cli():
            names |= {"sealdesk_cli", "pyhanko_cli"}
        assert names <= set(timings)
        for timing in timings.values():
            assert len(timing.samples) >= 1 and all(s > 0 for s in timing.samples)
    for rows in results.breakdowns.values():
        assert rows[0][0] == "Stamper.stamp (total)" and rows[0][1] > 0
        assert any(label.strip().startswith("sign_pdf: pyHanko signing") for label, _ in rows)
    assert results.batch.documents == 2 and results.batch.docs_per_s > 0
    assert results.verify.signatures == 2 and results.verify.all_valid
    # no timed output is left behind
    assert not list((tmp_path / "work").glob("sealdesk_*-*.pdf"))
    assert not list((tmp_path / "work").glob("pyhanko_*-*.pdf"))

    out = tmp_path / "performance.md"
    text = run_all.write_report(results, common.machine_info(), out)
    assert out.read_text(encoding="utf-8").strip() == text.strip()
    verdicts = run_all.verdicts(results)
    assert len(verdicts) == 6 + len(results.documents) * (1 + bench_stamp.have_pyhanko_cli())  # 6: GUI launch too
    memory = results.memory
    assert memory.baseline_mib > 10 and memory.sealdesk_mib >= memory.baseline_mib * 0.8
    assert "## Peak memory" in text
    gui = results.gui  # the document view: opened, rendered, scrolled
    assert gui.pages == 20 and gui.open_first_paint.median > 0 and gui.render_150.median > 0
    assert gui.scroll_pages_per_s > 0 and "## The document view (GUI)" in text
    assert gui.launch.median > 0 and 0 < gui.launch_self.median <= gui.launch.median + 0.05  # the app was shown
    assert "`python -m app FILE` → main window first painted" in text
    for verdict in verdicts:
        assert verdict.what in text and ("**met**" in text or "**missed**" in text)
    assert "## Verdict" in text and "## Where the time goes" in text


def test_sealdesk_and_pyhanko_outputs_are_signed(bench_token, tmp_path: Path):
    """What the stamping benchmark times really is a signing: both outputs validate with pyHanko."""
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    pdf = common.make_text_pdf(tmp_path / "in.pdf", 2)
    before = pdf.read_bytes()
    sealdesk = bench_stamp.SealDeskInProcess(bench_token, pdf, tmp_path)
    try:
        pyhanko = bench_stamp.PyHankoInProcess(bench_token, pdf, tmp_path, logged_in=True)
        try:
            sealdesk.run(-1)  # the warm-up run also checks the usage record's SHA-256 and SM3
            pyhanko.run(0)
        finally:
            pyhanko.close()
    finally:
        sealdesk.close()
    context = ValidationContext(trust_roots=[x509.Certificate.load(bench_token.root_cert_der)])
    for out in (sealdesk.output(-1), pyhanko.output(0)):
        data = out.read_bytes()
        assert data.startswith(before)  # an incremental update of the input
        with out.open("rb") as fh:
            signatures = PdfFileReader(fh).embedded_signatures
            assert len(signatures) == 1
            status = validate_pdf_signature(signatures[0], context)
            assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert pdf.read_bytes() == before


def _sm3(data: bytes) -> str:
    from cryptography.hazmat.primitives import hashes

    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


@pytest.mark.parametrize(
    ("written", "shortcut"),
    [
        (b"%PDF-input bytes\nappended revision", True),  # the input, then an update
        (b"%PDF-input bytes\n", True),  # nothing appended
        (b"%PDF-input", False),  # shorter than the input
        (b"%PDF-other bytes\nappended revision", False),  # does not start with the input
    ],
)
def test_stamper_output_digests_reuse_the_input_hash_only_when_safe(tmp_path: Path, written, shortcut):
    """The benchmarked shortcut in app.core.stamping: output digests continued from the input's digests."""
    import hashlib

    from app.core.stamping import _digests, _InputDigests, _output_digests

    source = tmp_path / "in.pdf"
    source.write_bytes(b"%PDF-input bytes\n")
    with (tmp_path / "out.pdf").open("w+b") as out:
        out.write(written)
        got = _output_digests(out, _InputDigests(source))
        assert _digests(out) == (hashlib.sha256(written).hexdigest(), _sm3(written))
        if shortcut:
            assert got == (hashlib.sha256(written).hexdigest(), _sm3(written))
        else:
            assert got is None  # the Stamper then hashes the file as written


def test_stamper_output_digests_give_up_when_the_input_changed(tmp_path: Path):
    import os

    from app.core.stamping import _InputDigests, _output_digests

    source = tmp_path / "in.pdf"
    source.write_bytes(b"%PDF-input")
    digests = _InputDigests(source)
    source.write_bytes(b"%PDF-input, changed while signing")
    os.utime(source, ns=(1, 1))  # a different mtime even on coarse clocks
    with (tmp_path / "out.pdf").open("w+b") as out:
        out.write(b"%PDF-input, changed while signing\nappended")
        assert _output_digests(out, digests) is None

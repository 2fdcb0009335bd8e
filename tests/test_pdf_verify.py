"""Pre-flight checks of input PDFs and the verification reports (pyHanko validation condensed)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from pdf_helpers import SoftwareCA, SoftwareDigestSigner, certify_pdf, make_pdf, seal_png, spot

from app.core.clock import fixed_clock
from app.core.errors import (
    DocumentCertified,
    DocumentDamaged,
    DocumentEncrypted,
    DocumentLocked,
    DocumentNotFound,
)
from app.core.pdf.inspect import check_can_sign, inspect_pdf
from app.core.pdf.sign import SignSettings, sign_pdf
from app.core.pdf.verify import verify_pdf


def _sign(src: Path, dst: Path, signer, spots=None, **settings):
    spots = spots or [spot(0, (100, 100, 220, 220))]
    with open(dst, "wb") as fh:
        return sign_pdf(
            src,
            fh,
            signer=signer,
            spots=spots,
            spot_images=[seal_png() for _ in spots],
            seal_der=b"\x04\x00",
            settings=SignSettings(**settings),
        )


def _sign_into_buffer(src: Path, signer) -> io.BytesIO:
    out = io.BytesIO()
    sign_pdf(src, out, signer=signer, spots=[spot(0, (10, 10, 60, 60))], spot_images=[seal_png()],
             seal_der=None, settings=SignSettings())  # fmt: skip
    return out


# --- pre-flight -----------------------------------------------------------------------------------
def test_facts_of_a_plain_and_a_signed_pdf(tmp_path, signer):
    src = make_pdf(tmp_path / "plain.pdf", pages=3)
    facts = inspect_pdf(src)
    assert (facts.page_count, facts.encrypted, facts.signature_count, facts.docmdp_permission) == (3, False, 0, None)
    assert facts.name == "plain.pdf"
    check_can_sign(facts)
    _sign(src, tmp_path / "signed.pdf", signer)
    assert inspect_pdf(tmp_path / "signed.pdf").signature_count == 1


def test_encrypted_pdf_is_refused_everywhere(tmp_path, signer):
    src = make_pdf(tmp_path / "secret.pdf", encrypt=True)
    with pytest.raises(DocumentEncrypted) as err:
        inspect_pdf(src)
    assert "secret.pdf" in err.value.user_message()
    out = io.BytesIO()
    with pytest.raises(DocumentEncrypted):
        sign_pdf(src, out, signer=signer, spots=[spot(0, (1, 1, 9, 9))], spot_images=[seal_png()],
                 seal_der=None, settings=SignSettings())  # fmt: skip
    assert out.getvalue() == b""
    with pytest.raises(DocumentEncrypted):
        verify_pdf(src)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "missing", "header_only"])
def test_damaged_files_raise_document_damaged(tmp_path, signer, damage):
    src = make_pdf(tmp_path / "good.pdf", pages=2)
    bad = tmp_path / f"{damage}.pdf"
    if damage == "truncated":
        data = src.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        bad.write_bytes(bytes(range(256)) * 40)
    elif damage == "empty":
        bad.write_bytes(b"")
    elif damage == "header_only":
        bad.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    expected = DocumentNotFound if damage == "missing" else DocumentDamaged
    for call in (inspect_pdf, verify_pdf):
        with pytest.raises(expected) as err:
            call(bad)
        assert bad.name in err.value.user_message()
    out = io.BytesIO()
    with pytest.raises(expected):
        sign_pdf(bad, out, signer=signer, spots=[spot(0, (1, 1, 9, 9))], spot_images=[seal_png()],
                 seal_der=None, settings=SignSettings())  # fmt: skip
    assert out.getvalue() == b""


def test_certification_p1_locks_the_document(tmp_path, issued, signer):
    src = make_pdf(tmp_path / "in.pdf")
    locked = tmp_path / "certified-p1.pdf"
    certify_pdf(src, locked, issued, permission=1)
    facts = inspect_pdf(locked)
    assert facts.docmdp_permission == 1 and facts.signature_count == 1
    with pytest.raises(DocumentLocked):
        check_can_sign(facts)
    out = io.BytesIO()
    with pytest.raises(DocumentLocked):
        sign_pdf(locked, out, signer=signer, spots=[spot(0, (1, 1, 9, 9))], spot_images=[seal_png()],
                 seal_der=None, settings=SignSettings())  # fmt: skip
    assert out.getvalue() == b""


def test_certification_p2_refuses_a_new_signature_field(tmp_path, issued, signer):
    """P=2 allows form filling and signing the author's empty signature fields only (tests/test_certified.py
    covers signing into such a field)."""
    src = make_pdf(tmp_path / "in.pdf")
    certified = tmp_path / "certified-p2.pdf"
    certify_pdf(src, certified, issued, permission=2)
    facts = inspect_pdf(certified)
    assert facts.docmdp_permission == 2
    with pytest.raises(DocumentCertified) as err:
        check_can_sign(facts)
    assert "certified" in err.value.user_message() and "encrypted" not in err.value.user_message()
    check_can_sign(facts, new_field=False)
    for spots in ([spot(0, (100, 100, 220, 220))], [spot(0, (100, 100, 220, 220)), spot(0, (300, 300, 420, 420))]):
        buf = io.BytesIO()
        with pytest.raises(DocumentCertified):
            sign_pdf(certified, buf, signer=signer, spots=spots, spot_images=[seal_png()] * len(spots),
                     seal_der=None, settings=SignSettings())  # fmt: skip
        assert buf.getvalue() == b""


# --- verification reports -------------------------------------------------------------------------
def test_report_fields_of_a_trusted_signature(tmp_path, ca, signer):
    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "out.pdf"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    outcome = _sign(src, out, signer, field_name="合同章-1", reason="用印")
    report = verify_pdf(out, trust_roots=[ca.root_der])
    (sig,) = report.signatures
    assert report.all_valid and report.path == out
    assert sig.field_name == outcome.field_name == "合同章-1"
    assert sig.signer_org == "某某市测试有限公司"
    assert sig.signer_subject == "C=CN, O=某某市测试有限公司, CN=张三"  # no English attribute names in a zh_CN report
    from cryptography import x509

    assert int(sig.signer_serial, 16) == x509.load_der_x509_certificate(signer.certificate).serial_number
    assert sig.signing_time is not None and sig.signing_time >= before - dt.timedelta(seconds=1)
    assert sig.timestamp_time is None and not sig.timestamp_trusted
    assert sig.cert_valid_at_signing and sig.trust_problem is None and sig.docmdp is None


def test_untrusted_root_is_reported_not_raised(tmp_path, signer):
    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "out.pdf"
    _sign(src, out, signer)
    for roots in ((), (SoftwareCA.create("Other Root").root_der,)):
        report = verify_pdf(out, trust_roots=roots)
        (sig,) = report.signatures
        assert sig.intact and sig.valid and not sig.trusted and sig.trust_problem
        assert not report.all_valid


def test_clock_after_expiry_makes_the_certificate_untrusted(tmp_path, ca, signer):
    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "out.pdf"
    _sign(src, out, signer)
    later = fixed_clock(dt.datetime.now(dt.UTC) + dt.timedelta(days=800))
    (sig,) = verify_pdf(out, trust_roots=[ca.root_der], clock=later).signatures
    assert sig.intact and sig.valid and not sig.trusted and sig.trust_problem
    assert sig.cert_valid_at_signing  # it was valid when it signed


def test_certificate_not_yet_valid_at_signing(tmp_path, ca):
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    early = SoftwareDigestSigner.from_issued(ca.issue("未生效", not_before=future, not_after=future + dt.timedelta(days=30)))
    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "out.pdf"
    _sign(src, out, early)
    (sig,) = verify_pdf(out, trust_roots=[ca.root_der]).signatures
    assert sig.intact and sig.valid and not sig.cert_valid_at_signing and not sig.trusted


def test_tampered_bytes_are_not_intact(tmp_path, ca, signer):
    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "out.pdf"
    _sign(src, out, signer)
    data = bytearray(out.read_bytes())
    at = data.index(b"SealDesk test page 1") if b"SealDesk test page 1" in data else 200
    data[at + 3] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    report = verify_pdf(tampered, trust_roots=[ca.root_der])
    assert not report.all_valid
    (sig,) = report.signatures
    assert not sig.intact


def test_page_content_added_after_signing_is_other_modification(tmp_path, ca, signer):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    src = make_pdf(tmp_path / "in.pdf")
    out = tmp_path / "out.pdf"
    _sign(src, out, signer)
    changed = tmp_path / "changed.pdf"
    with open(out, "rb") as inf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        stream = generic.StreamObject(stream_data=b"q 1 0 0 rg 0 0 100 100 re f Q")
        writer.add_stream_to_page(0, writer.add_object(stream))
        with open(changed, "wb") as outf:
            writer.write(outf)
    report = verify_pdf(changed, trust_roots=[ca.root_der])
    (sig,) = report.signatures
    assert sig.intact and sig.valid and sig.coverage == "entire_revision"
    assert sig.modification_level == "other" and not report.all_valid


def test_unsigned_pdf_has_no_signatures_and_is_not_all_valid(tmp_path):
    report = verify_pdf(make_pdf(tmp_path / "in.pdf"))
    assert report.signatures == () and not report.all_valid

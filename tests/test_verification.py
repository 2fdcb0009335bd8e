"""验章: a seal carried by a signature must be bound to the certificate that actually signed."""

from __future__ import annotations

import io

from documents import make_pdf
from pdf_helpers import SoftwareCA, SoftwareDigestSigner, seal_png, spot
from testdata import INTEROP_DIR

from app.core.pdf.sign import SignSettings, sign_pdf
from app.core.verification import verify_document


def _sign_with_seal(tmp_path, seal_der: bytes):
    ca = SoftwareCA.create()
    issued = ca.issue("王五")
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    out = io.BytesIO()
    sign_pdf(
        source,
        out,
        signer=SoftwareDigestSigner.from_issued(issued),
        spots=[spot(0, (100, 100, 200, 200))],
        spot_images=[seal_png()],
        seal_der=seal_der,
        settings=SignSettings(),
    )
    signed = tmp_path / "doc.signed.pdf"
    signed.write_bytes(out.getvalue())
    return signed, ca


def test_a_borrowed_seal_is_reported_not_bound(tmp_path):
    # a valid seal (UserV4, signed in 2020) carried by a signature from a cert it does not bind
    signed, ca = _sign_with_seal(tmp_path, (INTEROP_DIR / "UserV4.esl").read_bytes())
    report = verify_document(signed, trust_roots=[ca.root_der])
    sig = report.signatures[0]
    assert sig.intact and sig.valid and sig.trusted
    assert sig.seal_id == "51f044b76510434e9bc67a1185c2fba5"
    # checked as of the signing time (now): the seal has expired, and it is not bound either
    assert sig.seal_status in ("expired", "not_bound")
    assert not sig.all_valid and not report.all_valid
    assert report.to_json()["signatures"][0]["seal_status"] == sig.seal_status


def test_a_seal_bound_to_another_certificate_is_not_bound(tmp_path):
    from seal_helpers import make_seal

    maker_ca = SoftwareCA.create("Maker Root")
    maker = maker_ca.issue("Seal Maker")
    other_holder = maker_ca.issue("赵六")
    seal_der = make_seal(maker, [other_holder.cert_der], name="赵六")
    signed, ca = _sign_with_seal(tmp_path, seal_der)
    sig = verify_document(signed, trust_roots=[ca.root_der]).signatures[0]
    assert sig.valid and sig.trusted
    assert sig.seal_status == "not_bound" and not sig.all_valid


def test_a_damaged_seal_is_reported_invalid(tmp_path):
    signed, ca = _sign_with_seal(tmp_path, b"\x30\x03\x02\x01\x01")
    sig = verify_document(signed, trust_roots=[ca.root_der]).signatures[0]
    assert sig.valid and sig.seal_status == "invalid" and not sig.all_valid


def test_no_seal_no_seal_status(tmp_path):
    signed, ca = _sign_with_seal(tmp_path, None)
    report = verify_document(signed, trust_roots=[ca.root_der])
    assert report.signatures[0].seal_status is None and report.all_valid


def test_a_seal_from_an_untrusted_maker_is_not_valid(tmp_path):
    """Regression (review): a holder with a trusted signing cert cannot mint their own official seal."""
    from seal_helpers import make_seal

    from app.core.ses import kinds

    holder_ca = SoftwareCA.create("Holder CA")
    holder = holder_ca.issue("某某市人民政府")
    rogue_maker_ca = SoftwareCA.create("Rogue Maker Root")
    rogue_maker = rogue_maker_ca.issue("Rogue Maker")
    seal_der = make_seal(rogue_maker, [holder.cert_der], seal_type=kinds.OFFICIAL_LEGAL_NAME, name="某某市人民政府")
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    out = io.BytesIO()
    sign_pdf(
        source,
        out,
        signer=SoftwareDigestSigner.from_issued(holder),
        spots=[spot(0, (100, 100, 200, 200))],
        spot_images=[seal_png()],
        seal_der=seal_der,
        settings=SignSettings(),
    )
    signed = tmp_path / "doc.signed.pdf"
    signed.write_bytes(out.getvalue())
    sig = verify_document(signed, trust_roots=[holder_ca.root_der]).signatures[0]
    assert sig.trusted and sig.seal_status == "untrusted_maker" and not sig.all_valid
    both = verify_document(signed, trust_roots=[holder_ca.root_der, rogue_maker_ca.root_der])
    assert both.signatures[0].seal_status == "valid" and both.all_valid


def test_a_change_forbidden_by_the_certification_makes_the_document_invalid(tmp_path):
    """Regression (review): DocMDP P=1 forbids any change; a later empty field must fail verification."""
    from pdf_helpers import certify_pdf
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    ca = SoftwareCA.create()
    certified = tmp_path / "certified.pdf"
    certify_pdf(make_pdf(tmp_path / "doc.pdf", pages=1), certified, ca.issue("认证人"), permission=1)
    assert verify_document(certified, trust_roots=[ca.root_der]).all_valid
    changed = tmp_path / "changed.pdf"
    with certified.open("rb") as fh:
        writer = IncrementalPdfFileWriter(fh, strict=False)
        fields.append_signature_field(writer, fields.SigFieldSpec("Extra", box=(10, 10, 60, 60), on_page=0))
        with changed.open("wb") as out:
            writer.write(out)
    report = verify_document(changed, trust_roots=[ca.root_der])
    assert report.signatures[0].docmdp_ok is False
    assert not report.all_valid

"""Certified documents (DocMDP) and signing into an existing empty signature field, on the demo key.

Certified inputs are made by pyHanko directly (software key, certify=True, P=1/2/3, with and without an
empty signature field prepared by the author). Every accepted stamping is checked by SealDesk's
verify_document and by pyHanko's validator with its DEFAULT difference policy, signature by signature.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from documents import A4, make_pdf, red_box_mm
from verifiers import pdfsig_fields, qpdf_check

from app.core.errors import (
    DocumentCertified,
    DocumentLocked,
    FieldAlreadySigned,
    FieldNotFound,
    NotASignatureField,
    PlacementInvalid,
)
from app.core.ses import kinds
from app.core.stamping import (
    EmptyField,
    FieldPlacement,
    SpotPlacement,
    Stamper,
    StampRequest,
    empty_signature_fields,
)
from app.core.usage.log import UsageLog
from app.core.verification import WARNING_STRICT_CERTIFICATION, verify_document

MM = 25.4 / 72
FIELD_BOX = (300.0, 200.0, 460.0, 360.0)  # 160 pt ≈ 56.4 mm square: room for the 42 mm seal


@pytest.fixture
def stamper(session, demo_key, tmp_path):
    log = UsageLog(tmp_path / "usage.sqlite3")
    seal = next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)
    yield Stamper(session, seal, usage_log=log)
    log.close()


@pytest.fixture(scope="module")
def roots(ca, demo_key) -> list[bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    demo_root = x509.load_pem_x509_certificate(Path(demo_key.root_cert_path).read_bytes())
    return [ca.root_der, demo_root.public_bytes(serialization.Encoding.DER)]


def _simple_signer(issued):
    from asn1crypto import keys
    from asn1crypto import x509 as ax509
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = ax509.Certificate.load(issued.cert_der)
    return signers.SimpleSigner(
        signing_cert=cert,
        signing_key=keys.PrivateKeyInfo.load(issued.key_der),
        cert_registry=SimpleCertificateStore.from_certs([cert]),
    )


def certified(tmp_path: Path, issued, permission: int, *, field: tuple[float, float, float, float] | None = None,
              name: str = "Approver") -> Path:  # fmt: skip
    """A 2-page PDF certified by pyHanko with P=`permission`; `field` adds an empty signature field
    (page 2) in the certified revision, as a form author would."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    src = make_pdf(tmp_path / f"src-p{permission}.pdf", pages=2)
    dst = tmp_path / f"certified-p{permission}{'-field' if field else ''}.pdf"
    with open(src, "rb") as inf, open(dst, "wb") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        if field:
            fields.append_signature_field(writer, fields.SigFieldSpec(name, on_page=1, box=field))
        meta = signers.PdfSignatureMetadata(
            field_name="Certification", certify=True, docmdp_permissions=fields.MDPPerm(permission)
        )
        signers.PdfSigner(meta, signer=_simple_signer(issued)).sign_pdf(writer, output=outf)
    return dst


def pyhanko_default(path: Path, roots: list[bytes]) -> dict[str, tuple[bool, str, bool]]:
    """pyHanko's own verdict per signature with its DEFAULT diff policy: (bottom_line, level, docmdp_ok)."""
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    result = {}
    with open(path, "rb") as fh:
        reader = PdfFileReader(fh, strict=False)
        for sig in reader.embedded_signatures:
            vc = ValidationContext(trust_roots=[x509.Certificate.load(r) for r in roots], allow_fetching=False)
            status = validate_pdf_signature(sig, vc)
            level = status.modification_level.name.lower() if status.modification_level else "none"
            result[sig.field_name] = (bool(status.bottom_line), level, bool(status.docmdp_ok))
    return result


def sealdesk_verdicts(path: Path, roots: list[bytes]) -> dict[str, bool]:
    return {s.field_name: s.all_valid for s in verify_document(path, trust_roots=roots).signatures}


def assert_pdfsig_and_qpdf(path: Path, count: int) -> None:
    """`count` signature fields in pdfsig, every entry valid (old poppler: one entry per widget)."""
    fields = pdfsig_fields(path)
    entries = [e for group in fields.values() for e in group]
    assert len(fields) == count and all(e.valid for e in entries), [e.text for e in entries]
    ok, text = qpdf_check(path)
    assert ok, text


# --- DocMDP P=1 -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("placement", "with_field"),
    [(SpotPlacement((100.0, 100.0)), False), (SpotPlacement((100.0, 100.0)), True), (FieldPlacement("Approver"), True)],
)
def test_p1_refuses_with_the_certification_as_reason(tmp_path, issued, stamper, placement, with_field):
    source = certified(tmp_path, issued, 1, field=FIELD_BOX if with_field else None)
    out = tmp_path / "out.pdf"
    with pytest.raises(DocumentLocked) as err:
        stamper.stamp(StampRequest(source, placement, output_path=out))
    message = err.value.user_message()
    assert "certified" in message and "encrypted" not in message
    assert not out.exists()


# --- DocMDP P=2 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("with_field", [False, True])
def test_p2_refuses_a_new_field_and_names_the_empty_ones(tmp_path, issued, stamper, with_field):
    source = certified(tmp_path, issued, 2, field=FIELD_BOX if with_field else None)
    out = tmp_path / "out.pdf"
    with pytest.raises(DocumentCertified) as err:
        stamper.stamp(StampRequest(source, SpotPlacement((100.0, 100.0), pages="1-2"), output_path=out))
    message = err.value.user_message()
    assert "only its empty signature fields" in message and "--field" in message
    assert ("“Approver”" in message) == with_field
    assert not out.exists()


def test_p2_signs_the_existing_empty_field_and_every_verifier_agrees(tmp_path, issued, stamper, roots):
    source = certified(tmp_path, issued, 2, field=FIELD_BOX)
    assert empty_signature_fields(source) == [
        EmptyField("Approver", 2, pytest.approx((300 * MM, (A4[1] - 360) * MM, 460 * MM, (A4[1] - 200) * MM)))
    ]
    result = stamper.stamp(StampRequest(source, FieldPlacement("Approver"), output_path=tmp_path / "out.pdf"))
    out = result.output_path
    assert empty_signature_fields(out) == []

    pyhanko = pyhanko_default(out, roots)
    assert pyhanko == {"Certification": (True, "form_filling", True), "Approver": (True, "none", True)}
    assert sealdesk_verdicts(out, roots) == {name: v[0] for name, v in pyhanko.items()}
    assert verify_document(out, trust_roots=roots).warnings == ()
    assert_pdfsig_and_qpdf(out, 2)

    # the seal at its true size (42 mm), centred in the field's box, on page 2 only
    box = red_box_mm(out, 1)
    assert box is not None and red_box_mm(out, 0) is None
    assert (box[0] + box[2]) / 2 == pytest.approx(380 * MM, abs=0.5)
    assert (box[1] + box[3]) / 2 == pytest.approx((A4[1] - 280) * MM, abs=0.5)
    assert box[2] - box[0] == pytest.approx(result.spots[0].size_mm[0], abs=1.0)


# --- DocMDP P=3 -----------------------------------------------------------------------------------
def test_p3_signs_an_existing_field_and_every_verifier_agrees(tmp_path, issued, stamper, roots):
    source = certified(tmp_path, issued, 3, field=FIELD_BOX)
    out = stamper.stamp(StampRequest(source, FieldPlacement("Approver"), output_path=tmp_path / "o.pdf")).output_path
    pyhanko = pyhanko_default(out, roots)
    assert all(v[0] for v in pyhanko.values()) and set(pyhanko) == {"Certification", "Approver"}
    assert sealdesk_verdicts(out, roots) == {name: v[0] for name, v in pyhanko.items()}
    assert verify_document(out, trust_roots=roots).warnings == ()
    assert_pdfsig_and_qpdf(out, 2)


def test_p3_allows_a_new_field_where_pyhankos_default_is_stricter_than_acrobat(tmp_path, issued, stamper, roots):
    """P=3 allows annotations, form filling and signing (ISO 32000, Acrobat): a new visible signature
    field is accepted. pyHanko's default policy rejects *any* new visible signature field after a
    certification ("stricter than Acrobat", its docs say) — the one known disagreement, pinned here and
    explained in docs/decisions.md. On the new signature itself both agree."""
    source = certified(tmp_path, issued, 3)
    result = stamper.stamp(StampRequest(source, SpotPlacement((100.0, 100.0), pages="1-2"), output_path=tmp_path / "o.pdf"))
    out = result.output_path
    new = next(s.field_name for s in verify_document(out, trust_roots=roots).signatures if s.field_name != "Certification")
    pyhanko = pyhanko_default(out, roots)
    sealdesk = sealdesk_verdicts(out, roots)
    assert pyhanko[new] == (True, "none", True) and sealdesk[new] is True
    assert sealdesk["Certification"] is True
    assert pyhanko["Certification"] == (False, "other", False)
    # the disagreement is never silent: verify names it (text and JSON)
    report = verify_document(out, trust_roots=roots)
    assert report.warnings == (WARNING_STRICT_CERTIFICATION,)
    assert [w["code"] for w in report.to_json()["warnings"]] == ["strict_certification"]
    from app.core.application import summarize_verification
    from app.core.report import build_report, report_html

    html = report_html(build_report(summarize_verification(report)))
    assert "strict verifiers (such as pyHanko" in html  # the exported report (and the GUI panel) say so too
    assert_pdfsig_and_qpdf(out, 2)


# --- the named field ------------------------------------------------------------------------------
def test_field_errors_name_the_empty_fields(tmp_path, issued, stamper):
    source = certified(tmp_path, issued, 3, field=FIELD_BOX)
    with pytest.raises(FieldNotFound) as err:
        stamper.stamp(StampRequest(source, FieldPlacement("Nope"), output_path=tmp_path / "a.pdf"))
    assert "“Nope”" in err.value.user_message() and "“Approver”" in err.value.user_message()

    with pytest.raises(FieldAlreadySigned) as err:
        stamper.stamp(StampRequest(source, FieldPlacement("Certification"), output_path=tmp_path / "b.pdf"))
    assert "“Certification”" in err.value.user_message() and "“Approver”" in err.value.user_message()

    signed = stamper.stamp(StampRequest(source, FieldPlacement("Approver"), output_path=tmp_path / "c.pdf"))
    with pytest.raises(FieldAlreadySigned) as err:
        stamper.stamp(StampRequest(signed.output_path, FieldPlacement("Approver"), output_path=tmp_path / "d.pdf"))
    assert err.value.user_message().endswith("—.")
    assert not any((tmp_path / n).exists() for n in ("a.pdf", "b.pdf", "d.pdf"))


def test_a_text_field_is_not_a_signature_field(tmp_path, stamper):
    import pymupdf as fitz

    source = make_pdf(tmp_path / "form.pdf", pages=1)
    with fitz.open(source) as doc:
        widget = fitz.Widget()
        widget.field_type = fitz.PDF_WIDGET_TYPE_TEXT
        widget.field_name = "Name"
        widget.rect = fitz.Rect(100, 100, 300, 130)
        widget.field_value = "张三"
        doc[0].add_widget(widget)
        doc.save(tmp_path / "form2.pdf")
    with pytest.raises(NotASignatureField) as err:
        stamper.stamp(StampRequest(tmp_path / "form2.pdf", FieldPlacement("Name"), output_path=tmp_path / "o.pdf"))
    assert "“Name”" in err.value.user_message() and err.value.user_message().endswith("—.")
    assert not (tmp_path / "o.pdf").exists()


def test_a_field_smaller_than_the_seal_is_refused(tmp_path, issued, stamper):
    source = certified(tmp_path, issued, 2, field=(300, 200, 330, 230))  # 10.6 mm square
    with pytest.raises(PlacementInvalid) as err:
        stamper.stamp(StampRequest(source, FieldPlacement("Approver"), output_path=tmp_path / "o.pdf"))
    assert "does not fit" in err.value.user_message()
    assert not (tmp_path / "o.pdf").exists()


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_the_seal_is_centred_upright_in_a_field_on_a_rotated_page(tmp_path, stamper, rotation):
    """An uncertified form with an empty signature field on a rotated page: the seal at its true size,
    centred in the field's box as displayed, upright (red ring: its box is square in visible mm)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields

    src = make_pdf(tmp_path / "rot.pdf", pages=2, rotations={1: rotation})
    source = tmp_path / "rot-field.pdf"
    with open(src, "rb") as inf, open(source, "wb") as outf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        fields.append_signature_field(writer, fields.SigFieldSpec("Sign here", on_page=1, box=(200, 300, 400, 460)))
        writer.write(outf)
    (field,) = empty_signature_fields(source)
    result = stamper.stamp(StampRequest(source, FieldPlacement("Sign here"), output_path=tmp_path / "o.pdf"))
    box = red_box_mm(result.output_path, 1)
    assert box is not None
    centre = ((field.box_mm[0] + field.box_mm[2]) / 2, (field.box_mm[1] + field.box_mm[3]) / 2)
    assert (box[0] + box[2]) / 2 == pytest.approx(centre[0], abs=0.6)
    assert (box[1] + box[3]) / 2 == pytest.approx(centre[1], abs=0.6)
    size = result.spots[0].size_mm
    assert box[2] - box[0] == pytest.approx(size[0], abs=1.0) and box[3] - box[1] == pytest.approx(size[1], abs=1.0)
    assert_pdfsig_and_qpdf(result.output_path, 1)


# --- the plan the window shows before the PIN ---------------------------------------------------------
def test_plan_before_the_pin_follows_the_certification(tmp_path, issued, demo_app):
    """The window's plan applies the same DocMDP rules as stamping: P=2 accepts only the existing empty
    field, P=3 accepts a new field but says, before the PIN, that strict verifiers will object."""
    from app.core.application import WarningKind
    from app.core.errors import DocumentCertified

    key = next(k for k in demo_app.keys() if k.is_demo)
    contents = demo_app.key_contents(key)
    personal = next(s for s in contents.seals if s.kind == "personal")
    p2 = certified(tmp_path, issued, 2, field=FIELD_BOX)
    spot = demo_app.plan(p2, personal.ref, SpotPlacement((100.0, 100.0)), key=key, contents=contents)
    assert not spot.ok and isinstance(spot.problems[0], DocumentCertified)
    field = demo_app.plan(p2, personal.ref, FieldPlacement("Approver"), key=key, contents=contents)
    assert field.ok and field.problems == ()

    p3 = certified(tmp_path, issued, 3, field=FIELD_BOX)
    new = demo_app.plan(p3, personal.ref, SpotPlacement((100.0, 100.0)), key=key, contents=contents)
    assert new.ok and WarningKind.CERTIFIED_NEW_FIELD in [w.kind for w in new.warnings]
    into_field = demo_app.plan(p3, personal.ref, FieldPlacement("Approver"), key=key, contents=contents)
    assert into_field.ok and WarningKind.CERTIFIED_NEW_FIELD not in [w.kind for w in into_field.warnings]

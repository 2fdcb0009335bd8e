"""验章: a seal carried by a signature must be bound to the certificate that actually signed."""

from __future__ import annotations

import io

from documents import make_pdf
from pdf_helpers import SoftwareCA, SoftwareDigestSigner, seal_png, spot
from testdata import INTEROP_DIR

from app.core.pdf.sign import SignSettings, sign_pdf
from app.core.verification import verify_document


def _signed_pdf(tmp_path, holder, seal_der: bytes | None):
    """A one-page PDF signed by `holder` (a pdf_helpers.Issued) carrying `seal_der`."""
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
    return signed


def _sign_with_seal(tmp_path, seal_der: bytes | None):
    ca = SoftwareCA.create()
    return _signed_pdf(tmp_path, ca.issue("王五"), seal_der), ca


def test_a_borrowed_seal_is_reported_not_bound(tmp_path):
    # a valid seal (UserV4, signed in 2020) carried by a signature from a cert it does not bind
    signed, ca = _sign_with_seal(tmp_path, (INTEROP_DIR / "UserV4.esl").read_bytes())
    report = verify_document(signed, trust_roots=[ca.root_der])
    sig = report.signatures[0]
    assert sig.intact and sig.valid and sig.trusted
    assert sig.seal_id == "51f044b76510434e9bc67a1185c2fba5"
    # checked as of the signing time (now): the seal has expired, it is not bound either, and the
    # widget draws a test picture instead of the seal's (that finding is the status; all are listed)
    assert sig.seal_status == "picture_mismatch"
    assert any("not bound" in p for p in sig.seal_problems)
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
    signed = _signed_pdf(tmp_path, holder, seal_der)
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


def _sm2_certificate(
    subject: str, issuer: str, point: bytes, signer_scalar: int, serial: int, *, ca: bool = False
) -> bytes:
    """An SM2-with-SM3 certificate built with asn1crypto and signed by gm.sm2_sign (cryptography has no SM2)."""
    import datetime as dt

    from asn1crypto import keys, x509

    from app.core import gm

    gm.register_oids()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial,
            "signature": {"algorithm": gm.SM2_WITH_SM3_OID},
            "issuer": x509.Name.build({"country_name": "CN", "common_name": issuer}),
            "validity": {
                "not_before": x509.Time({"utc_time": now - dt.timedelta(days=1)}),
                "not_after": x509.Time({"utc_time": now + dt.timedelta(days=365)}),
            },
            "subject": x509.Name.build({"country_name": "CN", "common_name": subject}),
            "subject_public_key_info": keys.PublicKeyInfo(
                {
                    "algorithm": {
                        "algorithm": "ec",
                        "parameters": keys.ECDomainParameters(name="named", value=gm.SM2_CURVE_OID),
                    },
                    "public_key": point,
                }
            ),
            "extensions": [
                {"extn_id": "basic_constraints", "critical": True, "extn_value": {"ca": ca}},
                {
                    "extn_id": "key_usage",
                    "critical": True,
                    "extn_value": {"key_cert_sign", "crl_sign"} if ca else {"digital_signature"},
                },
            ],
        }
    )
    signature = gm.sm2_sign(signer_scalar, tbs.dump())
    return x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": gm.SM2_WITH_SM3_OID},
            "signature_value": signature,
        }
    ).dump()


def test_an_sm2_seal_maker_issued_by_a_trusted_sm2_root_is_trusted(tmp_path):
    from testdata import INTEROP_DIR

    from app.core import gm
    from app.core.ses import SealPicture, build_seal_v4, kinds
    from app.core.verification import maker_trust_problem

    root_key, _ = gm.load_sm2_p12((INTEROP_DIR / "SealBuilder.p12").read_bytes(), b"777777")
    maker_key, _ = gm.load_sm2_p12((INTEROP_DIR / "USER.p12").read_bytes(), b"777777")
    root_point = gm.sm2_public_point_from_private(root_key)
    root_der = _sm2_certificate("SM2 Seal Authority Root", "SM2 Seal Authority Root", root_point, root_key, 1, ca=True)
    maker_der = _sm2_certificate(
        "SM2 Seal Maker", "SM2 Seal Authority Root", gm.sm2_public_point_from_private(maker_key), root_key, 2
    )
    assert maker_trust_problem(maker_der, [root_der], None) is None
    assert maker_trust_problem(maker_der, [], None) is not None
    # OpenSSL 3 agrees that the root's SM2 signature covers the maker certificate
    import subprocess

    from asn1crypto import pem

    (tmp_path / "root.pem").write_bytes(pem.armor("CERTIFICATE", root_der))
    (tmp_path / "maker.pem").write_bytes(pem.armor("CERTIFICATE", maker_der))
    openssl = subprocess.run(
        ["openssl", "verify", "-vfyopt", "distid:1234567812345678", "-CAfile", str(tmp_path / "root.pem"),
         str(tmp_path / "maker.pem")],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
    )
    assert openssl.returncode == 0, openssl.stdout + openssl.stderr
    other_point = gm.sm2_public_point_from_private(maker_key)
    stranger_der = _sm2_certificate(
        "SM2 Seal Authority Root", "SM2 Seal Authority Root", other_point, maker_key, 3, ca=True
    )
    assert maker_trust_problem(maker_der, [stranger_der], None) is not None  # same name, other key

    holder_ca = SoftwareCA.create("Holder CA")
    holder = holder_ca.issue("示例科技有限公司")
    import datetime as dt

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    seal_der = build_seal_v4(
        es_id="SM2MAKER0001",
        vid="SealDesk-Test",
        seal_type=kinds.CONTRACT,
        name="示例科技有限公司合同专用章",
        certs=[holder.cert_der],
        create_date=now,
        valid_start=now - dt.timedelta(days=1),
        valid_end=now + dt.timedelta(days=300),
        picture=SealPicture("PNG", seal_png(), 42, 42),
        maker_cert=maker_der,
        sign_alg=gm.SM2_WITH_SM3_OID,
        sign=lambda tbs: gm.sm2_sign(maker_key, tbs),
    )
    signed = _signed_pdf(tmp_path, holder, seal_der)
    trusted = verify_document(signed, trust_roots=[holder_ca.root_der, root_der])
    assert trusted.signatures[0].seal_status == "valid" and trusted.all_valid
    untrusted = verify_document(signed, trust_roots=[holder_ca.root_der])
    assert untrusted.signatures[0].seal_status == "untrusted_maker"

"""SM2/SM3 PDF signatures: signed with software SM2 keys (the Sm2MessageSigner protocol the token's
`KeySession.sm2_signer` follows) under a multi-level SM2 chain, verified by SealDesk and independently:
OpenSSL 3 (`dgst -sm3 -verify` with the default ID over the DER signed attributes, `dgst -sm3` over the
byte ranges, `verify` per chain link, `asn1parse`/`cms -cmsout`), poppler's pdfsig and qpdf --check.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms, pem
from pdf_helpers import (
    extract_contents,
    make_pdf,
    pdfsig,
    qpdf_check,
    running_tsa,
    seal_png,
    spot,
)
from sm2_helpers import Sm2CA, Sm2Key, new_scalar, openssl_sm2_verify, sm2_certificate, write_pem

from app.core import gm
from app.core.appearance import image_for_spot, seal_image
from app.core.errors import SigningFailed
from app.core.pdf.sign import SEAL_ATTRIBUTE_OID, SignSettings, sign_pdf
from app.core.pdf.sm2_cms import signed_attrs_der
from app.core.ses import SealPicture, build_seal_v4, kinds, parse_seal
from app.core.verification import verify_document

DIST = "distid:1234567812345678"


@pytest.fixture(scope="module")
def sm2_ca() -> Sm2CA:
    return Sm2CA.create()


@pytest.fixture(scope="module")
def holder(sm2_ca: Sm2CA) -> Sm2Key:
    return sm2_ca.issue("张三")


@pytest.fixture(scope="module")
def sm2_seal(sm2_ca: Sm2CA, holder: Sm2Key) -> bytes:
    """A GB/T 38540 v4 seal bound to the SM2 holder, made by an SM2 seal maker the SM2 root issued."""
    maker = sm2_ca.issue("SM2 制章机构", by_root=True)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return build_seal_v4(
        es_id="SM2PDF000001",
        vid="SealDesk-Test",
        seal_type=kinds.CONTRACT,
        name="某某市测试有限公司",
        certs=[holder.certificate],
        create_date=now,
        valid_start=now - dt.timedelta(days=1),
        valid_end=now + dt.timedelta(days=300),
        picture=SealPicture("PNG", seal_png(), 42, 42),
        maker_cert=maker.certificate,
        sign_alg=gm.SM2_WITH_SM3_OID,
        sign=maker.sign_message,
    )


def _seal_pngs(seal_der: bytes, spots) -> list[bytes]:
    image = seal_image(parse_seal(seal_der).picture)
    return [image_for_spot(image, s.slice_index, s.slice_count).png for s in spots]


def _sign(
    src: Path, dst: Path, signer, spots, *, seal_der: bytes | None, chain=(), images=None, **settings
) -> Path:
    out = io.BytesIO()
    sign_pdf(
        src,
        out,
        signer=signer,
        spots=spots,
        spot_images=images or (_seal_pngs(seal_der, spots) if seal_der else [seal_png() for _ in spots]),
        seal_der=seal_der,
        settings=SignSettings(**settings),
        chain=chain,
    )
    dst.write_bytes(out.getvalue())
    return dst


def _signer_info(cms_der: bytes):
    gm.register_oids()
    return cms.ContentInfo.load(cms_der)["content"]["signer_infos"][0]


def _byte_ranges(path: Path) -> bytes:
    data = path.read_bytes()
    ranges = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    a, b, c, d = map(int, ranges[-1])
    return data[a : a + b] + data[c : c + d]


def _openssl(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, check=False, **kw)


def test_sm2_signature_is_valid_for_sealdesk_openssl_pdfsig_and_qpdf(tmp_path, sm2_ca, holder, sm2_seal):
    spots = [spot(0, (100, 100, 200, 200)), spot(1, (300, 500, 400, 600))]
    signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=2), tmp_path / "signed.pdf", holder, spots,
                   seal_der=sm2_seal, chain=sm2_ca.chain)  # fmt: skip

    report = verify_document(signed, trust_roots=[sm2_ca.root_der])
    (sig,) = report.signatures
    assert (sig.intact, sig.valid, sig.trusted, sig.trust_problem) == (True, True, True, None)
    assert sig.coverage == "entire_file" and sig.modification_level == "none" and sig.cert_valid_at_signing
    assert sig.seal_der == sm2_seal and sig.seal_status == "valid" and sig.picture_check == "match"
    assert len(sig.pictures) == 2 and report.all_valid

    # the CMS: PKCS#7 content types, SM3 digest, SM2-with-SM3 signature, the seal as a signed attribute
    contents = extract_contents(signed)
    (tmp_path / "sig.p7s").write_bytes(contents)
    parsed = _openssl("asn1parse", "-inform", "DER", "-in", str(tmp_path / "sig.p7s"), text=True)
    assert parsed.returncode == 0, parsed.stderr
    oids = re.findall(r"OBJECT\s+:(\S+)", parsed.stdout)
    assert oids[:4] == ["pkcs7-signedData", "sm3", "pkcs7-data", "SM2-with-SM3"]
    assert SEAL_ATTRIBUTE_OID in parsed.stdout and "messageDigest" in parsed.stdout
    printed = _openssl(
        "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(tmp_path / "sig.p7s"), text=True
    )
    assert printed.returncode == 0 and "SM2-with-SM3" in printed.stdout and "sm3" in printed.stdout

    # messageDigest = SM3 over the byte ranges, computed by OpenSSL
    info = _signer_info(contents)
    (tmp_path / "ranges.bin").write_bytes(_byte_ranges(signed))
    sm3 = _openssl("dgst", "-sm3", "-binary", str(tmp_path / "ranges.bin"))
    digest = next(a["values"][0].native for a in info["signed_attrs"] if a["type"].native == "message_digest")
    assert sm3.returncode == 0 and sm3.stdout == digest

    # the SM2 signature over the DER signed attributes, by OpenSSL's SM2 with the default ID
    checked = openssl_sm2_verify(
        tmp_path, holder.public_pem(), signed_attrs_der(info), info["signature"].native
    )
    assert checked.returncode == 0 and "Verified OK" in checked.stdout, checked.stdout + checked.stderr

    # each link of the embedded chain, by OpenSSL (3.0 sets the SM2 ID only for the certificate verified)
    root = write_pem(tmp_path / "root.pem", sm2_ca.root_der)
    mid = write_pem(tmp_path / "mid.pem", sm2_ca.intermediate.certificate)
    leaf = write_pem(tmp_path / "leaf.pem", holder.certificate)
    for ca_file, cert in ((root, mid), (mid, leaf)):
        link = _openssl(
            "verify", "-vfyopt", DIST, "-partial_chain", "-CAfile", str(ca_file), str(cert), text=True
        )
        assert link.returncode == 0, link.stdout + link.stderr

    # poppler parses the signature sanely (its NSS has no SM3: the hash is "unknown", not a crash)
    text = pdfsig(signed)
    assert text.count("Signature Field Name:") == 2  # one entry per picture, as for RSA/ECDSA
    assert "Common Name: 张三" in text and "ETSI.CAdES.detached" in text and "Total document signed" in text
    assert qpdf_check(signed).returncode == 0


def test_openssl_cms_verify_on_an_sm2_pdf_signature(tmp_path, sm2_ca, holder):
    """What OpenSSL's own CMS code makes of the signature (recorded in signature-format.md): it reads it;
    3.0 checks SM2 in CMS without the default ID and so fails at the signature, like `dgst` without distid."""
    signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=1), tmp_path / "s.pdf", holder,
                   [spot(0, (100, 100, 200, 200))], seal_der=None, chain=sm2_ca.chain)  # fmt: skip
    (tmp_path / "sig.p7s").write_bytes(extract_contents(signed))
    (tmp_path / "ranges.bin").write_bytes(_byte_ranges(signed))
    result = _openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.p7s"),
                      "-content", str(tmp_path / "ranges.bin"), "-noverify", "-out", "/dev/null", text=True)  # fmt: skip
    assert "Error reading" not in result.stderr  # the CMS itself is readable for OpenSSL
    version = _openssl("version", text=True).stdout.split()[1]
    if version.startswith("3.0."):
        assert result.returncode != 0 and "CMS_SignerInfo_verify" in result.stderr
    info = _signer_info(extract_contents(signed))
    (tmp_path / "attrs.der").write_bytes(signed_attrs_der(info))
    (tmp_path / "sig.bin").write_bytes(info["signature"].native)
    no_id = _openssl("dgst", "-sm3", "-verify", str(_pub(tmp_path, holder)), "-signature", str(tmp_path / "sig.bin"),
                     str(tmp_path / "attrs.der"), text=True)  # fmt: skip
    assert no_id.returncode != 0  # the same failure without the default ID: the ID is what 3.0's CMS lacks


def test_tampering_wrong_root_and_missing_intermediate(tmp_path, sm2_ca, holder):
    signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=1), tmp_path / "s.pdf", holder,
                   [spot(0, (100, 100, 200, 200))], seal_der=None, chain=sm2_ca.chain)  # fmt: skip
    other = Sm2CA.create("Other SM2 Root", intermediate=False)
    sig = verify_document(signed, trust_roots=[other.root_der]).signatures[0]
    assert sig.intact and sig.valid and not sig.trusted and sig.trust_problem == "no_trusted_path"
    # trusting the intermediate itself is enough
    assert verify_document(signed, trust_roots=[sm2_ca.intermediate.certificate]).signatures[0].trusted

    bare = _sign(make_pdf(tmp_path / "doc2.pdf", pages=1), tmp_path / "bare.pdf", holder,
                 [spot(0, (100, 100, 200, 200))], seal_der=None)  # fmt: skip
    sig = verify_document(bare, trust_roots=[sm2_ca.root_der]).signatures[0]
    assert sig.valid and not sig.trusted and sig.trust_problem == "no_trusted_path"

    data = bytearray(signed.read_bytes())
    index = data.index(b"/MediaBox")
    data[index + 1] = ord("X")  # inside the first byte range
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(bytes(data))
    sig = verify_document(altered, trust_roots=[sm2_ca.root_der]).signatures[0]
    assert not sig.intact and not sig.valid and not sig.trusted and sig.trust_problem == "document_altered"


def test_a_forged_sm2_signature_value_is_invalid(tmp_path, sm2_ca, holder):
    """The same holder certificate, a signature by another key: intact but not valid."""
    impostor = Sm2Key(new_scalar(), holder.certificate)
    impostor_signed = tmp_path / "forged.pdf"
    with pytest.raises(SigningFailed):  # the signer refuses a key that does not match its certificate
        _sign(make_pdf(tmp_path / "doc.pdf", pages=1), impostor_signed, impostor,
              [spot(0, (100, 100, 200, 200))], seal_der=None)  # fmt: skip
    assert not impostor_signed.exists()

    signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=1), tmp_path / "s.pdf", holder,
                   [spot(0, (100, 100, 200, 200))], seal_der=None, chain=sm2_ca.chain)  # fmt: skip
    contents = extract_contents(signed)
    info = _signer_info(contents)
    good = info["signature"].native
    forged = gm.sm2_sign(new_scalar(), signed_attrs_der(info))
    while len(forged) != len(good):  # same DER length: the /Contents layout stays as it is
        forged = gm.sm2_sign(new_scalar(), signed_attrs_der(info))
    data = signed.read_bytes()
    assert data.count(good.hex().upper().encode()) == 1  # pyHanko writes /Contents in upper-case hex
    data = data.replace(good.hex().upper().encode(), forged.hex().upper().encode())
    (tmp_path / "f.pdf").write_bytes(data)
    sig = verify_document(tmp_path / "f.pdf", trust_roots=[sm2_ca.root_der]).signatures[0]
    assert sig.intact and not sig.valid and not sig.trusted and sig.trust_problem == "signature_invalid"


def test_sm2_and_ecdsa_signatures_in_one_document_verify_together(tmp_path, ca, signer, sm2_ca, holder):
    src = make_pdf(tmp_path / "doc.pdf", pages=1)
    first = _sign(src, tmp_path / "ec.pdf", signer, [spot(0, (50, 50, 150, 150))], seal_der=None)
    both = _sign(first, tmp_path / "ec-sm2.pdf", holder, [spot(0, (300, 50, 400, 150))], seal_der=None,
                 chain=sm2_ca.chain)  # fmt: skip
    report = verify_document(both, trust_roots=[ca.root_der, sm2_ca.root_der])
    assert [s.signer_subject.split("CN=")[-1] for s in report.signatures] and report.all_valid
    assert [s.modification_level for s in report.signatures] == ["form_filling", "none"]

    other_way = _sign(src, tmp_path / "sm2.pdf", holder, [spot(0, (50, 50, 150, 150))], seal_der=None,
                      chain=sm2_ca.chain)  # fmt: skip
    other_way = _sign(
        other_way, tmp_path / "sm2-ec.pdf", signer, [spot(0, (300, 50, 400, 150))], seal_der=None
    )
    report = verify_document(other_way, trust_roots=[ca.root_der, sm2_ca.root_der])
    assert report.all_valid and [s.modification_level for s in report.signatures] == ["form_filling", "none"]
    assert qpdf_check(other_way).returncode == 0


def test_demo_token_then_sm2_and_sm2_then_demo_token(tmp_path, demo_key, session, sm2_ca, holder):
    """RSA/ECDSA from the SoftHSM demo key and software SM2, in both orders, each with its seal."""
    from app.core.seals import find_key_seal

    chosen = find_key_seal(session, demo_key.seals[0].es_id)
    token_signer = session.digest_signer(chosen.key_id)
    roots = [demo_key.root_cert_path.read_bytes(), sm2_ca.root_der]
    roots = [pem.unarmor(r)[2] if r.startswith(b"-----") else r for r in roots]
    src = make_pdf(tmp_path / "doc.pdf", pages=2)
    token_spot = [spot(0, (50, 50, 170, 170))]
    sm2_spot = [spot(1, (300, 50, 420, 170))]
    a = _sign(src, tmp_path / "a.pdf", token_signer, token_spot, seal_der=chosen.seal.der)
    a = _sign(a, tmp_path / "ab.pdf", holder, sm2_spot, seal_der=None, chain=sm2_ca.chain)
    b = _sign(src, tmp_path / "b.pdf", holder, sm2_spot, seal_der=None, chain=sm2_ca.chain)
    b = _sign(b, tmp_path / "ba.pdf", token_signer, token_spot, seal_der=chosen.seal.der)
    for path in (a, b):
        report = verify_document(path, trust_roots=roots)
        assert len(report.signatures) == 2 and report.all_valid, [
            (s.field_name, s.trust_problem, s.seal_status, s.seal_problems) for s in report.signatures
        ]
        assert sum(s.has_seal for s in report.signatures) == 1
        assert qpdf_check(path).returncode == 0


def test_sm2_signature_with_a_timestamp_and_cross_page_slices(tmp_path, ca, sm2_ca, holder, sm2_seal):
    """PAdES B-T with an SM2 signature (the TSA signs with ECDSA), pictures cut across two pages."""
    spots = [spot(i, (500, 300, 595, 420), slice_index=i, slice_count=2) for i in range(2)]
    with running_tsa(ca) as url:
        signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=2), tmp_path / "s.pdf", holder, spots,
                       seal_der=sm2_seal, chain=sm2_ca.chain, tsa_url=url)  # fmt: skip
    (sig,) = verify_document(signed, trust_roots=[ca.root_der, sm2_ca.root_der]).signatures
    assert sig.timestamp_time is not None and sig.timestamp_trusted and sig.timestamp_problem is None
    assert sig.trusted and sig.picture_check == "match" and sig.seal_status == "valid"


def test_the_interop_sm2_key_signs_a_pdf(tmp_path, interop_dir):
    """USER.p12 (a real SM2 PKCS#12 from a Chinese e-seal kit) as the signer: the signature verifies."""
    scalar, cert = gm.load_sm2_p12((interop_dir / "USER.p12").read_bytes(), b"777777")
    user = Sm2Key(scalar, cert)
    signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=1), tmp_path / "s.pdf", user,
                   [spot(0, (100, 100, 200, 200))], seal_der=(interop_dir / "UserV4.esl").read_bytes())  # fmt: skip
    sig = verify_document(signed, trust_roots=[cert]).signatures[0]
    assert sig.intact and sig.valid and sig.seal_der == (interop_dir / "UserV4.esl").read_bytes()
    info = _signer_info(extract_contents(signed))
    checked = openssl_sm2_verify(
        tmp_path, user.public_pem(), signed_attrs_der(info), info["signature"].native
    )
    assert checked.returncode == 0, checked.stderr


def test_sm2_chain_rules(tmp_path):
    """Multi-level paths: expiry, CA flags, path length, key usage and forged links are each found."""
    from app.core.sm2_chain import validate_sm2_chain

    ca = Sm2CA.create("Chain Root")
    leaf = ca.issue("叶子")
    assert validate_sm2_chain(leaf.certificate, intermediates=ca.chain, trust_roots=[ca.root_der]).trusted
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=800)
    assert validate_sm2_chain(leaf.certificate, intermediates=ca.chain, trust_roots=[ca.root_der],
                              moment=later).problem == "EXPIRED"  # fmt: skip

    # the intermediate has pathLenConstraint 0: a second intermediate under it breaks the path
    mid2_scalar = new_scalar()
    mid2 = sm2_certificate("Mid 2", _subject(ca.intermediate.certificate), gm.sm2_public_point_from_private(mid2_scalar),
                           ca.intermediate.scalar, ca=True)  # fmt: skip
    deep = sm2_certificate("深", _subject(mid2), gm.sm2_public_point_from_private(new_scalar()), mid2_scalar)
    result = validate_sm2_chain(deep, intermediates=[mid2, *ca.chain], trust_roots=[ca.root_der])
    assert result.problem == "CHAIN_CONSTRAINTS_FAILURE" and "pathLen" in result.detail

    # an issuer that is no CA
    not_ca = sm2_certificate("不是CA", _subject(leaf.certificate), gm.sm2_public_point_from_private(new_scalar()),
                             leaf.scalar)  # fmt: skip
    assert validate_sm2_chain(not_ca, intermediates=[leaf.certificate, *ca.chain],
                              trust_roots=[ca.root_der]).problem == "CHAIN_CONSTRAINTS_FAILURE"  # fmt: skip

    # an end certificate for encryption only
    enc = ca.issue("加密", key_usage={"key_encipherment"})
    assert validate_sm2_chain(enc.certificate, intermediates=ca.chain,
                              trust_roots=[ca.root_der]).problem == "SIG_CONSTRAINTS_FAILURE"  # fmt: skip

    # a root with the same name but another key signed nothing here
    impostor = Sm2CA.create("Chain Root", intermediate=False)
    assert validate_sm2_chain(leaf.certificate, intermediates=ca.chain,
                              trust_roots=[impostor.root_der]).problem == "NO_CERTIFICATE_CHAIN_FOUND"  # fmt: skip
    # OpenSSL agrees on the pathLen violation
    write_pem(tmp_path / "root.pem", ca.root_der)
    bundle = pem.armor("CERTIFICATE", ca.intermediate.certificate) + pem.armor("CERTIFICATE", mid2)
    (tmp_path / "untrusted.pem").write_bytes(bundle)
    write_pem(tmp_path / "deep.pem", deep)
    result = _openssl("verify", "-vfyopt", DIST, "-CAfile", str(tmp_path / "root.pem"), "-untrusted",
                      str(tmp_path / "untrusted.pem"), str(tmp_path / "deep.pem"), text=True)  # fmt: skip
    assert result.returncode != 0


def _pub(tmp_path: Path, key: Sm2Key) -> Path:
    (tmp_path / "pub.pem").write_bytes(key.public_pem())
    return tmp_path / "pub.pem"


def _subject(cert_der: bytes):
    from asn1crypto import x509

    return x509.Certificate.load(cert_der).subject


def test_ses_signature_v4_export_over_the_signed_pdf(tmp_path, sm2_ca, holder, sm2_seal):
    """GB/T 38540 v4 SES_Signature over the signed document, by the same SM2 key: parsed back and verified
    by SealDesk's SES code and, independently, by OpenSSL."""
    from app.core.ses import build_ses_signature_v4, parse_ses_signature, verify_ses_signature

    signed = _sign(make_pdf(tmp_path / "doc.pdf", pages=1), tmp_path / "合同.pdf", holder,
                   [spot(0, (100, 100, 200, 200))], seal_der=sm2_seal, chain=sm2_ca.chain)  # fmt: skip
    document = signed.read_bytes()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    der = build_ses_signature_v4(seal_der=sm2_seal, data=document, property_info=signed.name, time_info=now,
                                 cert=holder.certificate, sign_alg=gm.SM2_WITH_SM3_OID, sign=holder.sign_message)  # fmt: skip
    sig = parse_ses_signature(der)
    assert (sig.version, sig.time_info, sig.sign_alg, sig.cert) == (
        4,
        now,
        gm.SM2_WITH_SM3_OID,
        holder.certificate,
    )
    assert sig.property_info == "%E5%90%88%E5%90%8C.pdf" and sig.seal.es_id == "SM2PDF000001"
    check = verify_ses_signature(sig, data=document)
    assert check.ok and check.signature_ok and check.data_hash_ok and check.seal_check.bound
    assert verify_ses_signature(sig, data=document + b"\n").data_hash_ok is False

    (tmp_path / "ses.der").write_bytes(der)
    assert _openssl("asn1parse", "-inform", "DER", "-in", str(tmp_path / "ses.der")).returncode == 0
    checked = openssl_sm2_verify(tmp_path, holder.public_pem(), sig.tbs_der, sig.signature)
    assert checked.returncode == 0 and "Verified OK" in checked.stdout, checked.stderr
    assert _openssl("dgst", "-sm3", "-binary", str(signed)).stdout == sig.data_hash


def test_a_digest_only_signer_with_an_sm2_certificate_is_refused(tmp_path, holder):
    """An SM2 certificate on a key that can only sign digests: a typed error, no output."""
    from app.core.errors import MechanismUnsupported

    class DigestOnly:
        certificate = holder.certificate
        key_type, scheme = "ec", "ecdsa"

        def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
            raise AssertionError("must not be asked")

    out = io.BytesIO()
    with pytest.raises(MechanismUnsupported):
        sign_pdf(make_pdf(tmp_path / "doc.pdf", pages=1), out, signer=DigestOnly(), spots=[spot(0, (100, 100, 200, 200))],
                 spot_images=[seal_png()], seal_der=None, settings=SignSettings())  # fmt: skip
    assert out.getvalue() == b""

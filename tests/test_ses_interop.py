"""Seals and a seal signature made by another implementation (ofdrw test resources)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.core import gm
from app.core.clock import fixed_clock
from app.core.errors import CertificateExpired, SealExpired
from app.core.ses import (
    parse_seal,
    parse_ses_signature,
    signature_algorithm_verify,
    verify_seal,
    verify_ses_signature,
)
from app.core.ses.kinds import SealCategory

THEN = fixed_clock(datetime(2021, 1, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def signed_value(interop_dir: Path) -> bytes:
    return (interop_dir / "SignedValueV4.dat").read_bytes()


def test_v1_seal(interop_dir: Path) -> None:
    der = (interop_dir / "UserV1.esl").read_bytes()
    seal = parse_seal(der)
    assert seal.version == 1
    assert seal.vid == "OFDR&WTest"
    assert seal.es_id == "40C8CDD24DEF43388B86E62CCE1D6832"
    assert seal.type == 1 and seal.kind.category == SealCategory.OFFICIAL
    assert seal.name == "OFDRW测试用印章"
    assert seal.cert_list_type == 1 and len(seal.certs) == 1 and seal.cert_digests == ()
    assert seal.valid_end == datetime(2022, 4, 22, 2, 18, 7, tzinfo=UTC)
    assert seal.picture.type == "PNG" and seal.picture.data.startswith(b"\x89PNG")
    assert seal.sign_alg == gm.SM2_WITH_SM3_OID
    assert seal.der == der
    # v1: the maker signature covers SEQUENCE { SES_SealInfo, cert, signatureAlgorithm }
    assert seal.maker_tbs[0] == 0x30 and seal.maker_tbs != der


def test_v4_seal(interop_dir: Path) -> None:
    seal = parse_seal((interop_dir / "UserV4.esl").read_bytes())
    assert (seal.version, seal.vid, seal.type) == (4, "OFDR&WTest", 3)
    assert seal.name == "OFD R&W 测试用印章"
    assert seal.picture.type == "PNG"
    assert (seal.picture.width_mm, seal.picture.height_mm) == (40.0, 40.0)
    assert seal.create_date == datetime(2020, 4, 22, 2, 9, tzinfo=UTC)
    # type 3 is a vendor number and the name names no kind: "other" (counted as official), raw number kept
    assert seal.kind.category == SealCategory.OTHER and seal.kind.code == 3 and seal.kind.is_official


@pytest.mark.parametrize("name", ["UserV1.esl", "UserV4.esl"])
def test_interop_seals_verify_then_and_are_expired_now(interop_dir: Path, name: str) -> None:
    seal = parse_seal((interop_dir / name).read_bytes())
    then = verify_seal(seal, clock=THEN)
    assert then.maker_signature_ok and then.maker_cert_valid and then.within_validity
    assert then.bound is None and then.ok and then.status == "valid"

    now = verify_seal(seal)
    assert now.maker_signature_ok and not now.within_validity
    assert now.status == "expired" and not now.ok
    expired = [p for p in now.problems if isinstance(p, SealExpired)]
    assert expired and expired[0].params["date"] == seal.valid_end.strftime("%Y-%m-%d")
    assert any(isinstance(p, CertificateExpired) for p in now.problems)  # the maker cert ran out too


def test_maker_signature_checked_by_openssl(interop_dir: Path, tmp_path: Path) -> None:
    """An independent check that `maker_tbs` is exactly what the maker signed."""
    seal = parse_seal((interop_dir / "UserV4.esl").read_bytes())
    (tmp_path / "maker.der").write_bytes(seal.maker_cert)
    (tmp_path / "tbs.der").write_bytes(seal.maker_tbs)
    (tmp_path / "sig.der").write_bytes(seal.signed_value)
    run = lambda *a: subprocess.run(["openssl", *a], cwd=tmp_path, capture_output=True, timeout=60)  # noqa: E731
    assert run("x509", "-inform", "DER", "-in", "maker.der", "-pubkey", "-noout", "-out", "pub.pem").returncode == 0
    out = run("dgst", "-sm3", "-verify", "pub.pem", "-signature", "sig.der", "-sigopt", "distid:1234567812345678", "tbs.der")
    assert b"Verified OK" in out.stdout, out.stdout + out.stderr


def test_signed_value_v4(interop_dir: Path, signed_value: bytes) -> None:
    sig = parse_ses_signature(signed_value)
    assert sig.version == 4
    assert sig.time_info == datetime(2020, 10, 12, 11, 14, 3, tzinfo=UTC)
    assert sig.property_info == "/Doc_0/Signs/Sign_0/Signature.xml"
    assert sig.sign_alg == gm.SM2_WITH_SM3_OID
    assert len(sig.data_hash) == 32
    assert sig.timestamp is None
    assert sig.der == signed_value
    # the embedded seal is UserV4.esl
    assert sig.seal.der == (interop_dir / "UserV4.esl").read_bytes()
    assert signature_algorithm_verify(sig.sign_alg, sig.cert, sig.tbs_der, sig.signature)

    check = verify_ses_signature(sig)
    assert check.signature_ok and check.data_hash_ok is None
    assert check.seal_check.bound is True  # signer cert is in the seal's cert list
    assert check.seal_check.checked_at == sig.time_info
    assert check.ok and check.problems == ()

    # the signer's certificate is the one in USER.p12
    _, user_cert = gm.load_sm2_p12((interop_dir / "USER.p12").read_bytes(), b"777777")
    assert sig.cert == user_cert


def test_signed_value_v4_data_hash_and_tampering(signed_value: bytes) -> None:
    sig = parse_ses_signature(signed_value)
    check = verify_ses_signature(sig, data=b"not the signed Signature.xml")
    assert check.data_hash_ok is False and not check.ok

    index = sig.der.index(b"/Doc_0/Signs/Sign_0/Signature.xml")
    tampered = bytearray(signed_value)
    tampered[index + 1] ^= 0x01
    bad = verify_ses_signature(parse_ses_signature(bytes(tampered)))
    assert not bad.signature_ok and not bad.ok
    assert bad.seal_check.maker_signature_ok  # the seal itself is untouched


def test_signed_value_inside_the_signed_ofd(interop_dir: Path) -> None:
    """SESV4SignDoc.ofd: dataHash = SM3(Signature.xml); it was signed after the test keys had expired."""
    import zipfile

    with zipfile.ZipFile(interop_dir / "SESV4SignDoc.ofd") as ofd:
        sig = parse_ses_signature(ofd.read("Doc_0/Signs/Sign_0/SignedValue.dat"))
        signature_xml = ofd.read(sig.property_info.lstrip("/"))
        seal_file = ofd.read("Doc_0/Signs/Sign_0/Seal.esl")
    check = verify_ses_signature(sig, data=signature_xml)
    assert check.signature_ok and check.data_hash_ok is True
    assert sig.time_info.year > 2022  # after validEnd of the seal and both certificates
    assert check.seal_check.maker_signature_ok and check.seal_check.bound is True
    assert check.seal_check.status == "expired" and not check.ok
    assert any(isinstance(p, SealExpired) for p in check.problems)
    assert parse_seal(seal_file).es_id == sig.seal.es_id

"""Building, parsing and verifying seals and seal signatures made here."""

from __future__ import annotations

import hashlib
import random
import secrets
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from app.core import gm
from app.core.clock import fixed_clock
from app.core.errors import (
    CertificateExpired,
    InvalidArgument,
    SealFormatError,
    SealNotBound,
    SealNotYetValid,
    SealSignatureInvalid,
)
from app.core.ses import (
    SealPicture,
    build_seal_v4,
    parse_seal,
    parse_ses_signature,
    signature_algorithm_verify,
    verify_seal,
    verify_ses_signature,
)
from app.core.ses import asn1 as ses_asn1

ECDSA_SHA256 = "1.2.840.10045.4.3.2"
ECDSA_SHA384 = "1.2.840.10045.4.3.3"
RSA_SHA256 = "1.2.840.113549.1.1.11"
RSA_PSS = "1.2.840.113549.1.1.10"

NOW = datetime.now(UTC).replace(microsecond=0)
PICTURE = SealPicture("PNG", b"\x89PNG\r\n\x1a\n" + secrets.token_bytes(64), 42.0, 42.0)
SM2_THEN = fixed_clock(datetime(2021, 1, 1, tzinfo=UTC))  # inside the interop SM2 certificates' validity


def _self_signed(key, cn: str, days: int = 30, start: datetime | None = None) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    start = start or NOW - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def ec_maker() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, _self_signed(key, "SealDesk test seal maker")


@pytest.fixture(scope="module")
def signer_certs() -> tuple[bytes, bytes]:
    """Two unrelated signing certificates: one to bind, one that is not bound."""
    return (
        _self_signed(ec.generate_private_key(ec.SECP256R1()), "Bound signer"),
        _self_signed(ec.generate_private_key(ec.SECP256R1()), "Other signer"),
    )


@pytest.fixture(scope="module")
def sm2_maker(interop_dir: Path) -> tuple[int, bytes]:
    return gm.load_sm2_p12((interop_dir / "SealBuilder.p12").read_bytes(), b"777777")


def _ec_seal(maker, **overrides) -> bytes:
    key, cert = maker
    args = dict(
        es_id="11010000000001",
        vid="SealDeskTest",
        seal_type=1,
        name="SealDesk Test Co. 测试单位",
        create_date=NOW,
        valid_start=NOW - timedelta(hours=1),
        valid_end=NOW + timedelta(days=365),
        picture=PICTURE,
        maker_cert=cert,
        sign_alg=ECDSA_SHA256,
        sign=lambda tbs: key.sign(tbs, ec.ECDSA(hashes.SHA256())),
    )
    args.update(overrides)
    return build_seal_v4(**args)


def test_ecdsa_seal_round_trip(ec_maker, signer_certs) -> None:
    der = _ec_seal(ec_maker, certs=[signer_certs[0]])
    seal = parse_seal(der)
    assert seal.version == 4 and seal.vid == "SealDeskTest" and seal.es_id == "11010000000001"
    assert seal.name == "SealDesk Test Co. 测试单位" and seal.type == 1
    assert seal.cert_list_type == 1 and seal.certs == (signer_certs[0],)
    assert seal.picture == PICTURE
    assert seal.create_date == NOW and seal.valid_end == NOW + timedelta(days=365)
    assert seal.maker_cert == ec_maker[1] and seal.sign_alg == ECDSA_SHA256
    assert seal.der == der and seal.time_stamp is None
    # GeneralizedTime, as GB/T 38540 specifies
    prop = core.Sequence.load(ses_asn1.SealInfo.load(seal.maker_tbs)["property"].dump())
    assert isinstance(prop[4], core.GeneralizedTime)

    check = verify_seal(seal)
    assert check.ok and check.status == "valid" and check.bound is None
    assert verify_seal(seal, signing_cert=signer_certs[0]).status == "valid"


def test_tampered_name_breaks_the_maker_signature(ec_maker) -> None:
    der = _ec_seal(ec_maker)
    index = der.index(b"SealDesk Test Co.")
    tampered = bytearray(der)
    tampered[index] = ord("Z")
    seal = parse_seal(bytes(tampered))
    assert seal.name.startswith("ZealDesk")
    check = verify_seal(seal)
    assert not check.maker_signature_ok and check.status == "invalid" and not check.ok
    assert any(isinstance(p, SealSignatureInvalid) for p in check.problems)


def test_sm2_seal_made_with_the_interop_maker_key(sm2_maker, interop_dir: Path, tmp_path: Path) -> None:
    scalar, maker_cert = sm2_maker
    _, user_cert = gm.load_sm2_p12((interop_dir / "USER.p12").read_bytes(), b"777777")
    der = build_seal_v4(
        es_id="SM2-0001",
        vid="SealDeskTest",
        seal_type=3,
        name="SM2 测试印章",
        certs=[user_cert],
        create_date=datetime(2020, 6, 1, tzinfo=UTC),
        valid_start=datetime(2020, 6, 1, tzinfo=UTC),
        valid_end=datetime(2021, 6, 1, tzinfo=UTC),
        picture=PICTURE,
        maker_cert=maker_cert,
        sign_alg=gm.SM2_WITH_SM3_OID,
        sign=lambda tbs: gm.sm2_sign(scalar, tbs),
    )
    seal = parse_seal(der)
    check = verify_seal(seal, clock=SM2_THEN, signing_cert=user_cert)
    assert check.ok and check.status == "valid" and check.bound is True
    assert verify_seal(seal).status == "expired"

    # OpenSSL confirms the maker signature covers exactly SES_SealInfo
    (tmp_path / "maker.der").write_bytes(maker_cert)
    (tmp_path / "tbs.der").write_bytes(seal.maker_tbs)
    (tmp_path / "sig.der").write_bytes(seal.signed_value)
    run = lambda *a: subprocess.run(["openssl", *a], cwd=tmp_path, capture_output=True, timeout=60)  # noqa: E731
    assert run("x509", "-inform", "DER", "-in", "maker.der", "-pubkey", "-noout", "-out", "pub.pem").returncode == 0
    out = run("dgst", "-sm3", "-verify", "pub.pem", "-signature", "sig.der", "-sigopt", "distid:1234567812345678", "tbs.der")
    assert b"Verified OK" in out.stdout, out.stdout + out.stderr


def test_binding_by_certificate_list(ec_maker, signer_certs) -> None:
    seal = parse_seal(_ec_seal(ec_maker, certs=list(signer_certs[:1])))
    assert verify_seal(seal, signing_cert=signer_certs[0]).bound is True
    check = verify_seal(seal, signing_cert=signer_certs[1])
    assert check.bound is False and check.status == "not_bound" and not check.ok
    assert [type(p) for p in check.problems] == [SealNotBound]


@pytest.mark.parametrize("digest_type", ["SM3", "sm3", "SHA256", "sha-256", "1.2.156.10197.1.401"])
def test_binding_by_digest_list(ec_maker, signer_certs, digest_type: str) -> None:
    bound_cert = signer_certs[0]
    value = hashlib.sha256(bound_cert).digest() if "256" in digest_type else gm.sm3(bound_cert)
    der = _ec_seal(ec_maker, cert_digests=[(digest_type, value)])
    seal = parse_seal(der)
    assert seal.cert_list_type == 2 and seal.certs == ()
    assert seal.cert_digests == ((digest_type, value),)
    assert verify_seal(seal, signing_cert=bound_cert).status == "valid"
    assert verify_seal(seal, signing_cert=signer_certs[1]).status == "not_bound"


def test_unknown_digest_type_binds_nothing(ec_maker, signer_certs) -> None:
    seal = parse_seal(_ec_seal(ec_maker, cert_digests=[("MD4", b"\x00" * 16)]))
    assert verify_seal(seal, signing_cert=signer_certs[0]).status == "not_bound"


def test_v5_round_trip_with_and_without_time_stamp(ec_maker, signer_certs) -> None:
    der = _ec_seal(ec_maker, certs=[signer_certs[0]], version=5)
    seal = parse_seal(der)
    assert seal.version == 5 and seal.time_stamp is None
    assert verify_seal(seal, signing_cert=signer_certs[0]).status == "valid"

    # a v5 seal with its optional [0] time stamp has five elements
    loaded = ses_asn1.SealV4.load(der)
    with_ts = ses_asn1.SealV4(
        {
            "seal_info": loaded["seal_info"],
            "cert": loaded["cert"],
            "sign_alg_id": loaded["sign_alg_id"],
            "signed_value": loaded["signed_value"],
            "time_stamp": b"timestamp-token",
        }
    ).dump()
    assert len(core.Sequence.load(with_ts)) == 5
    seal5 = parse_seal(with_ts)
    assert seal5.version == 5 and seal5.time_stamp == b"timestamp-token"
    assert verify_seal(seal5).maker_signature_ok


def test_validity_window(ec_maker) -> None:
    seal = parse_seal(_ec_seal(ec_maker, valid_start=NOW + timedelta(days=2), valid_end=NOW + timedelta(days=3)))
    early = verify_seal(seal)
    assert early.status == "not_yet_valid" and not early.within_validity
    assert isinstance(early.problems[0], SealNotYetValid)
    assert early.problems[0].params["date"] == seal.valid_start.strftime("%Y-%m-%d")
    assert verify_seal(seal, clock=fixed_clock(NOW + timedelta(days=2, hours=1))).status == "valid"
    assert verify_seal(seal, clock=fixed_clock(NOW + timedelta(days=4))).status == "expired"


def test_expired_maker_certificate(ec_maker) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    old_cert = _self_signed(key, "Old maker", days=10, start=NOW - timedelta(days=20))
    seal = parse_seal(_ec_seal((key, old_cert)))
    check = verify_seal(seal)
    assert check.maker_signature_ok and not check.maker_cert_valid and check.within_validity
    assert check.status == "expired"
    assert any(isinstance(p, CertificateExpired) for p in check.problems)


def test_build_rejects_bad_arguments(ec_maker, signer_certs) -> None:
    with pytest.raises(InvalidArgument):
        _ec_seal(ec_maker, certs=[signer_certs[0]], cert_digests=[("SM3", b"1" * 32)])
    with pytest.raises(InvalidArgument):
        _ec_seal(ec_maker, create_date=datetime(2024, 1, 1))
    with pytest.raises(InvalidArgument):
        _ec_seal(ec_maker, version=3)
    with pytest.raises(InvalidArgument):
        _ec_seal(ec_maker, es_id="印章")


def test_damaged_data_raises_only_seal_format_error(ec_maker, signer_certs, interop_dir: Path) -> None:
    der = _ec_seal(ec_maker, certs=[signer_certs[0]])
    for end in range(0, len(der), 7):
        with pytest.raises(SealFormatError):
            parse_seal(der[:end])
    with pytest.raises(SealFormatError):
        parse_seal(der + b"\x00")
    rng = random.Random(4)
    for _ in range(200):
        with pytest.raises(SealFormatError):
            parse_seal(rng.randbytes(rng.randrange(1, 400)))
        with pytest.raises(SealFormatError):
            parse_ses_signature(rng.randbytes(rng.randrange(1, 400)))
    with pytest.raises(SealFormatError):
        parse_seal((interop_dir / "SignedValueV4.dat").read_bytes())  # a signature, not a seal
    for _ in range(300):
        flipped = bytearray(der)
        flipped[rng.randrange(len(der))] ^= 1 << rng.randrange(8)
        try:
            seal = parse_seal(bytes(flipped))
        except SealFormatError as exc:
            assert exc.detail
            continue
        verify_seal(seal, signing_cert=signer_certs[0])  # must not raise either


def test_signature_algorithm_verify_rsa_and_ecdsa() -> None:
    data = secrets.token_bytes(100)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_cert = _self_signed(rsa_key, "RSA")
    pkcs1 = rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    pss = rsa_key.sign(data, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    assert signature_algorithm_verify(RSA_SHA256, rsa_cert, data, pkcs1)
    assert signature_algorithm_verify(RSA_PSS, rsa_cert, data, pss)
    assert not signature_algorithm_verify(RSA_SHA256, rsa_cert, data + b"1", pkcs1)
    assert not signature_algorithm_verify(RSA_PSS, rsa_cert, data, pkcs1)

    p384 = ec.generate_private_key(ec.SECP384R1())
    p384_cert = _self_signed(p384, "P-384")
    sig = p384.sign(data, ec.ECDSA(hashes.SHA384()))
    assert signature_algorithm_verify(ECDSA_SHA384, p384_cert, data, sig)
    assert not signature_algorithm_verify(ECDSA_SHA256, p384_cert, data, sig)
    assert not signature_algorithm_verify(RSA_SHA256, p384_cert, data, sig)  # key type mismatch
    assert not signature_algorithm_verify("1.2.3.4", p384_cert, data, sig)  # unknown algorithm
    assert not signature_algorithm_verify(ECDSA_SHA384, b"not a cert", data, sig)
    assert not signature_algorithm_verify(gm.SM2_WITH_SM3_OID, p384_cert, data, sig)


def _bits(value: bytes) -> ses_asn1.AnyBytes:
    return ses_asn1.AnyBytes(name="bits", value=value)


def test_v1_signature_with_vendor_deviations(interop_dir: Path) -> None:
    """A v1 SES_Signature over UserV1.esl: timeInfo as text in a BIT STRING, dataHash as OCTET STRING."""
    scalar, user_cert = gm.load_sm2_p12((interop_dir / "USER.p12").read_bytes(), b"777777")
    document = b"<ofd:Signature>...</ofd:Signature>"
    tbs = ses_asn1.TbsSignV1(
        {
            "version": 1,
            "eseal": core.Any.load((interop_dir / "UserV1.esl").read_bytes()),
            "time_info": core.Any(core.OctetBitString(b"20210101120000Z")),
            "data_hash": ses_asn1.AnyBytes(name="octets", value=gm.sm3(document)),
            "property_info": ses_asn1.AnyString(name="ia5", value="/Doc_0/Signs/Sign_0/Signature.xml"),
            "cert": user_cert,
            "signature_algorithm": gm.SM2_WITH_SM3_OID,
        }
    )
    tbs_der = tbs.dump()
    der = ses_asn1.SignatureV1({"to_sign": tbs, "signature": _bits(gm.sm2_sign(scalar, tbs_der))}).dump()
    sig = parse_ses_signature(der)
    assert sig.version == 1 and sig.seal.version == 1
    assert sig.time_info == datetime(2021, 1, 1, 12, tzinfo=UTC)
    assert sig.tbs_der == tbs_der and sig.cert == user_cert
    check = verify_ses_signature(sig, data=document)
    assert check.signature_ok and check.data_hash_ok and check.seal_check.bound and check.ok
    assert verify_ses_signature(sig, data=document + b" ").data_hash_ok is False
    # a signing time after the verifier's clock is refused
    future = verify_ses_signature(sig, clock=fixed_clock(datetime(2020, 12, 1, tzinfo=UTC)))
    assert not future.ok and future.signature_ok


def test_v4_signature_with_utc_time_info(ec_maker, interop_dir: Path) -> None:
    """UTCTime where GeneralizedTime is specified; a signer not in the seal's list is reported."""
    key, cert = ec_maker
    seal_der = _ec_seal(ec_maker, certs=[cert])
    tbs = ses_asn1.TbsSignV4(
        {
            "version": 4,
            "eseal": core.Any.load(seal_der),
            "time_info": core.Any(core.UTCTime(NOW)),
            "data_hash": _bits(hashlib.sha256(b"doc").digest()),
            "property_info": ses_asn1.AnyString(name="ia5", value="doc.pdf"),
        }
    )
    signature = key.sign(tbs.dump(), ec.ECDSA(hashes.SHA256()))
    der = ses_asn1.SignatureV4(
        {"to_sign": tbs, "cert": cert, "signature_alg_id": ECDSA_SHA256, "signature": _bits(signature)}
    ).dump()
    sig = parse_ses_signature(der)
    assert sig.time_info == NOW and sig.version == 4
    check = verify_ses_signature(sig, data=b"doc")
    assert check.ok and check.data_hash_ok and check.seal_check.status == "valid"

    other = ec.generate_private_key(ec.SECP256R1())
    other_cert = _self_signed(other, "Unbound signer")
    der2 = ses_asn1.SignatureV4(
        {
            "to_sign": ses_asn1.TbsSignV4.load(tbs.dump()),
            "cert": other_cert,
            "signature_alg_id": ECDSA_SHA256,
            "signature": _bits(other.sign(tbs.dump(), ec.ECDSA(hashes.SHA256()))),
        }
    ).dump()
    check2 = verify_ses_signature(parse_ses_signature(der2))
    assert check2.signature_ok and check2.seal_check.status == "not_bound" and not check2.ok

"""SM2/SM3 helpers, cross-checked with OpenSSL 3 (an independent SM2 implementation)."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

import pytest
from asn1crypto import algos, keys, pem, x509
from gmssl import sm2

from app.core import gm

OPENSSL = "openssl"
PASSWORD = b"777777"


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def user_key(interop_dir: Path) -> tuple[int, bytes]:
    return gm.load_sm2_p12((interop_dir / "USER.p12").read_bytes(), PASSWORD)


def test_sm3_matches_the_standard_vector_and_openssl(tmp_path: Path) -> None:
    # GB/T 32905 appendix A example 1
    assert gm.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    data = secrets.token_bytes(1000)
    (tmp_path / "d.bin").write_bytes(data)
    out = _openssl("dgst", "-sm3", "-r", "d.bin", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[0].decode() == gm.sm3(data).hex()


def test_register_oids_names_sm_algorithms() -> None:
    gm.register_oids()
    gm.register_oids()  # idempotent
    assert algos.DigestAlgorithmId(gm.SM3_OID).native == "sm3"
    assert algos.SignedDigestAlgorithmId(gm.SM2_WITH_SM3_OID).native == "sm2_sm3"
    assert algos.SignedDigestAlgorithmId("sm2_sm3").dotted == gm.SM2_WITH_SM3_OID
    assert keys.NamedCurve(gm.SM2_CURVE_OID).native == "sm2p256v1"


@pytest.mark.parametrize("name", ["USER.p12", "SealBuilder.p12"])
def test_load_sm2_p12_matches_openssl(interop_dir: Path, tmp_path: Path, name: str) -> None:
    scalar, cert_der = gm.load_sm2_p12((interop_dir / name).read_bytes(), PASSWORD)
    out = _openssl(
        "pkcs12", "-legacy", "-in", str(interop_dir / name), "-passin", "pass:777777", "-nodes", cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    blocks = {kind: der for kind, _, der in pem.unarmor(out.stdout, multiple=True)}
    assert blocks["CERTIFICATE"] == cert_der
    info = keys.PrivateKeyInfo.load(blocks["PRIVATE KEY"])
    assert keys.ECPrivateKey.load(info["private_key"].contents)["private_key"].native == scalar
    assert gm.sm2_public_point_from_private(scalar) == gm.sm2_public_point_from_cert(cert_der)


def test_load_sm2_p12_wrong_password(interop_dir: Path) -> None:
    with pytest.raises(ValueError):
        gm.load_sm2_p12((interop_dir / "USER.p12").read_bytes(), b"000000")


def test_sign_verify_round_trip_and_rejections(user_key: tuple[int, bytes]) -> None:
    scalar, cert = user_key
    point = gm.sm2_public_point_from_cert(cert)
    assert len(point) == 65 and point[0] == 4
    data = b"SealDesk \xe7\x94\xb5\xe5\xad\x90\xe5\x8d\xb0\xe7\xab\xa0"
    sig = gm.sm2_sign(scalar, data)
    assert gm.sm2_verify(point, data, sig)
    assert gm.sm2_verify(point[1:], data, sig)  # bare X||Y accepted too
    assert not gm.sm2_verify(point, data + b"x", sig)
    assert not gm.sm2_verify(point, data, sig, user_id=b"another-id")
    assert not gm.sm2_verify(point, data, sig[:-1])  # truncated DER
    assert not gm.sm2_verify(point, data, b"")
    assert not gm.sm2_verify(point, data, b"\x30\x06\x02\x01\x00\x02\x01\x00")  # r = s = 0
    assert not gm.sm2_verify(b"\x04" + b"\x01" * 64, data, sig)  # not a curve point
    assert gm.sm2_sign(scalar, data) != sig  # fresh nonce each time


def test_points_with_leading_zero_or_four_digits_survive_gmssl() -> None:
    """gmssl's constructor strips leading "0"/"4" hex digits; our wrapper must not lose them."""
    found = 0
    while found < 2:
        scalar = secrets.randbelow(2**255) + 1
        point = gm.sm2_public_point_from_private(scalar)
        if point[1:].hex()[0] in "04":
            found += 1
            mangled = sm2.CryptSM2(private_key="", public_key="04" + point[1:].hex()).public_key
            assert mangled != point[1:].hex()  # the bug this wrapper avoids
            sig = gm.sm2_sign(scalar, b"data")
            assert gm.sm2_verify(point, b"data", sig)


def test_normalise_compressed_point(user_key: tuple[int, bytes]) -> None:
    point = gm.sm2_public_point_from_private(user_key[0])
    compressed = bytes([2 + point[-1] % 2]) + point[1:33]
    assert gm.normalise_public_point(compressed) == point
    with pytest.raises(ValueError):
        gm.normalise_public_point(b"\x04" + b"\x00" * 10)


def test_openssl_verifies_our_signature(user_key: tuple[int, bytes], tmp_path: Path) -> None:
    scalar, cert = user_key
    (tmp_path / "cert.der").write_bytes(cert)
    assert _openssl("x509", "-inform", "DER", "-in", "cert.der", "-pubkey", "-noout", "-out", "pub.pem", cwd=tmp_path).returncode == 0
    data = secrets.token_bytes(300)
    (tmp_path / "tbs.der").write_bytes(data)
    (tmp_path / "sig.der").write_bytes(gm.sm2_sign(scalar, data))
    args = ["dgst", "-sm3", "-verify", "pub.pem", "-signature", "sig.der", "-sigopt", "distid:1234567812345678", "tbs.der"]
    out = _openssl(*args, cwd=tmp_path)
    assert out.returncode == 0 and b"Verified OK" in out.stdout, out.stdout + out.stderr
    (tmp_path / "tbs.der").write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert _openssl(*args, cwd=tmp_path).returncode != 0


def test_we_verify_openssl_signatures_and_certificates(tmp_path: Path) -> None:
    assert _openssl("genpkey", "-algorithm", "SM2", "-out", "key.pem", cwd=tmp_path).returncode == 0
    out = _openssl(
        "req", "-x509", "-new", "-key", "key.pem", "-subj", "/CN=SealDesk SM2 test", "-sm3",
        "-sigopt", "distid:1234567812345678", "-days", "2", "-outform", "DER", "-out", "cert.der",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    data = secrets.token_bytes(500)
    (tmp_path / "tbs.der").write_bytes(data)
    out = _openssl(
        "dgst", "-sm3", "-sign", "key.pem", "-sigopt", "distid:1234567812345678", "-out", "sig.der", "tbs.der",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    cert_der = (tmp_path / "cert.der").read_bytes()
    point = gm.sm2_public_point_from_cert(cert_der)
    sig = (tmp_path / "sig.der").read_bytes()
    assert gm.sm2_verify(point, data, sig)
    assert not gm.sm2_verify(point, data + b"\x00", sig)
    # the self-signed certificate's own SM2 signature (tbsCertificate, default user ID)
    cert = x509.Certificate.load(cert_der)
    assert cert["signature_algorithm"]["algorithm"].dotted == gm.SM2_WITH_SM3_OID
    assert gm.sm2_verify(point, cert["tbs_certificate"].dump(), cert["signature_value"].native)


def test_load_sm2_p12_made_by_openssl3_with_pbes2(tmp_path: Path) -> None:
    """OpenSSL 3's default PKCS#12: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) and a SHA-256 MAC."""
    assert _openssl("genpkey", "-algorithm", "SM2", "-out", "key.pem", cwd=tmp_path).returncode == 0
    out = _openssl(
        "req", "-x509", "-new", "-key", "key.pem", "-subj", "/CN=p12", "-sm3", "-sigopt",
        "distid:1234567812345678", "-days", "1", "-out", "cert.pem", cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    out = _openssl(
        "pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-passout", "pass:secret", "-out", "k.p12",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    scalar, cert_der = gm.load_sm2_p12((tmp_path / "k.p12").read_bytes(), b"secret")
    assert _openssl("x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der", cwd=tmp_path).returncode == 0
    assert cert_der == (tmp_path / "cert.der").read_bytes()
    sig = gm.sm2_sign(scalar, b"x")
    assert gm.sm2_verify(gm.sm2_public_point_from_cert(cert_der), b"x", sig)
    with pytest.raises(ValueError):
        gm.load_sm2_p12((tmp_path / "k.p12").read_bytes(), b"wrong")

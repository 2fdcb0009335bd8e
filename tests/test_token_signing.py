"""Signing, certificates and seal objects on real SoftHSM tokens, verified independently."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from app.core.errors import InvalidArgument, KeyNotFound, MechanismUnsupported, SealNotFound
from app.core.keys import KeySession, TokenManager

USER_PIN = "123456"
HASHES = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}


@pytest.fixture
def session(manager: TokenManager, fresh_token: str):
    with manager.open_session(manager.find_token(label=fresh_token), USER_PIN) as key_session:
        yield key_session


@pytest.fixture(scope="module")
def rsa_key(softhsm_module: str):
    """One token with an RSA-2048 key for the module (key generation is the slow part); yields (label, public)."""
    import uuid

    from app.core import softhsm

    label = f"R{uuid.uuid4().hex[:12]}"
    softhsm.init_token(label, USER_PIN, "12345678")
    mgr = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    try:
        with mgr.open_session(mgr.find_token(label=label), USER_PIN) as key_session:
            public = key_session.generate_key_pair("rsa2048", b"\x01\x02", "RSA signing key")
    finally:
        mgr.close()
    yield label, public
    softhsm.delete_token(label)


@pytest.fixture
def rsa_token(manager: TokenManager, rsa_key):
    """A session on the RSA token (per test: an open SoftHSM session blocks re-initialisation)."""
    label, public = rsa_key
    with manager.open_session(manager.find_token(label=label), USER_PIN) as key_session:
        yield key_session, public


def make_cert(public_key, common_name: str = "张三") -> bytes:
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(issuer_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("hash_name", ["sha256", "sha384", "sha512"])
def test_rsa_pkcs1v15_digest_and_data(rsa_token: tuple[KeySession, rsa.RSAPublicKey], hash_name: str):
    session, public = rsa_token
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    data = f"合同 {hash_name}".encode()
    digest = hashlib.new(hash_name, data).digest()
    sig = session.sign_digest(b"\x01\x02", digest, hash_name)
    public.verify(sig, data, padding.PKCS1v15(), HASHES[hash_name])
    assert session.sign_data(b"\x01\x02", data, hash_name) == sig  # PKCS#1 v1.5 is deterministic
    with pytest.raises(InvalidSignature):
        public.verify(sig, data + b"x", padding.PKCS1v15(), HASHES[hash_name])


def test_rsa_pss(rsa_token: tuple[KeySession, rsa.RSAPublicKey]):
    session, public = rsa_token
    data = b"PSS signed document"
    for hash_name in ("sha256", "sha512"):
        algo = HASHES[hash_name]
        pss = padding.PSS(mgf=padding.MGF1(algo), salt_length=algo.digest_size)
        sig = session.sign_digest(b"\x01\x02", hashlib.new(hash_name, data).digest(), hash_name, "pss")
        public.verify(sig, data, pss, algo)
        sig2 = session.sign_data(b"\x01\x02", data, hash_name, scheme="pss")
        public.verify(sig2, data, pss, algo)
        assert sig != sig2  # randomised salt


def test_ec_p256_digest_and_data_verified_with_openssl(session: KeySession, tmp_path: Path):
    public = session.generate_key_pair("ec-p256", b"\xec", "EC signing key")
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    data = b"EC signed document " * 50
    digest = hashlib.sha256(data).digest()
    sig = session.sign_digest(b"\xec", digest, "sha256")
    assert sig[0] == 0x30  # DER Ecdsa-Sig-Value, not r||s
    public.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    sig_data = session.sign_data(b"\xec", data)  # SoftHSM: hashed in software, CKM_ECDSA
    public.verify(sig_data, data, ec.ECDSA(hashes.SHA256()))
    sig384 = session.sign_data(b"\xec", data, "sha384")
    public.verify(sig384, data, ec.ECDSA(hashes.SHA384()))

    (tmp_path / "pub.pem").write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    (tmp_path / "data.bin").write_bytes(data)
    (tmp_path / "sig.der").write_bytes(sig_data)
    (tmp_path / "digest.bin").write_bytes(digest)
    (tmp_path / "digest.sig").write_bytes(sig)
    dgst = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "data.bin"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert dgst.returncode == 0 and "Verified OK" in dgst.stdout
    pkeyutl = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-in", "digest.bin", "-sigfile", "digest.sig"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pkeyutl.returncode == 0 and "Signature Verified Successfully" in pkeyutl.stdout
    (tmp_path / "data.bin").write_bytes(data + b"!")
    tampered = subprocess.run(
        ["openssl", "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.der", "data.bin"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert tampered.returncode != 0


def test_private_key_attributes(session: KeySession):
    from pkcs11 import Attribute, ObjectClass

    session.generate_key_pair("ec-p256", b"\x0a", "k")

    def read() -> dict:
        key = next(iter(session._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})))
        attrs = (Attribute.TOKEN, Attribute.PRIVATE, Attribute.SENSITIVE, Attribute.EXTRACTABLE, Attribute.SIGN)
        return {a: key[a] for a in attrs} | {Attribute.DECRYPT: key[Attribute.DECRYPT]}

    attrs = session._module.worker.call(read)
    assert attrs[Attribute.TOKEN] and attrs[Attribute.PRIVATE] and attrs[Attribute.SENSITIVE]
    assert not attrs[Attribute.EXTRACTABLE] and attrs[Attribute.SIGN] and not attrs[Attribute.DECRYPT]


def test_keys_certificates_and_digest_signer(session: KeySession):
    public = session.generate_key_pair("ec-p256", b"\x10", "公章 key")
    session.generate_key_pair("ec-p256", b"\x11", "no cert")
    cert = make_cert(public)
    session.put_certificate(b"\x10", "公章 cert", cert)
    session.put_certificate(b"\x10", "公章 cert", cert)  # replaces, does not duplicate
    keys = session.keys()
    assert [(k.key_id, k.label, k.key_type) for k in keys] == [(b"\x11", "no cert", "ec"), (b"\x10", "公章 key", "ec")]
    assert keys[1].certificate == cert and keys[0].certificate is None
    assert session.certificate(b"\x10") == cert
    with pytest.raises(KeyNotFound):
        session.certificate(b"\x11")
    with pytest.raises(KeyNotFound):
        session.digest_signer(b"\x11")

    signer = session.digest_signer(b"\x10")
    assert (signer.certificate, signer.key_type, signer.scheme) == (cert, "ec", "ecdsa")
    digest = hashlib.sha256(b"pdf bytes").digest()
    loaded = x509.load_der_x509_certificate(signer.certificate)
    loaded.public_key().verify(signer.sign_digest(digest, "sha256"), b"pdf bytes", ec.ECDSA(hashes.SHA256()))


def test_signing_errors(session: KeySession, rsa_token):
    session.generate_key_pair("ec-p256", b"\x20", "ec")
    with pytest.raises(KeyNotFound):
        session.sign_digest(b"\x99", b"\x00" * 32, "sha256")
    with pytest.raises(MechanismUnsupported):
        session.sign_digest(b"\x20", b"\x00" * 32, "sha256", "pss")
    with pytest.raises(MechanismUnsupported):
        session.sign_digest(b"\x20", b"\x00" * 32, "md5")
    with pytest.raises(InvalidArgument):
        session.sign_digest(b"\x20", b"\x00" * 31, "sha256")
    rsa_session, _ = rsa_token
    with pytest.raises(MechanismUnsupported):
        rsa_session.sign_digest(b"\x01\x02", b"\x00" * 32, "sha256", "ecdsa")
    with pytest.raises(MechanismUnsupported):
        session.generate_key_pair("rsa1024", b"\x21", "weak")


def test_seals_on_the_token(session: KeySession, manager: TokenManager):
    from pkcs11 import Attribute, ObjectClass

    session.generate_key_pair("ec-p256", b"\x30", "key")
    seal_a = b"\x30\x03\x02\x01\x01"
    session.put_seal(b"\x30", "合同专用章", seal_a)
    session.put_seal(b"\x30", "财务专用章", b"\x30\x03\x02\x01\x02")
    session.put_seal(b"\x30", "合同专用章", seal_a + b"\x00")  # replace
    seals = session.seals()
    assert [(s.key_id, s.label, s.der) for s in seals] == [
        (b"\x30", "合同专用章", seal_a + b"\x00"),
        (b"\x30", "财务专用章", b"\x30\x03\x02\x01\x02"),
    ]

    def raw_attrs() -> list[dict]:
        template = {Attribute.CLASS: ObjectClass.DATA}
        keys = (Attribute.APPLICATION, Attribute.OBJECT_ID, Attribute.TOKEN, Attribute.PRIVATE, Attribute.MODIFIABLE)
        return [{a: obj[a] for a in keys} for obj in session._session.get_objects(template)]

    for attrs in session._module.worker.call(raw_attrs):
        assert attrs == {
            Attribute.APPLICATION: "GB/T 38540 SESeal",
            Attribute.OBJECT_ID: b"\x30",
            Attribute.TOKEN: True,
            Attribute.PRIVATE: False,
            Attribute.MODIFIABLE: False,
        }

    session.delete_seal(b"\x30", "财务专用章")
    assert [s.label for s in session.seals()] == ["合同专用章"]
    with pytest.raises(SealNotFound):
        session.delete_seal(b"\x30", "财务专用章")
    with pytest.raises(InvalidArgument):
        session.put_seal(b"\x30", "empty", b"")

    # seals persist on the token: a new login sees them
    token = session.token
    session.close()
    with manager.open_session(token, USER_PIN) as again:
        assert [s.label for s in again.seals()] == ["合同专用章"]


def test_concurrent_signing_from_four_threads(rsa_token: tuple[KeySession, rsa.RSAPublicKey]):
    session, public = rsa_token
    errors: list[BaseException] = []
    results: list[tuple[bytes, bytes]] = []
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                data = f"thread {n} doc {i}".encode()
                scheme = "pss" if i % 2 else "pkcs1v15"
                sig = session.sign_digest(b"\x01\x02", hashlib.sha256(data).digest(), "sha256", scheme)
                results.append((data, sig, scheme))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(results) == 20
    for data, sig, scheme in results:
        pad = padding.PKCS1v15() if scheme == "pkcs1v15" else padding.PSS(padding.MGF1(hashes.SHA256()), 32)
        public.verify(sig, data, pad, hashes.SHA256())

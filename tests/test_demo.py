"""The demo key: a real SoftHSM token with three seals made by the demo maker."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from app.core import demo
from app.core.keys import TokenManager
from app.core.ses import kinds, parse_seal, verify_seal


@pytest.fixture
def demo_session(demo_key, softhsm_module):
    manager = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    token = manager.find_token(label=demo.DEMO_LABEL)
    session = manager.open_session(token, demo.DEMO_PIN)
    yield session
    session.close()
    manager.close()


def test_demo_key_holds_three_verified_bound_seals(demo_key, demo_session):
    assert demo_key.label == demo.DEMO_LABEL and len(demo_key.seals) == 3
    certs = {k.key_id: k.certificate for k in demo_session.keys()}
    stored = demo_session.seals()
    assert len(stored) == 3
    seals = {s.key_id: parse_seal(s.der) for s in stored}
    by_type = {seal.type: seal for seal in seals.values()}
    assert set(by_type) == {kinds.CONTRACT, kinds.DUTY_LEGAL_REPRESENTATIVE, kinds.PERSONAL}
    official = by_type[kinds.CONTRACT]
    assert official.kind.is_official and official.version == 4
    assert (official.picture.type, official.picture.width_mm, official.picture.height_mm) == ("PNG", 42, 42)
    assert by_type[kinds.DUTY_LEGAL_REPRESENTATIVE].picture.width_mm == 20
    assert by_type[kinds.PERSONAL].picture.width_mm == 18
    for key_id, seal in seals.items():
        check = verify_seal(seal, signing_cert=certs[key_id])
        assert check.ok and check.status == "valid" and check.bound is True, check.problems
        assert seal.picture.data.startswith(b"\x89PNG")


def test_demo_certificates_chain_to_the_demo_root(demo_key, demo_session):
    root = x509.load_pem_x509_certificate(demo_key.root_cert_path.read_bytes())
    key_types = set()
    for entry in demo_session.keys():
        cert = x509.load_der_x509_certificate(entry.certificate)
        assert cert.issuer == root.subject
        cert.verify_directly_issued_by(root)
        key_types.add(entry.key_type)
    assert key_types == {"ec", "rsa"}
    maker = parse_seal(demo_session.seals()[0].der).maker_cert
    x509.load_der_x509_certificate(maker).verify_directly_issued_by(root)


def test_demo_keys_sign_and_the_certificates_verify(demo_session):
    data = "用印测试".encode()
    for entry in demo_session.keys():
        signature = demo_session.sign_data(entry.key_id, data)
        public_key = x509.load_der_x509_certificate(entry.certificate).public_key()
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            assert isinstance(public_key, ec.EllipticCurvePublicKey)
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))


def test_demo_key_lives_in_the_user_data_dir(demo_key):
    import os

    home = os.environ["SEALDESK_HOME"]
    assert str(demo_key.root_cert_path).startswith(home)
    assert os.environ["SOFTHSM2_CONF"].startswith(home)

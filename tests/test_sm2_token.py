"""SM2 keys without the SM2 test module: catalog profiles, what SealDesk hands a token (e = SM3(Z || M)),
signature normalisation, SM2 usage-record signatures and the SM2 demo identity — cross-checked with OpenSSL 3.

The tests that sign on the module itself are in test_sm2_token_module.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from asn1crypto import pem

from app.core import gm
from app.core.errors import MechanismUnsupported, SigningFailed, TokenSignatureWrong
from app.core.keys import sm2
from app.core.keys.catalog import _sm2_entry, load_catalog
from app.core.usage.records import message_signature_problem

PASSWORD = b"777777"
MESSAGE = "用印记录 usage record ✓".encode()


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, timeout=60)


def openssl_verifies(cert_der: bytes, message: bytes, signature_der: bytes, folder: Path) -> bool:
    """`openssl dgst -sm3 -verify` with the default ID, the check the issue names."""
    (folder / "cert.der").write_bytes(cert_der)
    (folder / "msg.bin").write_bytes(message)
    (folder / "sig.der").write_bytes(signature_der)
    out = _openssl(
        "x509", "-inform", "DER", "-in", "cert.der", "-pubkey", "-noout", "-out", "pub.pem", cwd=folder
    )
    assert out.returncode == 0, out.stderr
    args = (
        "dgst",
        "-sm3",
        "-verify",
        "pub.pem",
        "-sigopt",
        "distid:1234567812345678",
        "-signature",
        "sig.der",
        "msg.bin",
    )
    return _openssl(*args, cwd=folder).returncode == 0


@pytest.fixture(scope="module")
def user_key(interop_dir: Path) -> tuple[int, bytes]:
    return gm.load_sm2_p12((interop_dir / "USER.p12").read_bytes(), PASSWORD)


def _token_raw_sign(private_key: int, e: bytes) -> bytes:
    """What a "raw" vendor mechanism does with e: a bare SM2 signature, returned as r||s (64 bytes)."""
    import secrets

    crypt = gm._crypt(gm.sm2_public_point_from_private(private_key)[1:].hex(), f"{private_key:064x}")
    while True:
        raw = crypt.sign(e, f"{secrets.randbelow(gm._N - 1) + 1:064x}")
        if raw:
            return bytes.fromhex(raw)


# --- catalog ---------------------------------------------------------------------------------------
def test_the_test_module_entry_points_into_the_source_tree_with_its_numbers() -> None:
    specs = {spec.id: spec for spec in load_catalog()}
    test = specs["sealdesk-sm2-test"]
    root = Path(__file__).resolve().parent.parent
    assert test.candidates == (str(root / "build/p11sm2/libsealdesk_sm2_test.so"),)
    assert test.prepare == "app.core.sm2_test_module:ensure_config"
    profile = sm2.profile_of(test.sm2)
    assert (profile.key_type, profile.mech_sm2_raw, profile.mech_sm3_sm2, profile.mech_keygen) == (
        0x80000004,
        0x80008104,
        0x80008100,
        0x80008001,
    )
    assert (profile.style, profile.signature, profile.user_id) == ("raw", "auto", b"1234567812345678")
    assert profile.mechanism == 0x80008104
    # every Chinese vendor entry has an SM2 profile; SoftHSM and OpenSC have none
    for vendor in ("longmai-gm3000", "feitian-epass3000gm", "feitian-epass3003", "haitai", "watchdata"):
        assert sm2.profile_of(specs[vendor].sm2).mechanism is not None, vendor
    assert specs["softhsm2"].sm2 == {} and sm2.profile_of({}).mechanism is None


def test_a_module_profile_starts_from_a_numbering_table_and_overrides_it() -> None:
    tables = {"ibm": {"key_type": 0x80050002, "mech_sm2_raw": 0x8005000B, "mech_sm3_sm2": 0x8005000C}}
    profile = sm2.profile_of(_sm2_entry({"numbers": "ibm", "style": "sm3_sm2", "signature": "der"}, tables))
    assert (profile.key_type, profile.mechanism, profile.signature) == (0x80050002, 0x8005000C, "der")
    assert sm2.profile_of(_sm2_entry("ibm", tables)).mechanism == 0x8005000B  # older catalogs name a table
    odd = sm2.profile_of({"style": "magic", "signature": "xml", "key_type": -1, "user_id": "ALICE"})
    assert (odd.style, odd.signature, odd.key_type, odd.user_id) == ("raw", "auto", None, b"ALICE")


def test_sm2_keys_are_recognised_by_vendor_type_or_by_the_sm2_curve() -> None:
    profile = sm2.profile_of({"key_type": 0x80000004})
    assert sm2.is_sm2_key(0x80000004, None, profile)
    assert sm2.is_sm2_key(3, sm2.SM2_CURVE_PARAMS, sm2.profile_of({}))  # CKK_EC on the SM2 curve
    p256 = bytes.fromhex("06082a8648ce3d030107")
    assert not sm2.is_sm2_key(3, p256, profile)
    assert not sm2.is_sm2_key(0, None, profile)


# --- what the token is given, what it returns ------------------------------------------------------
@pytest.mark.parametrize("answer", ["raw", "der"])
def test_raw_style_signature_over_e_verifies_with_openssl(user_key, tmp_path: Path, answer: str) -> None:
    private_key, cert = user_key
    profile = sm2.profile_of({"mech_sm2_raw": 0x80008104, "signature": answer})
    mechanism, e = sm2.token_input(profile, cert, MESSAGE)
    assert mechanism == 0x80008104 and len(e) == 32
    point = gm.sm2_public_point_from_cert(cert)
    assert e == gm.sm3(gm.z_value(point) + MESSAGE)
    raw = _token_raw_sign(private_key, e)
    returned = (
        raw
        if answer == "raw"
        else gm.encode_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    )
    der = sm2.checked(profile, cert, MESSAGE, returned)
    assert openssl_verifies(cert, MESSAGE, der, tmp_path)
    assert not openssl_verifies(cert, MESSAGE + b"!", der, tmp_path)


def test_sm3_sm2_style_hands_the_message_to_the_token(user_key) -> None:
    _, cert = user_key
    profile = sm2.profile_of({"mech_sm3_sm2": 0x8005000C, "style": "sm3_sm2"})
    assert sm2.token_input(profile, cert, MESSAGE) == (0x8005000C, MESSAGE)
    with pytest.raises(MechanismUnsupported):
        sm2.token_input(sm2.profile_of({"style": "sm3_sm2"}), cert, MESSAGE)


def test_a_catalog_id_other_than_the_default_goes_into_z(user_key) -> None:
    private_key, cert = user_key
    profile = sm2.profile_of({"mech_sm2_raw": 1, "user_id": "ALICE123@YAHOO.COM"})
    _, e = sm2.token_input(profile, cert, MESSAGE)
    der = sm2.checked(profile, cert, MESSAGE, _token_raw_sign(private_key, e))
    assert gm.sm2_verify(gm.sm2_public_point_from_cert(cert), MESSAGE, der, b"ALICE123@YAHOO.COM")
    assert not gm.sm2_verify(gm.sm2_public_point_from_cert(cert), MESSAGE, der)


def test_wrong_or_malformed_token_signatures_are_errors(user_key) -> None:
    private_key, cert = user_key
    profile = sm2.profile_of({"mech_sm2_raw": 1})
    _, e = sm2.token_input(profile, cert, MESSAGE)
    other_message = _token_raw_sign(
        private_key, gm.sm3(gm.z_value(gm.sm2_public_point_from_cert(cert)) + b"x")
    )
    with pytest.raises(TokenSignatureWrong) as caught:
        sm2.checked(profile, cert, MESSAGE, other_message)
    assert isinstance(caught.value, SigningFailed)  # callers that catch signing failures catch this too
    for garbage in (b"", b"\x30\x03\x02\x01", bytes(63), bytes(65)):
        with pytest.raises(TokenSignatureWrong):
            sm2.checked(profile, cert, MESSAGE, garbage)
    with pytest.raises(TokenSignatureWrong):  # a module that says "der" must not be read as r||s
        sm2.to_der(_token_raw_sign(private_key, e), "der")


def test_der_answers_are_reencoded_strictly(user_key) -> None:
    raw = bytes(range(1, 65))
    der = sm2.to_der(raw)
    assert (
        sm2.to_der(der)
        == der
        == gm.encode_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    )


# --- records ----------------------------------------------------------------------------------------
def test_message_signatures_by_sm2_keys_are_checked_both_ways_with_openssl(user_key, tmp_path: Path) -> None:
    private_key, cert = user_key
    ours = gm.sm2_sign(private_key, MESSAGE)
    assert message_signature_problem(cert, MESSAGE, ours) is None
    assert (
        message_signature_problem(cert, MESSAGE + b"x", ours)
        == "the signature does not verify with the signer certificate"
    )
    assert message_signature_problem(cert, MESSAGE, b"\x30\x00") is not None
    # a key and a certificate made by OpenSSL: its signature is checked by SealDesk
    steps = [
        ("genpkey", "-algorithm", "SM2", "-out", "k.pem"),
        ("req", "-x509", "-new", "-key", "k.pem", "-sm3", "-sigopt", "distid:1234567812345678",
         "-subj", "/CN=openssl sm2", "-days", "2", "-outform", "DER", "-out", "c.der"),
        ("dgst", "-sm3", "-sign", "k.pem", "-sigopt", "distid:1234567812345678", "-out", "s.der", "m.bin"),
    ]  # fmt: skip
    (tmp_path / "m.bin").write_bytes(MESSAGE)
    for step in steps:
        out = _openssl(*step, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
    openssl_cert, openssl_sig = (tmp_path / "c.der").read_bytes(), (tmp_path / "s.der").read_bytes()
    assert gm.is_sm2_certificate(openssl_cert)
    assert message_signature_problem(openssl_cert, MESSAGE, openssl_sig) is None
    assert message_signature_problem(openssl_cert, MESSAGE[:-1], openssl_sig) is not None


def test_is_sm2_certificate_tells_sm2_from_ec_and_rsa(user_key, demo_key) -> None:
    from app.core.keys import TokenManager

    assert gm.is_sm2_certificate(user_key[1])
    assert not gm.is_sm2_certificate(b"not a certificate")
    manager = TokenManager(use_catalog=True)
    try:
        certs = manager.public_objects(manager.find_token(label=demo_key.label)).certificates
    finally:
        manager.close()
    assert certs and not any(gm.is_sm2_certificate(c.der) for c in certs)


# --- the SM2 demo identity ---------------------------------------------------------------------------
def test_the_sm2_demo_chain_verifies_with_openssl_and_its_seal_with_sealdesk(tmp_path: Path) -> None:
    from app.core import demo_sm2
    from app.core.ses import parse_seal, verify_seal

    made = demo_sm2.make_sm2_identity()
    (tmp_path / "root.pem").write_bytes(pem.armor("CERTIFICATE", made.root))
    for name, der in (("holder", made.holder), ("maker", made.maker)):
        (tmp_path / f"{name}.pem").write_bytes(pem.armor("CERTIFICATE", der))
        out = _openssl(
            "verify", "-vfyopt", "distid:1234567812345678", "-CAfile", "root.pem", f"{name}.pem", cwd=tmp_path
        )
        assert out.returncode == 0, out.stdout + out.stderr
    seal = parse_seal(made.seal_der)
    assert seal.es_id == made.es_id and seal.version == 4
    check = verify_seal(seal, signing_cert=made.holder)
    assert check.ok and check.maker_signature_ok and check.bound, check
    assert gm.sm2_public_point_from_cert(made.holder) == gm.sm2_public_point_from_private(made.holder_key)


def test_seals_json_names_the_key_family(tmp_path: Path) -> None:
    from app.core import demo_sm2
    from app.core.ses import parse_seal, verify_seal
    from app.core.views import seal_row

    made = demo_sm2.make_sm2_identity()
    seal = parse_seal(made.seal_der)
    row = seal_row(seal, verify_seal(seal), made.holder).to_json(lambda _c, text: text)
    assert row["certificate"]["algorithm"] == "SM2" and row["certificate"]["key_type"] == "sm2"


def test_demo_key_without_the_module_says_why_the_sm2_demo_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.core import demo_sm2, sm2_test_module
    from app.core.errors import ModuleLoadFailed, ModuleNotBuilt

    monkeypatch.setattr(sm2_test_module, "module_path", lambda: None)  # as on a machine without `make setup`
    with pytest.raises(ModuleNotBuilt) as caught:
        demo_sm2.create_sm2_demo()
    assert isinstance(caught.value, ModuleLoadFailed)
    assert caught.value.user_message() == (
        "The SealDesk SM2 test module is not built: run `make setup` in SealDesk's source folder."
    )

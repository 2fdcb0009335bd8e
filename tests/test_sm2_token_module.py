"""SM2 keys on SealDesk's SM2 test module (tests/p11sm2, built by `make setup`): listing, signing in both
vendor styles, signatures checked by OpenSSL, SM2 usage records, the SM2 demo through the CLI.

Each test gets its own token store and module configuration; the module re-reads its configuration when
SealDesk re-initialises it (the catalog marks it `needs_reinit`), so one process can mimic several vendors.
SealDesk's side of a vendor is its catalog profile: tests that mimic another vendor give the loaded module
that vendor's `[module.sm2]` profile, exactly as a catalog entry would.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from test_sm2_token import openssl_verifies

from app.core import demo, demo_sm2, sm2_test_module
from app.core.errors import MechanismUnsupported, SigningFailed, TokenSignatureWrong
from app.core.keys import KeySession, TokenManager

MODULE = sm2_test_module.module_path()
pytestmark = pytest.mark.skipif(MODULE is None, reason="the SM2 test module is not built (make setup)")
ROOT = Path(__file__).resolve().parent.parent
MESSAGE = "合同 SM2 签名".encode()
IBM = {"key_type_sm2": "0x80050002", "mech_sm2_raw": "0x8005000B", "mech_sm3_sm2": "0x8005000C"}
"""Another vendor's numbering (the IBM one in drivers/modules.toml)."""


@dataclass
class Sm2Token:
    manager: TokenManager
    session: KeySession
    identity: demo_sm2.Sm2Identity


@pytest.fixture
def sm2_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Sm2Token]:
    """A fresh SM2 token holding the SM2 demo identity. Parameters (indirect): (module config overrides,
    SealDesk profile overrides)."""
    conf_overrides, profile_overrides = getattr(request, "param", ({}, {}))
    store = tmp_path / "store"
    store.mkdir()
    conf = tmp_path / "module.conf"
    conf.write_text(sm2_test_module.config_text(store, **conf_overrides), encoding="utf-8")
    previous = os.environ.get(sm2_test_module.CONF_ENV)
    os.environ[sm2_test_module.CONF_ENV] = str(conf)
    manager = TokenManager(extra_modules=[MODULE], use_catalog=False)
    session = None
    try:
        manager.reinitialize(
            MODULE
        )  # the module reads this conf (refused if another test left a session open)
        module = manager._module(MODULE)
        if profile_overrides:
            monkeypatch.setattr(
                module, "spec", replace(module.spec, sm2={**module.spec.sm2, **profile_overrides})
            )
        identity = demo_sm2.make_sm2_identity()
        manager.initialise_token(MODULE, "SM2 test", demo.DEMO_SO_PIN, demo.DEMO_PIN)
        token = manager.find_token(label="SM2 test")
        session = manager.open_session(token, demo.DEMO_PIN)
        session.import_sm2_key(demo_sm2.SM2_KEY_ID, "SM2 holder", identity.holder_key)
        session.put_certificate(demo_sm2.SM2_KEY_ID, "SM2 holder", identity.holder)
        session.put_seal(demo_sm2.SM2_KEY_ID, demo_sm2.SM2_SEAL_NAME, identity.seal_der)
        yield Sm2Token(manager, session, identity)
    finally:
        if session is not None:
            session.close()
        os.environ.pop(sm2_test_module.CONF_ENV)
        if previous is not None:
            os.environ[sm2_test_module.CONF_ENV] = previous
        sm2_test_module.ensure_config()  # what SealDesk's prepare hook does: the session's own store
        manager.reinitialize(MODULE)  # so later tests never see this test's token
        manager.close()


def test_sm2_keys_are_listed_with_their_kind_and_seals(sm2_token: Sm2Token) -> None:
    session = sm2_token.session
    (key,) = session.keys()
    assert (key.key_id, key.key_type, key.certificate) == (
        demo_sm2.SM2_KEY_ID,
        "sm2",
        sm2_token.identity.holder,
    )
    (seal,) = session.seals()
    assert (seal.key_id, seal.label, seal.der) == (
        demo_sm2.SM2_KEY_ID,
        demo_sm2.SM2_SEAL_NAME,
        sm2_token.identity.seal_der,
    )
    public = sm2_token.manager.public_objects(session.token)  # without the PIN, as the GUI shows them
    assert [c.der for c in public.certificates] == [sm2_token.identity.holder]
    assert [s.label for s in public.seals] == [demo_sm2.SM2_SEAL_NAME]


VENDORS = [
    pytest.param(({"signature_format": "raw"}, {}), id="raw-mechanism-rs"),
    pytest.param(({"signature_format": "der"}, {"style": "sm3_sm2"}), id="sm3sm2-mechanism-der"),
    pytest.param(
        (
            {**IBM, "signature_format": "der"},
            {"key_type": 0x80050002, "mech_sm2_raw": 0x8005000B, "mech_sm3_sm2": 0x8005000C},
        ),
        id="other-numbers-raw-der",
    ),
    pytest.param(
        (
            {**IBM, "signature_format": "raw"},
            {
                "key_type": 0x80050002,
                "mech_sm2_raw": 0x8005000B,
                "mech_sm3_sm2": 0x8005000C,
                "style": "sm3_sm2",
            },
        ),
        id="other-numbers-sm3sm2-rs",
    ),  # fmt: skip
]


@pytest.mark.parametrize("sm2_token", VENDORS, indirect=True)
def test_sign_sm2_in_each_vendor_style_verifies_with_openssl(sm2_token: Sm2Token, tmp_path: Path) -> None:
    session, holder = sm2_token.session, sm2_token.identity.holder
    signature = session.sign_sm2(demo_sm2.SM2_KEY_ID, MESSAGE)
    assert signature[0] == 0x30  # always DER, whatever the token returned
    assert openssl_verifies(holder, MESSAGE, signature, tmp_path)
    assert not openssl_verifies(holder, MESSAGE + b".", signature, tmp_path)
    signer = session.sm2_signer(demo_sm2.SM2_KEY_ID)  # what the SM2 PDF signer takes
    assert signer.certificate == holder
    long_message = os.urandom(100_000)
    assert openssl_verifies(holder, long_message, signer.sign_message(long_message), tmp_path)
    assert session.sign_sm2(demo_sm2.SM2_KEY_ID, b"") != session.sign_sm2(demo_sm2.SM2_KEY_ID, b"")  # fresh k


@pytest.mark.parametrize(
    "sm2_token", [pytest.param(({}, {"mech_sm2_raw": 0x80009999}), id="unknown")], indirect=True
)
def test_a_mechanism_the_token_does_not_know_is_a_typed_error(sm2_token: Sm2Token) -> None:
    with pytest.raises(MechanismUnsupported) as caught:
        sm2_token.session.sign_sm2(demo_sm2.SM2_KEY_ID, MESSAGE)
    assert "0x80009999" in caught.value.detail
    assert sm2_token.session.keys()[0].key_type == "sm2"  # the session still works


@pytest.mark.parametrize(
    "sm2_token",
    [pytest.param(({"signature_format": "raw"}, {"signature": "der"}), id="says-der-gets-rs")],
    indirect=True,
)
def test_an_answer_in_the_wrong_encoding_is_refused_not_used(sm2_token: Sm2Token) -> None:
    with pytest.raises(TokenSignatureWrong) as caught:
        sm2_token.session.sign_sm2(demo_sm2.SM2_KEY_ID, MESSAGE)
    assert isinstance(caught.value, SigningFailed)


def test_sm2_keys_refuse_digest_signing_and_other_keys_refuse_sm2(sm2_token: Sm2Token, session) -> None:
    with pytest.raises(MechanismUnsupported):
        sm2_token.session.sign_digest(demo_sm2.SM2_KEY_ID, bytes(32), "sha256")
    ec_key = next(k for k in session.keys() if k.key_type == "ec")  # the SoftHSM demo key's
    with pytest.raises(MechanismUnsupported):
        session.sign_sm2(ec_key.key_id, MESSAGE)
    with pytest.raises(MechanismUnsupported):
        session.sm2_signer(ec_key.key_id)


def test_python_pkcs11_refuses_the_vendor_mechanism_hence_the_raw_call(sm2_token: Sm2Token) -> None:
    """The fact behind the route in docs/decisions.md, checked on the module."""
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    session = sm2_token.session

    def attempt() -> str:
        key = next(session._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
        try:
            key.sign(b"\0" * 32, mechanism=0x80008104)
        except pkcs11.exceptions.ArgumentsBad as exc:
            return str(exc)
        return "signed"

    assert "must be a Mechanism" in session._module.worker.call(attempt)


def test_sm2_usage_records_append_and_log_verify_checks_them(sm2_token: Sm2Token, tmp_path: Path) -> None:
    from test_usage_log import new_record

    from app.core.usage import UsageLog
    from app.core.usage.log import DEFAULT_FILE_NAME

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    signer = sm2_token.session.digest_signer(demo_sm2.SM2_KEY_ID)
    assert (signer.key_type, signer.scheme) == ("sm2", "sm2")
    log = UsageLog(home / DEFAULT_FILE_NAME, client_host="h", client_version="1")
    try:
        first = log.append(new_record(signer, holder="SM2"), signer)
        second = log.void(first, "output not written", signer)
        assert log.verify().ok and log.verify().checked == 2
    finally:
        log.close()
    assert openssl_verifies(
        sm2_token.identity.holder, second.canonical_bytes(), base64.b64decode(second.signature), tmp_path
    )
    (tmp_path / "root.pem").write_bytes(demo_sm2._pem(sm2_token.identity.root))
    env = dict(os.environ, SEALDESK_HOME=str(home))
    verify = [
        sys.executable,
        "-m",
        "app.cli",
        "log",
        "verify",
        "--json",
        "--trust",
        str(tmp_path / "root.pem"),
    ]
    out = subprocess.run(verify, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    result = json.loads(out.stdout)
    assert (result["ok"], result["chain_ok"], result["checked"], result["problems"]) == (True, True, 2, [])


def test_demo_key_creates_the_sm2_demo_and_seals_json_shows_sm2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if k not in (sm2_test_module.CONF_ENV, "SOFTHSM2_CONF")}
    env["SEALDESK_HOME"] = str(home)

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    made = cli("demo-key")
    assert made.returncode == 0, made.stderr
    from lang import cli as said

    created = said(
        "SM2 demo key “{label}” created on the {module} ({path}).",
        label=demo.SM2_DEMO_LABEL,
        module=demo_sm2.MODULE_NAME,
        path=MODULE,
    )
    assert created in made.stdout
    assert said("  {module}: {seal}", module=demo_sm2.MODULE_NAME, seal=demo_sm2.SM2_SEAL_NAME) in made.stdout
    assert said("  {module}: {seal}", module="SoftHSM", seal=demo.DEMO_SEALS[0].seal_name) in made.stdout
    root = home / "demo" / "demo-sm2-root-ca.pem"
    assert said("SM2 demo root certificate: {path}", path=root) in made.stdout
    assert root.stat().st_mode & 0o777 == 0o600
    tokens = json.loads(cli("tokens", "--json").stdout)
    sm2_tokens = [t for t in tokens["tokens"] if t["label"] == demo.SM2_DEMO_LABEL]
    assert len(sm2_tokens) == 1 and sm2_tokens[0]["module_name"] == demo_sm2.MODULE_NAME
    listed = cli(
        "seals", "--token", sm2_tokens[0]["serial"], "--pin-stdin", "--json", stdin=demo.DEMO_PIN + "\n"
    )
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["name"], row["verification"], row["kind"]) == (demo_sm2.SM2_SEAL_NAME, "valid", "official")
    assert (row["certificate"]["algorithm"], row["certificate"]["key_type"]) == ("SM2", "sm2")
    assert row["maker"].endswith("CN=SealDesk Demo SM2 Seal Maker")

"""The city system through the application layer and the CLI, with the demo key and citysim on 127.0.0.1:
registration, stamping → record → `sealdesk sync`, seal status before stamping, settings and security."""

from __future__ import annotations

import io
import json
import signal
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from city_helpers import TOKEN, CitySim, FaultProxy, append_records, demo_key_city, free_port, use_own_home
from pdf_helpers import make_pdf
from testdata import USER_PIN

from app import cli
from app.core.application import Application, CityState, SyncState, WarningKind
from app.core.errors import (
    CityTlsFailed,
    CityTokenMissing,
    CityTokenRefused,
    CityUrlRefused,
    SealBlockedByCity,
    SealStatusUnchecked,
    SettingsInvalid,
)
from app.core.ses import kinds
from app.core.settings import Settings, load_settings
from app.core.usage import UsageLog, signature_problem
from app.core.usage.records import UsageRecord
from app.i18n import translate


def personal_seal(demo_key) -> str:
    return next(s.es_id for s in demo_key.seals if s.seal_type == kinds.PERSONAL)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    return use_own_home(tmp_path, monkeypatch)


@pytest.fixture
def citysim(tmp_path, demo_key):
    yield from demo_key_city(tmp_path, demo_key)


def run(capsys, monkeypatch, argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def stamp_args(demo_key, source: Path) -> list[str]:
    return ["stamp", str(source), "--seal", personal_seal(demo_key), "--at", "60,60", "--token", demo_key.serial,
            "--pin-stdin"]  # fmt: skip


def test_register_stamp_sync_end_to_end(home, citysim, demo_key, tmp_path, capsys, monkeypatch):
    assert run(capsys, monkeypatch, ["city", "url", citysim.url])[0] == 0
    code, out, err = run(capsys, monkeypatch, ["register", "--name", "张三", "--organisation", "示例科技有限公司",
                                               "--token", demo_key.serial, "--pin-stdin", "--json"], USER_PIN + "\n")  # fmt: skip
    assert code == 0, err
    registration = json.loads(out)
    assert len(registration["chains"]) == 3  # one per certificate on the demo key, one holder
    settings = load_settings()
    assert set(settings.city_holders.values()) == {registration["holder_id"]}
    assert TOKEN not in (home / "settings.json").read_text()

    source = make_pdf(tmp_path / "contract.pdf")
    code, out, err = run(capsys, monkeypatch, stamp_args(demo_key, source), USER_PIN + "\n")
    assert code == 0, err
    code, out, _ = run(capsys, monkeypatch, ["city", "status", "--json"])
    assert json.loads(out)["state"] == "pending" and json.loads(out)["pending"] == 1

    code, out, err = run(capsys, monkeypatch, ["sync", "--json"])
    assert code == 0, err
    assert json.loads(out)["accepted"] == 1
    code, out, _ = run(capsys, monkeypatch, ["city", "status", "--json"])
    status = json.loads(out)
    assert (status["state"], status["pending"], status["last_error"]) == ("synced", 0, None)

    with Application() as application:
        record = application.usage_log.records()[0]
        assert application.sync_state_of(record) is SyncState.SYNCED
        client = application.city_client()
        listing = client.audit(registration["holder_id"], chain_id=record.holder)
        client.close()
        cert = application.usage_log.certificate(record.signer_cert_sha256)
    served = [UsageRecord.from_json(r) for r in listing["records"]]
    assert [r.record_id for r in served] == [record.record_id]
    assert signature_problem(served[0], cert) is None  # valid signature, checked independently of the server
    assert [r["record_id"] for r in citysim.stored()] == [record.record_id]


def test_revoked_or_suspended_seal_is_refused_before_the_pin(home, citysim, demo_key, tmp_path, capsys, monkeypatch):
    from app.core.stamping import SpotPlacement

    run(capsys, monkeypatch, ["city", "url", citysim.url])
    run(capsys, monkeypatch, ["register", "--name", "李四", "--organisation", "示例", "--token", demo_key.serial,
                              "--pin-stdin"], USER_PIN + "\n")  # fmt: skip
    seal = personal_seal(demo_key)
    source = make_pdf(tmp_path / "doc.pdf")
    for status, verb in (("suspended", "suspend"), ("revoked", "revoke")):
        assert citysim.admin(verb, seal, "--reason", "lost key").returncode == 0
        settings = replace(load_settings(), city_status_ttl_s=0)
        with Application(settings) as application:
            key = application.find_key(demo_key.serial)
            plan = application.plan(source, seal, SpotPlacement((60.0, 60.0)), key=key)
            blocked = [p for p in plan.problems if isinstance(p, SealBlockedByCity)]
            assert blocked and not plan.ok
            assert translate("errors", status) in blocked[0].user_message(translate)
            assert "lost key" in blocked[0].user_message(translate)
        code, _, err = run(capsys, monkeypatch, [*stamp_args(demo_key, source), "--out", str(tmp_path / f"{verb}.pdf")],
                           USER_PIN + "\n")  # fmt: skip
        assert code == SealBlockedByCity.exit_code and not (tmp_path / f"{verb}.pdf").exists()
        assert blocked[0].user_message(translate).split("；")[0][:20] in err
        # the status is cached for the TTL: within it, even an unreachable server gives the same refusal
    citysim.admin("activate", seal)


def test_unreachable_city_allows_and_marks_or_refuses(home, demo_key, tmp_path, capsys, monkeypatch):
    from app.core.stamping import SpotPlacement

    dead = f"http://127.0.0.1:{free_port()}"
    seal = personal_seal(demo_key)
    source = make_pdf(tmp_path / "doc.pdf")
    with Application(Settings(city_url=dead)) as application:
        key = application.find_key(demo_key.serial)
        plan = application.plan(source, seal, SpotPlacement((60.0, 60.0)), key=key)
        assert plan.ok and plan.status_unchecked
        assert [w.kind for w in plan.warnings if w.kind is WarningKind.SEAL_STATUS_UNCHECKED]
        outcome = application.stamp(plan, USER_PIN)
        assert outcome.result is not None, outcome.error
        entry = application.usage_entries()[0]
        assert entry.status_unchecked and entry.sync_state is SyncState.PENDING
    with Application(Settings(city_url=dead, city_unreachable_policy="refuse")) as application:
        key = application.find_key(demo_key.serial)
        plan = application.plan(source, seal, SpotPlacement((60.0, 60.0)), key=key)
        refusal = [p for p in plan.problems if isinstance(p, SealStatusUnchecked)]
        assert refusal and not plan.ok
        assert TOKEN not in refusal[0].user_message(translate)
    # the CLI's batch path marks the record too
    run(capsys, monkeypatch, ["city", "url", dead])
    code, _, err = run(capsys, monkeypatch, [*stamp_args(demo_key, source), "--out", str(tmp_path / "b.pdf")],
                       USER_PIN + "\n")  # fmt: skip
    assert code == 0, err
    with Application() as application:
        newest = application.usage_entries()[0]
        assert newest.record.document_name == "b.pdf" and newest.status_unchecked


def test_no_city_url_means_no_check_and_local_state(home, demo_key, tmp_path):
    from app.core.stamping import SpotPlacement

    with Application(Settings()) as application:
        assert application.city_status().state is CityState.NOT_CONFIGURED
        key = application.find_key(demo_key.serial)
        plan = application.plan(make_pdf(tmp_path / "d.pdf"), personal_seal(demo_key), SpotPlacement((60.0, 60.0)),
                                key=key)  # fmt: skip
        assert plan.ok and not plan.status_unchecked
        assert not (home / "usage.sqlite3").exists() or "sync_state" not in (home / "usage.sqlite3").read_bytes().decode(
            "latin-1")  # fmt: skip


def test_security_refusals_are_clear_and_never_show_the_token(home, citysim, demo_key, signer, capsys, monkeypatch):
    texts = []
    with UsageLog(home / "usage.sqlite3") as log:  # something to send
        append_records(log, signer, "SOFT:01", 2)
    # plain http to another computer is refused when set and when read from the settings
    code, _, err = run(capsys, monkeypatch, ["city", "url", "http://city.example.org"])
    assert code == CityUrlRefused.exit_code
    texts.append(err)
    with Application(Settings(city_url="http://city.example.org")) as application:
        with pytest.raises(CityUrlRefused):
            application.city_client()
    # a wrong token: 401, said plainly, exit 7; the records stay pending
    run(capsys, monkeypatch, ["city", "url", citysim.url])
    monkeypatch.setenv("SEALDESK_CITY_TOKEN", "not-" + TOKEN)
    code, out, err = run(capsys, monkeypatch, ["sync"])
    assert code == CityTokenRefused.exit_code
    assert CityTokenRefused().user_message(translate) in err
    texts += [out, err]
    code, out, _ = run(capsys, monkeypatch, ["city", "status", "--json"])
    assert json.loads(out)["state"] == "error" and json.loads(out)["last_error"] == CityTokenRefused().user_message(translate)
    texts.append(out)
    # no token at all
    monkeypatch.delenv("SEALDESK_CITY_TOKEN")
    code, out, err = run(capsys, monkeypatch, ["sync"])
    assert code == CityTokenMissing.exit_code and "SEALDESK_CITY_TOKEN" in err
    # no keyring backend here: storing the token says so and names the fallback
    code, out, err = run(capsys, monkeypatch, ["city", "token", "--stdin"], TOKEN + "\n")
    assert code == 2 and "SEALDESK_CITY_TOKEN" in err
    texts += [out, err]
    monkeypatch.setenv("SEALDESK_CITY_TOKEN", TOKEN)
    # faults through the proxy: none of the messages, details or the stored last error carries the token
    proxy = FaultProxy(citysim.port, retry_after="0", hold_s=0.5)
    try:
        run(capsys, monkeypatch, ["city", "url", proxy.url])
        for fault in ("500", "garbage", "partial", "redirect", "drop"):
            proxy.faults.extend([fault] * 6)
            code, out, err = run(capsys, monkeypatch, ["register", "--name", "x", "--organisation", "y", "--token",
                                                       demo_key.serial, "--pin-stdin"], USER_PIN + "\n")  # fmt: skip
            assert code == 7, (fault, err)
            texts += [out, err]
            proxy.faults.clear()
    finally:
        proxy.close()
    crash = home / "crash"
    texts += [p.read_text(errors="replace") for p in crash.glob("*")] if crash.exists() else []
    texts += [p.read_bytes().decode("latin-1") for p in home.glob("*") if p.is_file()]
    assert not [t for t in texts if TOKEN in t]


@pytest.fixture(scope="module")
def tls_material(tmp_path_factory):
    """A test CA and a server certificate for 127.0.0.1, and another CA that did not issue it."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)

    def ca(name: str):
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .sign(key, hashes.SHA256()))  # fmt: skip
        return key, cert

    ca_key, ca_cert = ca("City Test CA")
    _other_key, other_cert = ca("Some Other CA")
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
                   .issuer_name(ca_cert.subject).public_key(server_key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .sign(ca_key, hashes.SHA256()))  # fmt: skip
    pem = serialization.Encoding.PEM
    paths = {name: folder / f"{name}.pem" for name in ("ca", "other", "cert", "key")}
    paths["ca"].write_bytes(ca_cert.public_bytes(pem))
    paths["other"].write_bytes(other_cert.public_bytes(pem))
    paths["cert"].write_bytes(server_cert.public_bytes(pem))
    paths["key"].write_bytes(server_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))  # fmt: skip
    return paths


def test_https_with_a_test_ca_and_a_wrong_ca(home, demo_key, signer, tmp_path, tls_material, capsys, monkeypatch):
    with UsageLog(home / "usage.sqlite3") as log:  # something to send (unregistered: it stays pending)
        append_records(log, signer, "SOFT:01", 1)
    sim = CitySim(tmp_path / "tls-city.sqlite3", [demo_key.root_cert_path],
                  tls=(tls_material["cert"], tls_material["key"])).start()  # fmt: skip
    try:
        run(capsys, monkeypatch, ["city", "url", sim.url])
        # verification is on by default: the system trust does not know the test CA
        code, _, err = run(capsys, monkeypatch, ["sync"])
        assert code == CityTlsFailed.exit_code
        assert "certificate verify failed" in err and "sealdesk city ca" in err
        run(capsys, monkeypatch, ["city", "ca", str(tls_material["other"])])
        code, _, err = run(capsys, monkeypatch, ["sync"])
        assert code == CityTlsFailed.exit_code and "certificate verify failed" in err
        run(capsys, monkeypatch, ["city", "ca", str(tls_material["ca"])])
        code, out, err = run(capsys, monkeypatch, ["sync", "--json"])
        assert json.loads(out)["error"] is None, err  # the connection works: the server answered
        assert json.loads(out)["rejected"][0]["reason"] == "unregistered" and code == 7
    finally:
        sim.stop(signal.SIGKILL)


def test_city_settings_are_checked(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"city_url": "https://city.example", "city_unreachable_policy": "refuse",
                                "city_status_ttl_s": 60, "city_holders": {"A:1": "h-1"}}))  # fmt: skip
    settings = load_settings(path)
    assert (settings.city_unreachable_policy, settings.city_status_ttl_s, settings.city_holders) == (
        "refuse", 60, {"A:1": "h-1"})  # fmt: skip
    for bad in ({"city_unreachable_policy": "maybe"}, {"city_status_ttl_s": "60"}, {"city_status_ttl_s": -1},
                {"city_holders": ["h"]}):  # fmt: skip
        path.write_text(json.dumps(bad))
        with pytest.raises(SettingsInvalid) as raised:
            load_settings(path)
        assert next(iter(bad)) in raised.value.user_message(translate)

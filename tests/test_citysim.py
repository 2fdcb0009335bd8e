"""citysim over real HTTP on 127.0.0.1: registration, seal status and the admin CLI, record ingestion, audit,
authentication. One server process per module; certificates from a software CA and keys on the demo token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import replace

import pytest
import requests
from citysim_helpers import (
    CitySim,
    admin,
    append_records,
    reasons,
    register,
    registration_body,
    resign,
    running_citysim,
    upload,
    write_pem,
)
from cryptography import x509
from pdf_helpers import SoftwareCA, SoftwareDigestSigner

from app.core.usage import UsageLog, UsageRecord, check_chain, signature_problem

TOKEN = "city-test-token-Zq3"


@pytest.fixture(scope="module")
def sim(ca, tmp_path_factory) -> CitySim:
    tmp = tmp_path_factory.mktemp("citysim")
    roots = [write_pem(tmp / "root.pem", ca.root_der)]
    with running_citysim(tmp, roots, token=TOKEN) as server:
        yield server


@pytest.fixture
def holder(ca):
    """A new EC key from the module's CA, not registered yet."""
    issued = ca.issue(f"持有人-{uuid.uuid4().hex[:6]}")
    return SoftwareDigestSigner.from_issued(issued)


def _chain(signer) -> str:
    return f"TOKEN{uuid.uuid4().hex[:8]}:{x509.load_der_x509_certificate(signer.certificate).serial_number:X}"


@pytest.fixture
def registered(sim, holder, tmp_path):
    """`holder` registered with one seal: (signer, chain_id, holder_id, seal_id, an empty usage log)."""
    chain_id = _chain(holder)
    seal_id = f"SEAL-{uuid.uuid4().hex[:8]}"
    response = register(sim, holder, chain_id, [seal_id])
    assert response.status_code == 201, response.text
    log = UsageLog(tmp_path / "usage.sqlite3", client_host="pc-1", client_version="0.1.0")
    yield holder, chain_id, response.json()["holder_id"], seal_id, log
    log.close()


def _error(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and isinstance(body["detail"], str) and body["detail"]
    return body


# --- registration ---------------------------------------------------------------------------------
def test_register_good_and_idempotent(sim, holder):
    chain_id = _chain(holder)
    first = register(sim, holder, chain_id, ["S-A", "S-B"])
    assert first.status_code == 201, first.text
    body = first.json()
    assert uuid.UUID(body["holder_id"]) and body["chain_id"] == chain_id and body["seal_ids"] == ["S-A", "S-B"]
    again = register(sim, holder, chain_id, ["S-A", "S-B"])  # fresh nonce, same certificate
    assert again.status_code == 200 and again.json()["holder_id"] == body["holder_id"]
    assert sim.get("/seals/S-A/status").json()["status"] == "active"


def test_register_on_the_demo_token(sim, demo_key, session, tmp_path):
    """A real PKCS#11 key signs the proof and the records. This city does not trust the demo root, so it
    refuses the certificate; a city that trusts the demo root registers it and accepts its records."""
    seal = demo_key.seals[0]
    signer = session.digest_signer(seal.key_id)
    chain_id = f"{demo_key.serial}:demo"
    _error(register(sim, signer, chain_id, [seal.es_id]), 400, "certificate_untrusted")
    with running_citysim(tmp_path, [demo_key.root_cert_path], token=TOKEN) as city:
        response = register(city, signer, chain_id, [s.es_id for s in demo_key.seals])
        assert response.status_code == 201, response.text
        with UsageLog(tmp_path / "usage.sqlite3") as log:
            records = append_records(log, chain_id, signer, 2, purpose="演示")
        result = upload(city, records)
        assert result["accepted"] == [r.record_id for r in records]
        listed = city.get(f"/holders/{response.json()['holder_id']}/usage-records").json()["records"]
        parsed = [UsageRecord.from_json(r) for r in listed]
        assert check_chain(parsed, lambda _sha: bytes(signer.certificate)) == (2, [])


def test_replayed_unknown_and_expired_nonce(sim, holder):
    chain_id = _chain(holder)
    body = registration_body(sim, holder, chain_id, ["S-replay"])
    assert sim.post("/holders", body).status_code == 201
    _error(sim.post("/holders", body), 400, "challenge_invalid")  # replay of a used nonce
    unknown = registration_body(sim, holder, chain_id, ["S-replay"], nonce="A" * 43)
    _error(sim.post("/holders", unknown), 400, "challenge_invalid")
    from citysim.storage import Store

    store = Store(sim.db)  # the operator's view of the live database (WAL: concurrent readers and writers)
    try:
        expired = "E" + uuid.uuid4().hex
        store.add_nonce(expired, time.time() - 1)  # issued more than 5 minutes ago
    finally:
        store.close()
    _error(sim.post("/holders", registration_body(sim, holder, chain_id, ["S-replay"], nonce=expired)), 400, "challenge_invalid")


def test_wrong_proof(sim, holder, ca):
    chain_id = _chain(holder)
    nonce = sim.post("/holders/challenge", {}).json()["nonce"]
    other_nonce = sim.post("/holders/challenge", {}).json()["nonce"]
    wrong_message = registration_body(sim, holder, chain_id, ["S-p"], nonce=nonce, proof_message=other_nonce.encode())
    _error(sim.post("/holders", wrong_message), 400, "proof_invalid")
    # the nonce is used up by the failed attempt: the right proof cannot follow with it
    _error(sim.post("/holders", registration_body(sim, holder, chain_id, ["S-p"], nonce=nonce)), 400, "challenge_invalid")
    # someone else's key signs for this certificate
    impostor = SoftwareDigestSigner.from_issued(ca.issue("冒名者"))
    body = registration_body(sim, impostor, chain_id, ["S-p"])
    body["certificate"] = base64.b64encode(holder.certificate).decode()
    _error(sim.post("/holders", body), 400, "proof_invalid")
    body = registration_body(sim, holder, chain_id, ["S-p"])
    body["proof"] = "not base64!"
    _error(sim.post("/holders", body), 400, "proof_invalid")
    assert sim.get("/seals/S-p/status").status_code == 404  # nothing was registered


def test_untrusted_certificates(sim):
    import datetime as dt

    stranger = SoftwareCA.create("Some Other Root CA")
    signer = SoftwareDigestSigner.from_issued(stranger.issue("外人"))
    _error(register(sim, signer, _chain(signer), ["S-u"]), 400, "certificate_untrusted")
    now = dt.datetime.now(dt.UTC)
    ca = SoftwareCA.create()
    expired = SoftwareDigestSigner.from_issued(ca.issue("过期", not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)))
    _error(register(sim, expired, _chain(expired), ["S-u"]), 400, "certificate_untrusted")
    body = registration_body(sim, signer, _chain(signer), ["S-u"])
    body["certificate"] = base64.b64encode(b"not a certificate").decode()
    _error(sim.post("/holders", body), 400, "certificate_untrusted")
    assert sim.get("/seals/S-u/status").status_code == 404


def test_expired_certificate_of_the_trusted_ca(sim, ca):
    import datetime as dt

    now = dt.datetime.now(dt.UTC)
    old = SoftwareDigestSigner.from_issued(ca.issue("旧证书", not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1)))
    _error(register(sim, old, _chain(old), ["S-old"]), 400, "certificate_untrusted")


def test_second_key_for_the_same_holder(sim, ca, registered):
    _signer, _chain_id, holder_id, seal_id, _log = registered
    second = SoftwareDigestSigner.from_issued(ca.issue("张三", key_type="rsa"))
    chain2 = _chain(second)
    response = register(sim, second, chain2, ["S-second"], holder_id=holder_id)
    assert response.status_code == 201, response.text
    assert response.json()["holder_id"] == holder_id
    assert sorted(response.json()["seal_ids"]) == sorted([seal_id, "S-second"])
    audit = sim.get(f"/holders/{holder_id}/usage-records").json()
    assert {c["chain_id"] for c in audit["chains"]} == {_chain_id, chain2}
    # another holder cannot take the seal, the chain or the certificate
    third = SoftwareDigestSigner.from_issued(ca.issue("李四"))
    _error(register(sim, third, _chain(third), [seal_id]), 400, "bad_request")
    _error(register(sim, third, chain2, ["S-third"]), 400, "bad_request")
    _error(register(sim, second, chain2, ["S-x"], holder_id=str(uuid.uuid4())), 404, "not_found")


def test_malformed_registration(sim, holder):
    for body in ([], {"nonce": "x"}, {**registration_body(sim, holder, _chain(holder), ["S"]), "seal_ids": []}):
        _error(sim.post("/holders", body), 400, "bad_request")
    response = requests.post(sim.api + "/holders", data=b"{not json", headers=sim.headers(), timeout=10)
    _error(response, 400, "bad_request")


# --- seal status and the admin CLI --------------------------------------------------------------------
def test_seal_status_and_admin_cli(sim, registered):
    seal_id = registered[3]
    status = sim.get(f"/seals/{seal_id}/status").json()
    assert status["seal_id"] == seal_id and status["status"] == "active" and status["reason"] is None
    assert status["checked_at"].endswith("Z")
    done = admin(sim.db, "revoke", seal_id, "--reason", "印章遗失")
    assert done.returncode == 0, done.stderr
    status = sim.get(f"/seals/{seal_id}/status").json()
    assert (status["status"], status["reason"]) == ("revoked", "印章遗失")
    assert admin(sim.db, "suspend", seal_id).returncode == 0
    assert sim.get(f"/seals/{seal_id}/status").json()["status"] == "suspended"
    assert admin(sim.db, "activate", seal_id).returncode == 0
    assert sim.get(f"/seals/{seal_id}/status").json() | {"checked_at": ""} == {
        "seal_id": seal_id, "status": "active", "reason": None, "checked_at": ""}
    unknown = admin(sim.db, "revoke", "NO-SUCH-SEAL")
    assert unknown.returncode == 2 and "NO-SUCH-SEAL" in unknown.stdout
    _error(sim.get("/seals/NO-SUCH-SEAL/status"), 404, "not_found")


def test_admin_tokens_are_stored_hashed(sim):
    made = admin(sim.db, "add-token")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert len(token) >= 40
    assert requests.post(sim.api + "/holders/challenge", json={}, headers=sim.headers(token), timeout=10).status_code == 200
    raw = b"".join(p.read_bytes() for p in sim.db.parent.glob(sim.db.name + "*"))
    assert token.encode() not in raw and TOKEN.encode() not in raw


# --- ingestion ------------------------------------------------------------------------------------
def test_accepted_then_duplicates(sim, registered):
    signer, chain_id, holder_id, _seal, log = registered
    records = append_records(log, chain_id, signer, 3)
    result = upload(sim, records)
    assert result == {"accepted": [r.record_id for r in records], "duplicates": [], "rejected": []}
    again = upload(sim, records[1:] + [records[0]])
    assert again["accepted"] == [] and sorted(again["duplicates"]) == sorted(r.record_id for r in records)
    listed = sim.get(f"/holders/{holder_id}/usage-records").json()
    assert listed["records"] == [r.to_json() for r in records]
    assert listed["chains"] == [{"chain_id": chain_id, "last_seq": 3, "last_hash": records[-1].record_hash, "count": 3}]
    assert listed["problems"] == []
    # the listing verifies independently: format, chain, and signatures by the registered certificate
    parsed = [UsageRecord.from_json(r) for r in listed["records"]]
    assert check_chain(parsed, lambda sha: signer.certificate if sha == parsed[0].signer_cert_sha256 else None) == (3, [])
    assert admin(sim.db, "list-records", "--json").returncode == 0
    rows = json.loads(admin(sim.db, "list-records", "--json").stdout)
    assert {r["record_id"] for r in rows} >= {r.record_id for r in records}


def test_duplicate_inside_one_batch(sim, registered):
    signer, chain_id, _h, _s, log = registered
    (record,) = append_records(log, chain_id, signer, 1)
    result = upload(sim, [record, record])
    assert result["accepted"] == [record.record_id] and result["duplicates"] == [record.record_id]


def test_conflict_same_id_other_content(sim, registered):
    signer, chain_id, holder_id, _s, log = registered
    (record,) = append_records(log, chain_id, signer, 1)
    upload(sim, [record])
    edited = resign(record, signer, document_name="另一份文件.pdf")  # validly signed, same record_id
    assert signature_problem(edited, signer.certificate) is None
    assert reasons(upload(sim, [edited])) == {record.record_id: "conflict"}
    problems = sim.get(f"/holders/{holder_id}/usage-records").json()["problems"]
    assert [(p["kind"], p["seq"]) for p in problems] == [("conflict", 1)]


def test_gap_is_not_stored_then_filled(sim, registered):
    signer, chain_id, holder_id, _s, log = registered
    records = append_records(log, chain_id, signer, 5)
    upload(sim, records[:2])
    result = upload(sim, [records[3]])
    assert reasons(result) == {records[3].record_id: "gap"}
    listing = sim.get(f"/holders/{holder_id}/usage-records").json()
    assert listing["chains"][0]["last_seq"] == 2
    assert [(p["kind"], p["seq"]) for p in listing["problems"]] == [("gap", 4)]
    upload(sim, [records[3]])  # retried: the problem is kept once
    assert len(sim.get(f"/holders/{holder_id}/usage-records").json()["problems"]) == 1
    result = upload(sim, records[2:])  # the client sends the missing one first
    assert result["accepted"] == [r.record_id for r in records[2:]]
    assert sim.get(f"/holders/{holder_id}/usage-records").json()["chains"][0]["last_seq"] == 5


def test_forks(sim, registered, tmp_path):
    signer, chain_id, holder_id, _s, log = registered
    records = append_records(log, chain_id, signer, 2)
    upload(sim, records)
    # a second log (a restored backup, another PC) signs another seq 1 and 2 for the same chain
    with UsageLog(tmp_path / "other.sqlite3") as other:
        rival = append_records(other, chain_id, signer, 3)
    result = upload(sim, rival)
    assert reasons(result) == {rival[0].record_id: "fork", rival[1].record_id: "fork", rival[2].record_id: "fork"}
    # seq 3 is free, but its prev_hash continues the rival chain, not the stored one
    assert "prev_hash" in result["rejected"][2]["detail"]
    problems = sim.get(f"/holders/{holder_id}/usage-records").json()["problems"]
    assert [(p["kind"], p["seq"]) for p in problems] == [("fork", 1), ("fork", 2), ("fork", 3)]
    assert sim.get(f"/holders/{holder_id}/usage-records").json()["chains"][0]["last_seq"] == 2


def test_forged_and_foreign_records(sim, registered, ca):
    signer, chain_id, _h, _s, log = registered
    records = append_records(log, chain_id, signer, 4)
    upload(sim, records[:1])
    edited = replace(records[1], document_name="篡改.pdf")  # edited, hash and signature left alone
    rehashed = replace(edited, record_hash=edited.computed_hash())  # hash fixed up, signature not
    flipped = bytearray(base64.b64decode(records[1].signature))
    flipped[-1] ^= 1
    bad_sig = replace(records[1], signature=base64.b64encode(bytes(flipped)).decode())
    mallory = SoftwareDigestSigner.from_issued(ca.issue("马某"))
    forged = resign(records[1], mallory)  # signed by another key, still claiming the holder's certificate
    result = upload(sim, [edited, rehashed, bad_sig, forged])
    assert [r["reason"] for r in result["rejected"]] == ["bad_signature"] * 4
    assert result["accepted"] == []
    # mallory registers as another holder and signs records claiming this holder's chain
    mallory_chain = _chain(mallory)
    assert register(sim, mallory, mallory_chain, ["S-mallory"]).status_code == 201
    mallory_cert = x509.load_der_x509_certificate(mallory.certificate)
    foreign = resign(
        records[1], mallory, signer_cert_sha256=hashlib.sha256(mallory.certificate).hexdigest(),
        cert_serial=f"{mallory_cert.serial_number:X}",
    )
    assert signature_problem(foreign, mallory.certificate) is None  # a good signature, by the wrong holder
    result = upload(sim, [foreign])
    assert reasons(result) == {foreign.record_id: "bad_signature"} and "not registered" in result["rejected"][0]["detail"]
    assert upload(sim, records[1:])["accepted"] == [r.record_id for r in records[1:]]


def test_unregistered_and_malformed(sim, registered, tmp_path):
    signer, chain_id, _h, _s, log = registered
    with UsageLog(tmp_path / "stranger.sqlite3") as other:
        (stranger,) = append_records(other, "NOBODY:1", signer, 1)
    (record,) = append_records(log, chain_id, signer, 1)
    broken = record.to_json()
    del broken["document_sm3"]
    wrong_type = record.to_json() | {"record_id": str(uuid.uuid4()), "seq": "1"}
    result = upload(sim, [stranger, broken, wrong_type, {"holder": 5, "record_id": "x"}, "not an object"])
    assert [r["reason"] for r in result["rejected"]] == ["unregistered", "malformed", "malformed", "malformed", "malformed"]


def test_batch_limits(sim, registered):
    signer, chain_id, _h, _s, log = registered
    (record,) = append_records(log, chain_id, signer, 1)
    _error(sim.post("/usage-records", {"records": [record.to_json()] * 501}), 413, "too_many_records")
    _error(sim.post("/usage-records", {"records": []}), 400, "bad_request")
    _error(sim.post("/usage-records", {"rows": []}), 400, "bad_request")
    assert upload(sim, [record])["accepted"] == [record.record_id]  # nothing of the refused batches was kept


def test_audit_listing_filters(sim, ca, registered):
    signer, chain_id, holder_id, _s, log = registered
    records = append_records(log, chain_id, signer, 4)
    upload(sim, records)
    listing = sim.get(f"/holders/{holder_id}/usage-records", params={"after_seq": 1, "limit": 2}).json()
    assert [r["seq"] for r in listing["records"]] == [2, 3]
    listing = sim.get(f"/holders/{holder_id}/usage-records", params={"chain_id": chain_id, "after_seq": 3}).json()
    assert [r["record_id"] for r in listing["records"]] == [records[3].record_id]
    _error(sim.get(f"/holders/{holder_id}/usage-records", params={"chain_id": "other"}), 404, "not_found")
    _error(sim.get(f"/holders/{holder_id}/usage-records", params={"limit": 0}), 400, "bad_request")
    _error(sim.get(f"/holders/{holder_id}/usage-records", params={"after_seq": "x"}), 400, "bad_request")
    _error(sim.get(f"/holders/{uuid.uuid4()}/usage-records"), 404, "not_found")


# --- authentication ---------------------------------------------------------------------------------
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer ", TOKEN])
def test_401_on_every_endpoint(sim, registered, authorization):
    _signer, _chain_id, holder_id, seal_id, _log = registered
    headers = {} if authorization is None else {"Authorization": authorization}
    calls = [
        ("POST", "/holders/challenge", {}),
        ("POST", "/holders", {"nonce": "x"}),
        ("GET", f"/seals/{seal_id}/status", None),
        ("POST", "/usage-records", {"records": []}),
        ("GET", f"/holders/{holder_id}/usage-records", None),
    ]
    for method, path, body in calls:
        response = requests.request(method, sim.api + path, json=body, headers=headers, timeout=10)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == {"error": "unauthorized", "detail": "a valid bearer token is required"}


def test_token_never_in_the_server_log(sim, registered):
    sim.get(f"/seals/{registered[3]}/status")
    requests.get(sim.api + "/seals/x/status", headers={"Authorization": "Bearer wrong-secret-Kx9"}, timeout=10)
    text = sim.log_text()
    assert "/api/v1/seals/" in text  # the access log is on and prints the request line
    assert TOKEN not in text and "wrong-secret-Kx9" not in text


def test_proof_signed_by_openssl(sim, ca, tmp_path):
    """An independent signer: openssl makes the proof over the contract's message bytes."""
    import subprocess

    from cryptography.hazmat.primitives import serialization

    issued = ca.issue("王五")
    key_path = tmp_path / "holder.key"
    key_path.write_bytes(
        issued.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    nonce = sim.post("/holders/challenge", {}).json()["nonce"]
    message = tmp_path / "message"
    message.write_bytes(
        b"sealdesk-city-register-v1\n" + nonce.encode() + b"\n" + hashlib.sha256(issued.cert_der).hexdigest().encode()
    )
    proof = subprocess.run(
        ["openssl", "dgst", "-sha256", "-sign", str(key_path), str(message)], capture_output=True, check=True
    ).stdout
    body = {
        "nonce": nonce, "certificate": base64.b64encode(issued.cert_der).decode(), "token_serial": "OSSL",
        "seal_ids": ["S-openssl"], "chain_id": "OSSL:1", "name": "王五", "organisation": "某某市测试有限公司",
        "proof": base64.b64encode(proof).decode(),
    }  # fmt: skip
    response = sim.post("/holders", body)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("scheme", ["pkcs1v15", "pss"])
def test_rsa_records_accepted(sim, ca, tmp_path, scheme):
    signer = SoftwareDigestSigner.from_issued(ca.issue(f"RSA {scheme}", key_type="rsa"), scheme=scheme)
    chain_id = _chain(signer)
    assert register(sim, signer, chain_id, [f"S-rsa-{scheme}"]).status_code == 201
    with UsageLog(tmp_path / "usage.sqlite3") as log:
        records = append_records(log, chain_id, signer, 2)
    assert upload(sim, records)["accepted"] == [r.record_id for r in records]


def test_admin_listing_text_and_bad_trust_root(sim, tmp_path):
    import subprocess

    from citysim_helpers import citysim_command, citysim_env, free_port

    listing = admin(sim.db, "list-records")
    assert listing.returncode == 0 and listing.stdout.rstrip().endswith("records")
    (tmp_path / "bad.pem").write_text("not a certificate")
    done = subprocess.run(
        citysim_command("--port", str(free_port()), "--db", str(tmp_path / "c.sqlite3"), "--trust-root", str(tmp_path / "bad.pem")),
        capture_output=True, text=True, env=citysim_env(), timeout=60,
    )
    assert done.returncode == 2 and "trust root" in done.stderr and "Traceback" not in done.stderr
    missing = admin(tmp_path / "typo.sqlite3", "revoke", "S")
    assert missing.returncode == 2 and "no database" in missing.stderr and not (tmp_path / "typo.sqlite3").exists()


def test_rate_limit_answers_429_with_retry_after(tmp_path):
    with running_citysim(tmp_path, [], token=TOKEN, extra=("--rate-limit", "2")) as city:
        answers = [city.get("/seals/NONE/status") for _ in range(8)]
        limited = [a for a in answers if a.status_code == 429]
        assert limited and all(a.status_code in (404, 429) for a in answers)
        retry_after = int(limited[0].headers["Retry-After"])
        assert retry_after >= 1 and limited[0].json()["error"] == "rate_limited"
        time.sleep(retry_after)
        assert city.get("/seals/NONE/status").status_code == 404
        # the limit is per token and never reached before authentication
        assert requests.get(city.api + "/seals/NONE/status", timeout=10).status_code == 401

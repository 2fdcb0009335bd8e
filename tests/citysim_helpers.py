"""Helpers for the citysim tests: a real `python -m citysim` on 127.0.0.1, registration, signed records.

The server always runs as its own process (uvicorn, SQLite file), the way the demo runs it, so tests can
read its log, kill it, and open its database like an operator would.
"""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import requests
from cryptography.hazmat.primitives.serialization import Encoding

from app.core.signer import DigestSigner
from app.core.usage import NewRecord, Placement, UsageLog, UsageRecord
from app.core.usage.records import normalize_ecdsa_signature

ROOT = Path(__file__).resolve().parent.parent
REGISTER_CONTEXT = b"sealdesk-city-register-v1\n"  # written out again: the test must not borrow the server's


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_pem(path: Path, *ders: bytes) -> Path:
    from cryptography import x509

    path.write_bytes(b"".join(x509.load_der_x509_certificate(d).public_bytes(Encoding.PEM) for d in ders))
    return path


@dataclass
class CitySim:
    """A running citysim process."""

    process: subprocess.Popen
    base_url: str
    token: str
    db: Path
    log_path: Path
    verify: str | bool = True

    @property
    def api(self) -> str:
        return self.base_url + "/api/v1"

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}

    def post(self, path: str, body: object, **kw) -> requests.Response:
        return requests.post(self.api + path, json=body, headers=self.headers(), timeout=60, verify=self.verify, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(self.api + path, headers=self.headers(), timeout=60, verify=self.verify, **kw)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no final commit."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def citysim_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "citysim", *args]


def citysim_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_citysim(
    tmp: Path, roots: list[Path], *, token: str = "test-token-0123456789", tls: tuple[Path, Path] | None = None,
    db: Path | None = None, extra: tuple[str, ...] = (),
) -> CitySim:
    """Start `python -m citysim` on a free loopback port and wait until it answers."""
    port = free_port()
    db = db or tmp / "city.sqlite3"
    log_path = tmp / f"citysim-{port}.log"
    args = ["--port", str(port), "--db", str(db), "--token", token]
    for root in roots:
        args += ["--trust-root", str(root)]
    if tls:
        args += ["--tls", str(tls[0]), str(tls[1])]
    args += list(extra)
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            citysim_command(*args), stdout=log_file, stderr=subprocess.STDOUT, env=citysim_env(), cwd=tmp
        )
    scheme = "https" if tls else "http"
    sim = CitySim(process, f"{scheme}://127.0.0.1:{port}", token, db, log_path)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"citysim exited with {process.returncode}:\n{sim.log_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return sim
        except OSError:
            time.sleep(0.1)
    sim.stop()
    raise RuntimeError(f"citysim did not start:\n{sim.log_text()}")


@contextmanager
def running_citysim(tmp: Path, roots: list[Path], **kw) -> Iterator[CitySim]:
    sim = start_citysim(tmp, roots, **kw)
    try:
        yield sim
    finally:
        sim.stop()


def admin(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        citysim_command("admin", "--db", str(db), *args), capture_output=True, text=True, env=citysim_env(), timeout=60
    )


# --- registration -----------------------------------------------------------------------------------
def sign_message(signer: DigestSigner, message: bytes) -> bytes:
    """What the client does: the key signs SHA-256(message), ECDSA as DER (a token gives raw r‖s); an SM2
    key signs the message itself (SM3 and the default ID are part of SM2)."""
    if signer.key_type == "sm2":
        return bytes(signer.sign_message(message))  # type: ignore[attr-defined]
    signature = signer.sign_digest(hashlib.sha256(message).digest(), "sha256")
    if signer.key_type.startswith("ec"):
        from cryptography import x509

        bits = x509.load_der_x509_certificate(signer.certificate).public_key().curve.key_size
        signature = normalize_ecdsa_signature(signature, bits)
    return signature


def registration_body(
    sim: CitySim, signer: DigestSigner, chain_id: str, seal_ids: list[str], *, holder_id: str | None = None,
    nonce: str | None = None, proof_message: bytes | None = None,
) -> dict:
    if nonce is None:
        response = sim.post("/holders/challenge", {})
        assert response.status_code == 200, response.text
        nonce = response.json()["nonce"]
    certificate = bytes(signer.certificate)
    message = proof_message or (
        REGISTER_CONTEXT + nonce.encode("ascii") + b"\n" + hashlib.sha256(certificate).hexdigest().encode("ascii")
    )
    return {
        "nonce": nonce,
        "certificate": base64.b64encode(certificate).decode("ascii"),
        "token_serial": chain_id.split(":")[0],
        "seal_ids": seal_ids,
        "chain_id": chain_id,
        "name": "张三",
        "organisation": "某某市测试有限公司",
        "holder_id": holder_id,
        "proof": base64.b64encode(sign_message(signer, message)).decode("ascii"),
    }


def register(sim: CitySim, signer: DigestSigner, chain_id: str, seal_ids: list[str], **kw) -> requests.Response:
    return sim.post("/holders", registration_body(sim, signer, chain_id, seal_ids, **kw))


# --- records ----------------------------------------------------------------------------------------
def new_record(chain_id: str, signer: DigestSigner, *, seal_id: str = "SEAL-1", n: int = 0, purpose: str | None = None) -> NewRecord:
    from cryptography import x509

    cert = x509.load_der_x509_certificate(bytes(signer.certificate))
    return NewRecord(
        holder=chain_id,
        seal_id=seal_id,
        seal_name="测试公章",
        seal_kind="official",
        cert_serial=f"{cert.serial_number:X}",
        cert_issuer=cert.issuer.rfc4514_string(),
        document_name=f"合同-{n}.pdf",
        document_sha256=hashlib.sha256(f"doc {n}".encode()).hexdigest(),
        document_sm3=hashlib.sha256(f"sm3 {n}".encode()).hexdigest(),
        page_count=2,
        placements=(Placement(page=1, x_mm=120.5, y_mm=200.25, width_mm=42.0, height_mm=42.0),),
        approval_ref=f"审批-{n}",
        purpose=purpose,
    )


def append_records(log: UsageLog, chain_id: str, signer: DigestSigner, count: int, **kw) -> list[UsageRecord]:
    return [log.append(new_record(chain_id, signer, n=i, **kw), signer) for i in range(count)]


def resign(record: UsageRecord, signer: DigestSigner, **changes) -> UsageRecord:
    """A record with `changes`, a correct record_hash, and a valid signature by `signer`'s key."""
    changed = replace(record, **changes, record_hash="", signature="")
    digest_hex = changed.computed_hash()
    signature = sign_message(signer, changed.canonical_bytes())
    return replace(changed, record_hash=digest_hex, signature=base64.b64encode(signature).decode("ascii"))


def upload(sim: CitySim, records: list) -> dict:
    """POST records (UsageRecord or raw dicts); checks every submitted id is in exactly one list."""
    items = [r.to_json() if isinstance(r, UsageRecord) else r for r in records]
    response = sim.post("/usage-records", {"records": items})
    assert response.status_code == 200, response.text
    result = response.json()
    answered = result["accepted"] + result["duplicates"] + [r["record_id"] for r in result["rejected"]]
    assert sorted(answered) == sorted(i.get("record_id", "") if isinstance(i, dict) else "" for i in items), result
    return result


def reasons(result: dict) -> dict[str, str]:
    return {r["record_id"]: r["reason"] for r in result["rejected"]}

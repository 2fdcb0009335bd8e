"""The city system in tests: citysim run for real on 127.0.0.1, a fault-injecting HTTP proxy in front of it,
and usage records signed by software keys (fast) registered with proof of possession.

Nothing here mocks requests or the server: the client talks HTTP over loopback sockets to a real uvicorn
process, through a real proxy that forwards bytes and breaks them on purpose.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from app.core.usage import NewRecord, Placement

REPO = Path(__file__).resolve().parents[1]
TOKEN = "test-city-token-9f8e7d6c5b4a"
"""The API token the citysim fixtures accept; tests grep every error text for it."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class CitySim:
    """`python -m citysim` as a subprocess (same DB and port across restarts)."""

    db: Path
    roots: list[Path]
    port: int = field(default_factory=free_port)
    tls: tuple[Path, Path] | None = None
    process: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> CitySim:
        args = [sys.executable, "-m", "citysim", "--port", str(self.port), "--db", str(self.db), "--token", TOKEN]
        for root in self.roots:
            args += ["--trust-root", str(root)]
        if self.tls:
            args += ["--tls", str(self.tls[0]), str(self.tls[1])]
        self.log = self.db.with_suffix(".server.log")
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"citysim exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("citysim did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=20)
        self.process = None

    def admin(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        return subprocess.run(
            [sys.executable, "-m", "citysim", "admin", "--db", str(self.db), *args],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    def stored(self) -> list[dict]:
        """Every record the server stored (chain_id, seq, record_id, record_hash, received_at)."""
        done = self.admin("list-records", "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


# --- the fault-injecting proxy -----------------------------------------------------------------------
FAULTS = ("500", "503", "429", "timeout", "garbage", "partial", "drop", "duplicate", "redirect")


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 forwarding to `upstream`; each request takes the next queued fault (or
    none): "500"/"503" (answer it, upstream untouched), "429" (with Retry-After), "timeout" (hold the
    answer longer than the client waits), "garbage" and "partial" (forward, then send junk / half the
    JSON), "drop" (forward, then close without answering), "duplicate" (forward twice, answer the second),
    "redirect" (302 to an http:// address). `seen` lists (method, path, fault) of every request."""

    def __init__(self, upstream_port: int, *, retry_after: str = "1", hold_s: float = 3.0) -> None:
        self.upstream_port = upstream_port
        self.faults: deque[str] = deque()
        self.seen: list[tuple[str, str, str]] = []
        self.retry_after = retry_after
        self.hold_s = hold_s
        self.on_forward = None
        """Called (method, path) just before a request is forwarded: a test kills the server from here."""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _forward(self, body: bytes) -> tuple[int, dict, bytes]:
                if proxy.on_forward is not None:
                    proxy.on_forward(self.command, self.path)
                conn = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
                conn.close()
                return response.status, dict(response.getheaders()), data

            def _answer(self, status: int, data: bytes, extra: dict | None = None, length: int | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) if length is None else length))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy.faults.popleft() if proxy.faults else ""
                proxy.seen.append((self.command, self.path, fault))
                self.close_connection = True
                if fault in ("500", "503"):
                    self._answer(int(fault), b'{"error":"internal","detail":"injected"}')
                elif fault == "429":
                    self._answer(429, b'{"error":"rate_limited","detail":"slow down"}', {"Retry-After": proxy.retry_after})
                elif fault == "redirect":
                    self._answer(302, b"{}", {"Location": "http://example.org/api/v1/usage-records"})
                elif fault == "timeout":
                    time.sleep(proxy.hold_s)
                    self._answer(504, b"{}")
                else:
                    status, headers, data = self._forward(body)
                    if fault == "duplicate":
                        status, headers, data = self._forward(body)
                    if fault == "garbage":
                        self._answer(status, b"<html>Gateway says hello</html>")
                    elif fault == "partial":
                        self._answer(status, data[: len(data) // 2])
                    elif fault == "drop":
                        self.connection.shutdown(socket.SHUT_RDWR)
                    else:
                        self._answer(status, data)

            do_GET = do_POST = _handle  # noqa: N815 - http.server's naming

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address) -> None:
                pass  # the client gave up on a held answer (timeouts are the point here)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- records and registration with a software key ----------------------------------------------------
def use_own_home(tmp_path: Path, monkeypatch) -> Path:
    """A user data folder of the test's own (settings, usage log, sync tables) with the city token in the
    environment; the demo key stays reachable (the SoftHSM store is the session's)."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("SEALDESK_HOME", str(folder))
    monkeypatch.setenv("SEALDESK_CITY_TOKEN", TOKEN)
    return folder


def demo_key_city(tmp_path: Path, demo_key):
    """citysim on 127.0.0.1 trusting the demo root, killed after the test (a generator for fixtures)."""
    sim = CitySim(tmp_path / "city.sqlite3", [demo_key.root_cert_path]).start()
    yield sim
    sim.stop(signal.SIGKILL)


def serial_hex(cert_der: bytes) -> str:
    from app.core.certs import summarize

    return summarize(cert_der).serial_hex


def new_record(signer, holder: str, number: int) -> NewRecord:
    content = f"document {number}".encode()
    from cryptography.hazmat.primitives import hashes

    sm3 = hashes.Hash(hashes.SM3())
    sm3.update(content)
    return NewRecord(
        holder=holder,
        seal_id="4403000000001",
        seal_name="示例科技有限公司合同专用章",
        seal_kind="official",
        cert_serial=serial_hex(signer.certificate),
        cert_issuer="CN=SealDesk Test Root CA",
        document_name=f"合同-{number}.pdf",
        document_sha256=hashlib.sha256(content).hexdigest(),
        document_sm3=sm3.finalize().hex(),
        page_count=1,
        placements=(Placement(1, 100.0, 200.0, 42.0, 42.0),),
        approval_ref=f"SP-{number}",
        purpose="测试",
    )


def append_records(log, signer, holder: str, count: int, start: int = 1) -> list:
    return [log.append(new_record(signer, holder, n), signer) for n in range(start, start + count)]


def register_software_key(client, signer, chain_id: str, seal_ids=("4403000000001",), holder_id=None) -> str:
    """Register a software key like `register_holder` does for a token key; returns the holder id."""
    import base64

    from app.core.usage.sync import sign_registration

    nonce = client.challenge()
    payload = {
        "nonce": nonce,
        "certificate": base64.b64encode(signer.certificate).decode(),
        "token_serial": chain_id.split(":")[0],
        "seal_ids": list(seal_ids),
        "chain_id": chain_id,
        "name": "张三",
        "organisation": "示例科技有限公司",
        "proof": sign_registration(signer, nonce),
    }
    if holder_id:
        payload["holder_id"] = holder_id
    return client.register(payload)["holder_id"]


def write_pem(path: Path, der: bytes) -> Path:
    import base64
    import textwrap

    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    path.write_text(f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
    return path


# --- the client killed during sync ---------------------------------------------------------------------
SYNC_SCRIPT = textwrap.dedent(
    """
    import sys
    from app.core.usage import UsageLog
    from app.core.usage.sync import CityClient, RetryPolicy, SyncStore, sync_records
    log = UsageLog(sys.argv[1]); store = SyncStore(log.path)
    client = CityClient(sys.argv[2], sys.argv[3], retry=RetryPolicy(attempts=3, base_s=0.01, cap_s=0.05))
    result = sync_records(log, store, client, lock_wait_s=30, batch_limit=int(sys.argv[4]),
                          progress=lambda p: print("sent", p.sent, flush=True))
    print("done", result.synced, result.pending, flush=True)
    """
)


def kill_loop(
    citysim, log, store, kills: int, seed: int, *, max_delay_s: float = 1.2, batch_limit: int = 20, before_each=None
) -> dict:
    """Start a client sync process and SIGKILL it, `kills` times; then one clean sync. Every other kill
    lands at a random moment (0.05 s … `max_delay_s` after start: start-up, reading the log, mid-request);
    the others 0–0.3 s after the process reported its first answered upload (between uploads, while
    marking records synced). `before_each()` runs before each start (new records arrive); the killed
    processes upload `batch_limit` records per request, so there are many moments between requests.
    Returns counts for the report."""
    import select

    rng = random.Random(seed)
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    killed = finished = mid_sync = 0
    for number in range(kills):
        if before_each is not None:
            before_each()
        proc = subprocess.Popen(
            [sys.executable, "-c", SYNC_SCRIPT, str(log.path), citysim.url, TOKEN, str(batch_limit)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        seen = b""
        if number % 2:
            deadline = time.monotonic() + 30
            while b"sent" not in seen and b"done" not in seen and time.monotonic() < deadline:
                ready, _, _ = select.select([proc.stdout], [], [], 0.5)
                if ready:
                    chunk = os.read(proc.stdout.fileno(), 4096)
                    if not chunk:
                        break
                    seen += chunk
            time.sleep(rng.uniform(0.0, 0.3))
        else:
            time.sleep(rng.uniform(0.05, max_delay_s))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
            seen += proc.communicate()[0]
            mid_sync += b"sent" in seen  # killed after at least one answered upload request
        else:
            finished += 1
            proc.communicate()
    from app.core.usage.sync import CityClient, RetryPolicy, sync_records

    client = CityClient(citysim.url, TOKEN, retry=RetryPolicy(attempts=6, base_s=0.05, cap_s=0.2))
    final = sync_records(log, store, client)
    client.close()
    return {"killed": killed, "killed_after_an_upload": mid_sync, "finished": finished,
            "final_pending": final.pending, "final_ok": final.ok}  # fmt: skip


__all__ = ["FAULTS", "TOKEN", "CitySim", "FaultProxy", "append_records", "free_port", "new_record",
           "kill_loop", "register_software_key", "write_pem", "use_own_home", "demo_key_city"]  # fmt: skip

"""A citysim killed with SIGKILL while it stores a large request keeps all of that request or none of it.

Each round starts the server on a copy of the same database (one holder registered, no records), sends one
500-record request of about 5 MB, and kills the server after a delay spread over the time the request takes
uninterrupted. The database is then opened the way the restarted server would open it.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import requests
from citysim_helpers import append_records, register, running_citysim, start_citysim, write_pem
from pdf_helpers import SoftwareDigestSigner

from app.core.usage import UsageLog

TOKEN = "kill-test-token-Vn5"
FRACTIONS = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0, 1.5)


def _stored(db: Path, ids: set[str]) -> int:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return sum(1 for (record_id,) in conn.execute("SELECT record_id FROM records") if record_id in ids)
    finally:
        conn.close()


def test_sigkill_mid_request_keeps_all_or_nothing(ca, tmp_path: Path):
    roots = [write_pem(tmp_path / "root.pem", ca.root_der)]
    signer = SoftwareDigestSigner.from_issued(ca.issue("断电测试"))
    chain_id = "KILL:1"
    base = tmp_path / "base"
    base.mkdir()
    with running_citysim(base, roots, token=TOKEN) as sim:
        assert register(sim, signer, chain_id, ["KILL-SEAL"]).status_code == 201
    with UsageLog(tmp_path / "usage.sqlite3") as log:
        records = append_records(log, chain_id, signer, 500, purpose="用印事由" * 2000)  # ~10 KB each
    body = {"records": [r.to_json() for r in records]}
    ids = {r.record_id for r in records}

    def round_(n: int, kill_after: float | None) -> tuple[int, int | None, float, int]:
        """(records of the batch stored, HTTP status the client got, seconds, WAL bytes at the kill)."""
        folder = tmp_path / f"round{n}"
        folder.mkdir()
        for part in base.glob("city.sqlite3*"):
            shutil.copy(part, folder / part.name)
        sim = start_citysim(folder, roots, token=TOKEN)
        answer: list[int] = []

        def send() -> None:
            try:
                response = requests.post(sim.api + "/usage-records", json=body, headers=sim.headers(), timeout=120)
                answer.append(response.status_code)
            except requests.exceptions.ConnectionError:
                pass

        started = time.monotonic()
        sender = threading.Thread(target=send)
        sender.start()
        wal_bytes = -1
        if kill_after is None:
            sender.join()
            sim.stop()
        else:
            time.sleep(kill_after)
            wal = folder / "city.sqlite3-wal"
            wal_bytes = wal.stat().st_size if wal.exists() else 0
            sim.kill()
            sender.join()
        elapsed = time.monotonic() - started
        return _stored(folder / "city.sqlite3", ids), (answer[0] if answer else None), elapsed, wal_bytes

    stored, status, duration, _ = round_(0, None)
    assert (stored, status) == (500, 200)
    outcomes = []
    rng = random.Random(38540)
    fractions = list(FRACTIONS) + [rng.uniform(0.3, 1.0) for _ in range(8)]

    def mid_storage() -> bool:
        """A kill after the transaction had spilled pages of the batch into the WAL, and nothing was kept."""
        return any(stored == 0 and wal_bytes > 1_000_000 for _, stored, _, wal_bytes in outcomes)

    for n, fraction in enumerate(fractions, start=1):
        if n > len(FRACTIONS) and mid_storage():
            break  # the extra rounds only make sure one kill lands mid-storage on a slow or fast machine
        stored, status, _, wal_bytes = round_(n, duration * fraction)
        outcomes.append((round(fraction, 2), stored, status, wal_bytes))
        assert stored in (0, 500), outcomes
        if status == 200:
            assert stored == 500, outcomes  # answered means durable (synchronous=FULL)
    assert mid_storage(), outcomes
    print(f"uninterrupted {duration:.2f} s; kills (fraction, stored, status, WAL bytes): {outcomes}")

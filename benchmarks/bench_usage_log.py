"""The usage log's durable append: 10,000 records, each signed by the token and committed with SQLite's
FULL sync in WAL mode (target ≤ 5 ms each), plus the chain-head write on the key and `verify` of the lot.

    cd /work/main && .venv/bin/python benchmarks/bench_usage_log.py              # 10,000 records
    .venv/bin/python benchmarks/bench_usage_log.py --records 200                 # a quick look

Prints the Markdown section that docs/performance.md carries ("The usage log"). SEALDESK_HOME is a fresh
temp dir with its own SoftHSM store and a token provisioned like the demo key (benchmarks/common.py).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

APPEND_TARGET_MS = 5.0


@dataclass(frozen=True)
class UsageLogTimings:
    """Seconds per operation; `append` is what a stamping waits for, the rest explains it."""

    records: int
    append: list[float]
    """Each `UsageLog.append` (token signature + SQLite commit with FULL sync)."""
    sign: list[float]
    """The token's signature alone (`sign_digest` over a SHA-256), for the breakdown."""
    head_write: list[float]
    """`chain_head.write_head` on the key (create the new object, destroy the old)."""
    head_read: list[float]
    bare_commit: list[float]
    """A bare SQLite commit (one small row, WAL, synchronous=FULL) in the same folder: the disk's floor,
    taken right after the appends so that both see the same machine load."""
    verify_s: float
    """`UsageLog.verify` of every record against the key's head (all signatures checked)."""
    synchronous: int
    journal_mode: str

    @property
    def append_ms(self) -> float:
        return statistics.median(self.append) * 1000

    @property
    def met(self) -> bool:
        """Median and mean within the target (the mean carries the fsync outliers)."""
        return self.append_ms <= APPEND_TARGET_MS and statistics.fmean(self.append) * 1000 <= APPEND_TARGET_MS


def _record(holder: str, number: int, cert) -> object:
    from app.core.usage.records import NewRecord, Placement

    digest = hashlib.sha256(f"document {number}".encode()).hexdigest()
    return NewRecord(
        holder=holder,
        seal_id="BENCH0001",
        seal_name="基准测试专用章",
        seal_kind="personal",
        cert_serial=cert.serial_hex,
        cert_issuer=cert.issuer,
        document_name=f"document-{number}.pdf",
        document_sha256=digest,
        document_sm3=digest,
        page_count=3,
        placements=(Placement(1, 120.5, 230.25, 42.0, 42.0),),
        approval_ref=None,
        purpose="benchmark",
    )


def _bare_commits(folder: Path, count: int) -> list[float]:
    import sqlite3

    conn = sqlite3.connect(folder / "bare.sqlite3", isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (v TEXT)")
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (?)", ("x" * 1500,))
            conn.execute("COMMIT")
            samples.append(time.perf_counter() - start)
        return samples
    finally:
        conn.close()


def measure(token, work: Path, records: int = 10_000, head_writes: int = 200) -> UsageLogTimings:
    """Append `records` records with the token's key into a new log in `work`, then time the head."""
    from app.core.certs import summarize
    from app.core.keys import TokenManager
    from app.core.usage.chain_head import head_after, read_heads, write_head
    from app.core.usage.log import UsageLog

    work.mkdir(parents=True, exist_ok=True)
    manager = TokenManager(extra_modules=[token.module], use_catalog=False)
    log = UsageLog(work / "bench-usage.sqlite3", client_host="bench", client_version="bench")
    try:
        found = manager.find_token(serial=token.serial)
        with manager.open_session(found, token.pin) as session:
            signer = session.digest_signer(token.key_id)
            cert = summarize(signer.certificate)
            holder = f"{token.serial}:{cert.serial_hex}"
            appends, signs = [], []
            record = None
            for number in range(records):
                new = _record(holder, number, cert)
                start = time.perf_counter()
                record = log.append(new, signer)
                appends.append(time.perf_counter() - start)
                if number % 50 == 0:  # the signature alone, now and then, for the breakdown
                    digest = hashlib.sha256(str(number).encode()).digest()
                    start = time.perf_counter()
                    signer.sign_digest(digest, "sha256")
                    signs.append(time.perf_counter() - start)
            writes, reads = [], []
            for _ in range(head_writes):
                head = head_after(record, token.key_id)
                start = time.perf_counter()
                write_head(session, head)
                writes.append(time.perf_counter() - start)
                start = time.perf_counter()
                heads = read_heads(session)
                reads.append(time.perf_counter() - start)
            if len(heads.heads) != 1 or heads.head_for(holder) != head:
                raise RuntimeError("the key does not hold exactly the one head written last")
        bare = _bare_commits(work, max(20, min(records, 500)))
        start = time.perf_counter()
        result = log.verify(key_heads=[heads])
        verify_s = time.perf_counter() - start
        if not result.ok or result.checked != records:
            raise RuntimeError(f"the benchmark log does not verify: {result.problems[:3]}")
        conn = log._connection()
        synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        log.close()
        manager.close()
    return UsageLogTimings(records, appends, signs, writes, reads, bare, verify_s, synchronous, journal)


def _ms(samples: list[float], q: float | None = None) -> str:
    if q is None:
        return f"{statistics.median(samples) * 1000:.2f} ms"
    ordered = sorted(samples)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.2f} ms"


def report(t: UsageLogTimings) -> str:
    """The Markdown section for docs/performance.md."""
    verdict = "**met**" if t.met else "**missed**"
    durable = "FULL" if t.synchronous == 2 else f"synchronous={t.synchronous}"
    return "\n".join(
        [
            "## The usage log",
            "",
            f"`benchmarks/bench_usage_log.py`: {t.records:,} records appended one by one into a new log "
            f"({t.journal_mode.upper()} mode, synchronous={durable}: each commit is fsynced before `append` "
            "returns), each signed by the SoftHSM token's EC P-256 key; then the chain head written on the key.",
            "",
            "| what | median | p95 | max | target | |",
            "|---|---|---|---|---|---|",
            f"| `UsageLog.append` (token signature + durable commit) | {_ms(t.append)} | {_ms(t.append, 0.95)} | "
            f"{_ms(t.append, 1.0)} | ≤ {APPEND_TARGET_MS:g} ms (mean {statistics.fmean(t.append) * 1000:.2f} ms) | "
            f"{verdict} |",
            f"| of which the token's signature (`sign_digest`) | {_ms(t.sign)} | {_ms(t.sign, 0.95)} | "
            f"{_ms(t.sign, 1.0)} | | |",
            f"| the disk's floor: a bare SQLite commit (WAL, FULL) in the same folder | {_ms(t.bare_commit)} | "
            f"{_ms(t.bare_commit, 0.95)} | {_ms(t.bare_commit, 1.0)} | | |",
            f"| chain head written on the key (`write_head`, once per stamping or batch) | {_ms(t.head_write)} | "
            f"{_ms(t.head_write, 0.95)} | {_ms(t.head_write, 1.0)} | | |",
            f"| chain head read (`read_heads`, once per `Stamper` and `log verify --key`) | {_ms(t.head_read)} | "
            f"{_ms(t.head_read, 0.95)} | {_ms(t.head_read, 1.0)} | | |",
            "",
            f"`UsageLog.verify` of all {t.records:,} records (every signature, the chain, the key's head): "
            f"{t.verify_s:.1f} s. Total append time: {sum(t.append):.1f} s.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    from benchmarks.common import delete_token, prepare_environment, provision_token

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args(argv)
    home = prepare_environment()
    token = provision_token()
    try:
        timings = measure(token, Path(tempfile.mkdtemp(dir=home)), args.records)
    finally:
        delete_token(token)
    print(report(timings))
    return 0 if timings.met else 1


if __name__ == "__main__":
    sys.exit(main())

"""City sync benchmark: 10,000 usage records appended durably with a SoftHSM key, then synced to a local
citysim; optionally the client-SIGKILL loop (`--kills 200`) with its counts. Writes its section of
docs/performance.md (between the city-sync markers; the rest of the file is left as it is).

    .venv/bin/python benchmarks/bench_city.py                    # 10,000 records, ~1–2 minutes
    .venv/bin/python benchmarks/bench_city.py --kills 200        # plus 200 random client kills
    .venv/bin/python benchmarks/bench_city.py --records 200 --out /tmp/perf.md   # quick
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import REPO, machine_info, prepare_environment, provision_token  # noqa: E402

sys.path.insert(0, str(REPO / "tests"))

APPEND_TARGET_MS = 5.0
SYNC_TARGET_S = 10.0
RECORDS = 10_000
BEGIN, END = "<!-- city-sync: benchmarks/bench_city.py -->", "<!-- /city-sync -->"


@dataclass
class CityResult:
    records: int = 0
    append_ms: list[float] = field(default_factory=list)
    sync_s: float = 0.0
    upload_s: float = 0.0
    """Time inside the upload requests (HTTP + the server's ingestion); the rest of sync_s is the client's."""
    requests: int = 0
    kills: dict = field(default_factory=dict)


def bench_city(work: Path, records: int = RECORDS, kills: int = 0) -> CityResult:
    """Append `records` with the bench token's personal-seal key (SoftHSM, EC P-256), sync them to citysim,
    then (if `kills`) run the client-kill loop on fresh records and check the server holds each once."""
    from city_helpers import TOKEN, CitySim, kill_loop, new_record, write_pem

    from app.core.keys import TokenManager
    from app.core.usage import UsageLog
    from app.core.usage.sync import CityClient, SyncStore, sign_registration, sync_records

    token = provision_token()
    result = CityResult(records=records)
    manager = TokenManager(extra_modules=[token.module], use_catalog=False)
    info = manager.find_token(label=token.label)
    root = write_pem(work / "root.pem", token.root_cert_der)
    sim = CitySim(work / "city.sqlite3", [root]).start()
    try:
        with manager.open_session(info, "123456") as session, UsageLog(work / "usage.sqlite3") as log:
            signer = session.digest_signer(token.key_id)
            from app.core.certs import summarize

            holder = f"{info.serial}:{summarize(signer.certificate).serial_hex}"
            for number in range(1, records + 1):
                new = new_record(signer, holder, number)
                started = time.perf_counter()
                log.append(new, signer)
                result.append_ms.append((time.perf_counter() - started) * 1000)
            client = CityClient(sim.url, TOKEN)
            nonce = client.challenge()
            import base64

            client.register({
                "nonce": nonce, "certificate": base64.b64encode(signer.certificate).decode(),
                "token_serial": info.serial, "seal_ids": [token.seal_id], "chain_id": holder,
                "name": "Bench", "organisation": "Bench", "proof": sign_registration(signer, nonce),
            })  # fmt: skip
            store = SyncStore(log.path)
            upload = client.upload

            def timed_upload(batch):
                began = time.perf_counter()
                try:
                    return upload(batch)
                finally:
                    result.upload_s += time.perf_counter() - began

            client.upload = timed_upload
            started = time.perf_counter()
            synced = sync_records(log, store, client)
            result.sync_s = time.perf_counter() - started
            client.upload = upload
            result.requests = synced.requests
            if not synced.ok or synced.accepted != records:
                raise RuntimeError(f"sync incomplete: {synced}")
            added = [records]

            def new_records() -> None:  # 150 new records before each start: 6 requests of 25 per process
                for _ in range(150):
                    added[0] += 1
                    log.append(new_record(signer, holder, added[0]), signer)

            totals = kill_loop(sim, log, store, kills, seed=1, max_delay_s=3.0, batch_limit=25, before_each=new_records)
            if kills and not totals["final_ok"]:
                raise RuntimeError(f"after the kills the sync did not finish: {totals}")
            if kills:
                local = [(r.record_id, r.record_hash) for r in log.records(holder=holder)]
                stored = [(r["record_id"], r["record_hash"]) for r in sim.stored() if r["chain_id"] == holder]
                seqs = [r["seq"] for r in sim.stored() if r["chain_id"] == holder]
                totals["server_records"] = len(stored)
                totals["local_records"] = len(local)
                totals["exactly_once_no_gaps"] = stored == local and seqs == list(range(1, len(local) + 1))
                result.kills = totals
            store.close()
            client.close()
    finally:
        sim.stop()
        manager.close()
    return result


def report_lines(result: CityResult) -> list[str]:
    per = statistics.median(result.append_ms)
    p95 = sorted(result.append_ms)[int(len(result.append_ms) * 0.95) - 1]
    lines = [
        BEGIN,
        "## City sync (用印登记上报)",
        "",
        "`benchmarks/bench_city.py`: usage records signed by a SoftHSM EC P-256 key (the bench token's personal "
        "seal key) and appended to the usage log with SQLite `synchronous=FULL` (each record on disk before "
        "`append` returns), then uploaded to citysim on 127.0.0.1 (uvicorn, SQLite WAL) over plain HTTP.",
        "",
        "| what | measured | target | |",
        "|---|---|---|---|",
        f"| append one record durably (median of {result.records:,}; p95 {p95:.1f} ms) | {per:.1f} ms | "
        f"≤ {APPEND_TARGET_MS:.0f} ms | **{'met' if per <= APPEND_TARGET_MS else 'missed'}** |",
        f"| sync {result.records:,} records to citysim ({result.requests} requests of ≤ 500) | "
        f"{result.sync_s:.1f} s | ≤ {SYNC_TARGET_S:.0f} s | **{'met' if result.sync_s <= SYNC_TARGET_S else 'missed'}** |",
        "",
        f"Of the sync, {result.upload_s:.1f} s are spent inside the {result.requests} upload requests (HTTP and "
        f"citysim's ingestion: signature check, chain check, SQLite insert) and "
        f"{result.sync_s - result.upload_s:.1f} s in the client (finding and reading the waiting records, JSON, "
        "marking them synced).",
    ]
    if result.kills:
        k = result.kills
        lines += [
            "",
            f"Client SIGKILL loop (`--kills {k['killed'] + k['finished']}`): before each of "
            f"{k['killed'] + k['finished']} sync processes 150 new records are appended; the process uploads 25 "
            f"per request and gets SIGKILLed — every other one at a random moment 0.05–3 s after start, the others "
            f"0–0.3 s after its first answered upload. {k['killed']} were killed ({k['killed_after_an_upload']} of "
            f"them after at least one answered upload), {k['finished']} had finished first; then one clean sync. "
            f"Afterwards the server holds "
            f"{k['server_records']:,} records, the local log {k['local_records']:,}: "
            f"{'each exactly once, seq without gaps, same hashes' if k['exactly_once_no_gaps'] else 'MISMATCH'}.",
        ]
    info = machine_info()
    lines += ["", f"Machine: {', '.join(f'{k} {v}' for k, v in info.items())}.", END]
    return lines


def write_section(out: Path, lines: list[str]) -> None:
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    section = "\n".join(lines)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    out.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--kills", type=int, default=0)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    args = parser.parse_args(argv)
    prepare_environment()
    with tempfile.TemporaryDirectory(prefix="sealdesk-city-bench-") as work:
        result = bench_city(Path(work), args.records, args.kills)
    lines = report_lines(result)
    print("\n".join(lines))
    write_section(args.out, lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())

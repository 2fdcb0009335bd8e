"""Benchmark 2: a batch of small PDFs stamped with one PIN entry and one key session (Stamper.stamp_batch).

The PIN is entered once (one KeySession), one Stamper is built, then `stamp_batch` signs every document
and writes one usage record per document. Throughput counts only `stamp_batch`; opening the session and
building the Stamper (once per batch) are reported beside it.

Run alone: `.venv/bin/python benchmarks/bench_batch.py` (run_all.py runs it as part of the report).
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import BenchToken, OpenSession, Timing, clear_chain_heads, make_text_pdf  # noqa: E402

CENTER_MM = (150.0, 250.0)


@dataclass(frozen=True)
class BatchResult:
    documents: int
    batch: Timing
    """Seconds for the whole stamp_batch call, one sample per repetition."""
    setup: Timing
    """Seconds to open the key session (PIN login) and build the Stamper, per repetition."""

    @property
    def docs_per_s(self) -> float:
        """Throughput of the median batch."""
        return self.documents / self.batch.median

    @property
    def best_docs_per_s(self) -> float:
        return self.documents / self.batch.min


def make_documents(folder: Path, count: int, *, pages: int = 2) -> list[Path]:
    """`count` small PDFs (copies of one `pages`-page document under different names)."""
    folder.mkdir(parents=True, exist_ok=True)
    template = make_text_pdf(folder / "template.pdf.src", pages)
    paths = []
    for number in range(count):
        path = folder / f"doc-{number:03d}.pdf"
        shutil.copyfile(template, path)
        paths.append(path)
    return paths


def bench_batch(token: BenchToken, work: Path, *, documents: int = 100, repeat: int = 2) -> BatchResult:
    """Stamp `documents` small PDFs `repeat` times, each time in a fresh session and output folder."""
    from app.core.stamping import SpotPlacement, Stamper, StampRequest
    from app.core.usage.log import UsageLog

    inputs = make_documents(work / "batch-in", documents)
    placement = SpotPlacement(CENTER_MM, pages="1")
    batch_samples: list[float] = []
    setup_samples: list[float] = []
    clear_chain_heads(token)  # a log of its own: not continuing another benchmark's chain on the token
    log = UsageLog(work / "batch-usage.sqlite3")
    try:
        for rep in range(-1, repeat):  # -1: warm-up with two documents (imports, first PyMuPDF/pyHanko use)
            chosen = inputs[:2] if rep < 0 else inputs
            out = work / f"batch-out-{rep + 1}"
            out.mkdir()
            requests = [StampRequest(p, placement, output_path=out / f"{p.stem}.signed.pdf") for p in chosen]
            start = time.perf_counter()
            opened = OpenSession(token)
            try:
                stamper = Stamper(opened.session, token.seal_id, usage_log=log)
                ready = time.perf_counter()
                items = stamper.stamp_batch(requests)
                done = time.perf_counter()
            finally:
                opened.__exit__(None, None, None)
            failed = [item for item in items if item.error is not None]
            if failed:
                raise RuntimeError(f"{len(failed)} of {len(items)} failed; first: {failed[0].error!r}")
            shutil.rmtree(out)
            if rep >= 0:
                setup_samples.append(ready - start)
                batch_samples.append(done - ready)
        records = log.records()
        if len(records) != 2 + documents * repeat or not log.verify().ok:
            raise RuntimeError("the usage log does not hold one intact record per stamped document")
    finally:
        log.close()
    return BatchResult(documents, Timing(tuple(batch_samples)), Timing(tuple(setup_samples)))


def main() -> int:
    import argparse
    import tempfile

    from benchmarks.common import delete_token, prepare_environment, provision_token

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    home = prepare_environment()
    token = provision_token()
    try:
        result = bench_batch(token, Path(tempfile.mkdtemp(dir=home, prefix="batch-")), documents=args.documents, repeat=args.repeat)
        print(f"{result.documents} documents: {result.docs_per_s:.1f} docs/s (median), {result.best_docs_per_s:.1f} best;")
        print(f"session + Stamper set-up {result.setup.median * 1000:.0f} ms")
    finally:
        delete_token(token)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark 3: verify a PDF carrying 10 signatures (each stamping signs the previous output).

`verify_document` checks every signature with pyHanko (integrity, signature, trust path to the demo root,
difference analysis of the later revisions) and every seal it carries (GB/T 38540 maker signature, validity,
binding to the signing certificate).

Run alone: `.venv/bin/python benchmarks/bench_verify.py` (run_all.py runs it as part of the report).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import BenchToken, OpenSession, Timing, make_text_pdf, measure  # noqa: E402


@dataclass(frozen=True)
class VerifyResult:
    signatures: int
    all_valid: bool
    """verify_document's verdict (the benchmark token's root is passed as trust anchor)."""
    timing: Timing
    path: Path


def make_multi_signed(token: BenchToken, work: Path, signatures: int = 10, *, pages: int = 3) -> Path:
    """A `pages`-page PDF stamped `signatures` times, each output the next input, at different spots."""
    from app.core.stamping import SpotPlacement, Stamper, StampRequest
    from app.core.usage.log import UsageLog

    work.mkdir(parents=True, exist_ok=True)
    current = make_text_pdf(work / f"multi-0of{signatures}.pdf", pages)
    log = UsageLog(work / "verify-usage.sqlite3")
    try:
        with OpenSession(token) as session:
            stamper = Stamper(session, token.seal_id, usage_log=log)
            for number in range(1, signatures + 1):
                centre = (30.0 + 25.0 * ((number - 1) % 6), 240.0 + 25.0 * ((number - 1) // 6))
                target = work / f"multi-{number}of{signatures}.pdf"
                stamper.stamp(StampRequest(current, SpotPlacement(centre, pages="1"), output_path=target))
                current = target
    finally:
        log.close()
    return current


def bench_verify(token: BenchToken, pdf: Path, *, repeat: int = 3, warmup: int = 1) -> VerifyResult:
    """Time verify_document on `pdf` (the demo root trusted)."""
    from app.core.verification import verify_document

    reports = []
    timing = measure(lambda i: reports.append(verify_document(pdf, trust_roots=[token.root_cert_der])), repeat, warmup=warmup)
    report = reports[-1]
    return VerifyResult(len(report.signatures), report.all_valid, timing, pdf)


def main() -> int:
    import argparse
    import shutil
    import tempfile

    from benchmarks.common import delete_token, prepare_environment, provision_token

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatures", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    home = prepare_environment()
    token = provision_token()
    try:
        pdf = make_multi_signed(token, Path(tempfile.mkdtemp(dir=home, prefix="verify-")), args.signatures)
        result = bench_verify(token, pdf, repeat=args.repeat)
        print(
            f"{result.signatures} signatures, all valid: {result.all_valid}; "
            f"verify_document median {result.timing.median:.3f} s, min {result.timing.min:.3f} s"
        )
    finally:
        delete_token(token)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

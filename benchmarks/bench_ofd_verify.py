"""Benchmark: verify the other implementation's signed OFDs (tests/data/interop) — `verify_document`, the
call behind `sealdesk verify` and the 验章 panel: the package read, every Reference's SM3, the
SES_Signature's SM2 signature, the seal (maker signature, validity, binding, maker chain), the signer's
chain, and the stamp picture drawn and compared with the seal's.

* allprotected.ofd: a PNG seal (ofdrw);
* signedFile.ofd: an e-invoice whose seal picture is itself an OFD (drawn by the OFD renderer at 300 dpi).

The signer and maker certificates the files carry are the trust roots (as in tests/test_ofd_verify.py),
so the whole path runs. Run alone: `.venv/bin/python benchmarks/bench_ofd_verify.py`; the numbers go into
the OFD section of docs/performance.md by hand (run_all.py does not run it).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Timing, measure  # noqa: E402

INTEROP = Path(__file__).resolve().parent.parent / "tests" / "data" / "interop"
FILES = ("allprotected.ofd", "signedFile.ofd")
VERIFY_TARGET_S = 0.25


def _roots(path: Path) -> list[bytes]:
    from app.core.ofd import read_ofd
    from app.core.ses import parse_ses_signature

    ofd = read_ofd(path)
    try:
        ses = parse_ses_signature(ofd.part_bytes(ofd.signatures[0].signed_value_part))
    finally:
        ofd.close()
    return [ses.cert, ses.seal.maker_cert]


def bench_verify(path: Path, repeat: int = 5) -> Timing:
    from app.core.verification import verify_document

    roots = _roots(path)

    def run(_: int) -> None:
        report = verify_document(path, trust_roots=roots)
        assert report.all_valid, path

    return measure(run, repeat, warmup=1)


def report_lines(results: dict[str, Timing]) -> list[str]:
    lines = ["| measurement | median (min) | target | |", "|---|---|---|---|"]
    for name, timing in results.items():
        verdict = "**met**" if timing.median <= VERIFY_TARGET_S else "**missed**"
        lines.append(
            f"| verify {name} (1 signature) | {timing.median * 1000:.0f} ms (min {timing.min * 1000:.0f}) | "
            f"≤ {VERIFY_TARGET_S * 1000:.0f} ms | {verdict} |"
        )
    return lines


def main() -> int:
    print("\n".join(report_lines({name: bench_verify(INTEROP / name) for name in FILES})))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: stamp an OFD — the 100-page OFD of bench_ofd.py, one seal on page 1, written as a new package.

Measures `app.core.ofd.sign.sign_ofd` from the opened document to the closed output zip: every part read
and hashed with SM3 for the References, Signatures.xml/Signature.xml built, the SES_Signature built and
signed, the package written (deflated). The key is a software SM2 key behind the token's protocol
(`sign_message`), so the number is SealDesk's work, not a token's (a token adds its own signing time, the
test module's ~3 ms). The seal comes from tests/ofd_sign_helpers (a test maker under a test root).

Run alone: `.venv/bin/python benchmarks/bench_ofd_stamp.py`; the line goes into the OFD section of
docs/performance.md by hand (run_all.py does not run it).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchmarks.bench_ofd import make_many_pages_ofd  # noqa: E402
from benchmarks.common import Timing, measure  # noqa: E402

STAMP_TARGET_S = 1.0


def bench_ofd_stamp(work: Path, *, pages: int = 100, repeat: int = 5) -> Timing:
    from ofd_sign_helpers import SealHolder

    from app.core import placement as geo
    from app.core.ofd import read_ofd
    from app.core.ofd import text as ofd_text
    from app.core.ofd.sign import sign_ofd, stamps_for_spots

    work.mkdir(parents=True, exist_ok=True)
    source = make_many_pages_ofd(work / f"pages{pages}.ofd", pages)
    holder = SealHolder.create()

    def run(i: int) -> None:
        ofd = read_ofd(source)
        try:
            spots = geo.spots_on_pages(ofd_text.page_geometries(ofd), [0], (150.0, 240.0), (40.0, 40.0))
            with (work / f"out{i}.ofd").open("wb") as out:
                sign_ofd(ofd, out, signer=holder.signer, seal_der=holder.seal_der,
                         stamps=stamps_for_spots(ofd, spots), moment=dt.datetime.now(dt.UTC))
        finally:
            ofd.close()

    return measure(run, repeat, warmup=1, after=lambda i: (work / f"out{i}.ofd").unlink())


def report_line(timing: Timing, pages: int = 100) -> str:
    verdict = "**met**" if timing.median <= STAMP_TARGET_S else "**missed**"
    return (
        f"| stamp a {pages}-page OFD (one seal, new package written) | {timing.median * 1000:.0f} ms "
        f"(min {timing.min * 1000:.0f}) | ≤ {STAMP_TARGET_S * 1000:.0f} ms | {verdict} |"
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as work:
        print(report_line(bench_ofd_stamp(Path(work))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: SM2/SM3 PDF signatures next to ECDSA P-256 — signing one document and verifying a PDF with
10 signatures, each carrying a seal (GB/T 38540 v4, SM2 maker) bound to its signer.

Both keys are software keys (gmssl for SM2, cryptography for ECDSA) behind the same protocols the token
session provides (`sm2_signer` / `digest_signer`), so the numbers compare the algorithms and SealDesk's
code, not two tokens. The SM2 chain is root → intermediate → holder (verified link by link with gm.py);
the ECDSA chain is root → holder (pyhanko-certvalidator). Key and certificate helpers come from tests/.

Run: `.venv/bin/python benchmarks/bench_sm2.py` (prints the Markdown table for docs/performance.md).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchmarks.common import Timing, make_text_pdf, measure  # noqa: E402

VERIFY_TARGET_S = 1.0


@dataclass(frozen=True)
class Family:
    """One algorithm family's signer, trust root, chain to embed and seal."""

    name: str
    signer: object
    roots: tuple[bytes, ...]
    """The holder's root and the seal maker's (SM2) root."""
    chain: tuple[bytes, ...]
    seal_der: bytes


def _seal(holder_cert: bytes, maker) -> bytes:
    from pdf_helpers import seal_png

    from app.core import gm
    from app.core.ses import SealPicture, build_seal_v4, kinds

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return build_seal_v4(
        es_id="BENCH-SM2-0001", vid="SealDesk-Bench", seal_type=kinds.CONTRACT, name="基准测试有限公司合同专用章",
        certs=[holder_cert], create_date=now, valid_start=now - dt.timedelta(days=1),
        valid_end=now + dt.timedelta(days=300), picture=SealPicture("PNG", seal_png(), 42, 42),
        maker_cert=maker.certificate, sign_alg=gm.SM2_WITH_SM3_OID, sign=maker.sign_message,
    )  # fmt: skip


def families() -> tuple[Family, Family]:
    """(ECDSA, SM2) signers with seals by the same SM2 seal maker (trusted through the SM2 root)."""
    from pdf_helpers import SoftwareCA, SoftwareDigestSigner
    from sm2_helpers import Sm2CA

    sm2_ca = Sm2CA.create("Bench SM2 Root")
    maker = sm2_ca.issue("Bench SM2 Maker", by_root=True)
    holder = sm2_ca.issue("SM2 持有人")
    ec_ca = SoftwareCA.create("Bench EC Root")
    ec = SoftwareDigestSigner.from_issued(ec_ca.issue("ECDSA 持有人"))
    return (
        Family(
            "ECDSA P-256 / SHA-256", ec, (ec_ca.root_der, sm2_ca.root_der), (), _seal(ec.certificate, maker)
        ),
        Family(
            "SM2 / SM3", holder, (sm2_ca.root_der,), tuple(sm2_ca.chain), _seal(holder.certificate, maker)
        ),
    )


def _sign(family: Family, src: Path, number: int = 0) -> bytes:
    from pdf_helpers import spot

    from app.core.appearance import image_for_spot, seal_image
    from app.core.pdf.sign import SignSettings, sign_pdf
    from app.core.ses import parse_seal

    image = seal_image(parse_seal(family.seal_der).picture)
    x, y = 40 + 80 * (number % 6), 500 - 90 * (number // 6)
    out = io.BytesIO()
    sign_pdf(src, out, signer=family.signer, spots=[spot(0, (x, y, x + 70, y + 70))],
             spot_images=[image_for_spot(image, None, None).png], seal_der=family.seal_der,
             settings=SignSettings(), chain=family.chain)  # fmt: skip
    return out.getvalue()


def multi_signed(family: Family, work: Path, signatures: int) -> Path:
    current = make_text_pdf(work / f"{family.name[:3]}-0.pdf", 3)
    for number in range(1, signatures + 1):
        target = work / f"{family.name[:3]}-{number}.pdf"
        target.write_bytes(_sign(family, current, number - 1))
        current = target
    return current


@dataclass(frozen=True)
class Sm2Result:
    name: str
    sign: Timing
    verify: Timing
    all_valid: bool


def bench_family(family: Family, work: Path, *, signatures: int = 10, repeat: int = 5) -> Sm2Result:
    from app.core import gm, sm2_chain
    from app.core.verification import verify_document

    src = make_text_pdf(work / "one.pdf", 3)
    sign = measure(lambda i: _sign(family, src), repeat, warmup=1)
    pdf = multi_signed(family, work, signatures)
    verdicts = []

    def cold(_: int) -> None:  # SealDesk memoises SM2 verifications and chains per process: start empty
        gm._verify_e.cache_clear()
        sm2_chain._validate.cache_clear()
        verdicts.append(verify_document(pdf, trust_roots=list(family.roots)).all_valid)

    verify = measure(cold, repeat, warmup=1)
    return Sm2Result(family.name, sign, verify, all(verdicts))


def report_lines(results: list[Sm2Result], signatures: int) -> list[str]:
    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    lines = [
        f"| family | sign one document (`sign_pdf`) | verify {signatures} signatures (`verify_document`) | all valid |",
        "|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {ms(r.sign.median)} ({ms(r.sign.min)}) | {ms(r.verify.median)} ({ms(r.verify.min)}) | "
            f"{'yes' if r.all_valid else 'NO'} |"
        )
    return lines


def main() -> int:
    signatures = 10
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for family in families():
            work = Path(tmp) / family.name[:3]
            work.mkdir()
            results.append(bench_family(family, work, signatures=signatures))
    print("\n".join(report_lines(results, signatures)))
    sm2 = results[-1]
    print(
        f"\nSM2 verify target ≤ {VERIFY_TARGET_S:.0f} s: {'met' if sm2.verify.median <= VERIFY_TARGET_S else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

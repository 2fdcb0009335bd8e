"""Shared set-up of the verification panel, batch, log view, settings and report tests: an Application over
the demo key with a per-test usage log, and documents stamped by it for real (SoftHSM)."""

from __future__ import annotations

from pathlib import Path

from documents import make_pdf
from testdata import USER_PIN

from app.core import demo
from app.core.application import Application, KeySummary, SealSummary, StampStatus
from app.core.stamping import SpotPlacement


def demo_key_summary(app: Application) -> KeySummary:
    return next(k for k in app.keys() if k.label == demo.DEMO_LABEL)


def seal_of_kind(app: Application, kind: str) -> SealSummary:
    return next(s for s in app.key_contents(demo_key_summary(app)).seals if s.kind == kind)


def stamped_pdf(app: Application, folder: Path, name: str = "contract.pdf", *, kind: str = "personal",
                pages: int = 2, center: tuple[float, float] = (120.0, 200.0), page_spec: str = "1") -> Path:
    """A real PDF stamped with the demo key (PIN 123456); returns the signed copy."""
    source = make_pdf(folder / name, pages=pages)
    key = demo_key_summary(app)
    seal = seal_of_kind(app, kind)
    approval = "SP-2026-1" if seal.is_official else None
    plan = app.plan(source, seal.ref, SpotPlacement(center, pages=page_spec), approval, key=key)
    assert plan.ok, plan.problems
    outcome = app.stamp(plan, USER_PIN)
    assert outcome.status is StampStatus.SIGNED, outcome.error
    return outcome.result.output_path


def modified_copy(signed: Path, target: Path) -> Path:
    """The signed PDF with page content added in a later revision (a change no signature allows)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with signed.open("rb") as inf:
        writer = IncrementalPdfFileWriter(inf, strict=False)
        stream = generic.StreamObject(stream_data=b"q 1 0 0 rg 0 0 100 100 re f Q")
        writer.add_stream_to_page(0, writer.add_object(stream))
        with target.open("wb") as out:
            writer.write(out)
    return target

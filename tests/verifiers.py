"""Independent verifiers used by the tests: poppler's pdfsig and qpdf (tools SealDesk did not write)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PdfsigSignature:
    number: int
    field: str
    valid: bool
    total_document: bool
    text: str


def pdfsig(path: Path) -> list[PdfsigSignature]:
    """Run `pdfsig` and parse each signature's validation and coverage lines."""
    proc = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    blocks = re.split(r"^Signature #(\d+):", output, flags=re.MULTILINE)
    result = []
    for number, text in zip(blocks[1::2], blocks[2::2], strict=True):
        result.append(
            PdfsigSignature(
                number=int(number),
                field=(re.search(r"Signature Field Name: (.*)", text) or re.search("()", "")).group(1).strip(),
                valid="Signature Validation: Signature is Valid." in text,
                total_document="Total document signed" in text,
                text=text,
            )
        )
    return result


def pdfsig_fields(path: Path) -> dict[str, list[PdfsigSignature]]:
    """pdfsig's entries grouped by field name. poppler before 23.x lists a signature field once per
    widget (SealDesk's multi-page and cross-page stampings), each entry checking the same signature."""
    grouped: dict[str, list[PdfsigSignature]] = {}
    for entry in pdfsig(path):
        grouped.setdefault(entry.field, []).append(entry)
    return grouped


def qpdf_check(path: Path) -> tuple[bool, str]:
    proc = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    # exit 0 = no problems, 3 = warnings only
    return proc.returncode in (0,), proc.stdout + proc.stderr

"""Pre-flight checks of an input PDF: can it be signed incrementally at all?

pyHanko is the library that writes the signature revision, so pyHanko (not PyMuPDF, which silently
repairs damaged files) decides whether a file is readable. Everything a malformed file can raise is
turned into `DocumentDamaged`; callers never see a raw parser exception.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import (
    DocumentCertified,
    DocumentDamaged,
    DocumentEncrypted,
    DocumentLocked,
    DocumentNotFound,
)


@dataclass(frozen=True)
class PdfFacts:
    """What SealDesk needs to know about a PDF before signing it."""

    page_count: int
    """Number of pages (from the page tree, checked to be reachable)."""
    encrypted: bool
    """The file has an /Encrypt dictionary (SealDesk refuses those; see `inspect_pdf`)."""
    signature_count: int
    """Filled signature fields already in the file (approval, certification and document timestamps)."""
    docmdp_permission: int | None
    """P value (1, 2 or 3) of an existing certification signature, None when not certified."""
    name: str = ""
    """The file name, for user messages."""


def _read(data: bytes, name: str):
    """Open `data` with pyHanko's reader (lenient mode) or raise DocumentDamaged."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    if b"%PDF-" not in data[:1024]:
        raise DocumentDamaged("no %PDF- header in the first 1024 bytes", name=name)
    try:
        return PdfFileReader(io.BytesIO(data), strict=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure means the file is unusable
        raise DocumentDamaged(f"{type(exc).__name__}: {exc}", name=name) from exc


@dataclass(frozen=True)
class OpenedPdf:
    """A PDF read once: its bytes, its facts and pyHanko's reader over those bytes.

    Stamping reads, checks, places and signs from this one object instead of parsing the file again at
    every step (parsing dominates the cost of stamping a document).
    """

    name: str
    data: bytes
    facts: PdfFacts
    reader: Any
    """pyhanko.pdf_utils.reader.PdfFileReader over `data` (lenient mode)."""


def read_document(path: Path | str) -> bytes:
    """The file's bytes; DocumentNotFound when it is missing, DocumentDamaged when it cannot be read."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise DocumentNotFound(str(path), name=path.name) from exc
    except OSError as exc:
        raise DocumentDamaged(f"cannot read: {exc.strerror or exc}", name=path.name) from exc


def open_pdf(path: Path | str) -> OpenedPdf:
    """Read and check the PDF at `path` (same errors as `inspect_pdf`)."""
    path = Path(path)
    return open_pdf_bytes(read_document(path), path.name)


def open_pdf_bytes(data: bytes, name: str) -> OpenedPdf:
    reader = _read(data, name)
    return OpenedPdf(name=name, data=data, facts=_facts(reader, name), reader=reader)


def inspect_pdf(path: Path | str) -> PdfFacts:
    """Read the facts of the PDF at `path`.

    Raises DocumentDamaged (unreadable, not a PDF, broken page tree), DocumentEncrypted (any /Encrypt:
    SealDesk does not sign password-protected files, the holder removes the password first).
    """
    return open_pdf(path).facts


def facts_from_bytes(data: bytes, name: str) -> PdfFacts:
    """`inspect_pdf` for a document already in memory."""
    return _facts(_read(data, name), name)


def _facts(reader, name: str) -> PdfFacts:
    try:
        encrypted = bool(reader.encrypted)
    except Exception as exc:  # noqa: BLE001
        raise DocumentDamaged(f"{type(exc).__name__}: {exc}", name=name) from exc
    if encrypted:
        raise DocumentEncrypted("the file has an /Encrypt dictionary", name=name)
    try:
        from pyhanko.sign.validation.pdf_embedded import read_certification_data

        page_count = int(reader.root["/Pages"]["/Count"])
        if page_count < 1:
            raise ValueError("the page tree is empty")
        # Both ends of the page tree must be reachable, or pyHanko cannot place a widget there.
        reader.find_page_for_modification(0)
        reader.find_page_for_modification(page_count - 1)
        signature_count = len(reader.embedded_signatures)
        cert_info = read_certification_data(reader)
        docmdp = None
        if cert_info is not None and cert_info.permission is not None:
            docmdp = int(cert_info.permission.value)
    except Exception as exc:  # noqa: BLE001
        raise DocumentDamaged(f"{type(exc).__name__}: {exc}", name=name) from exc
    return PdfFacts(
        page_count=page_count,
        encrypted=False,
        signature_count=signature_count,
        docmdp_permission=docmdp,
        name=name,
    )


def check_can_sign(facts: PdfFacts, *, new_field: bool = True, reader: Any = None) -> None:
    """Refuse what a certification signature (DocMDP) forbids, as ISO 32000 and Acrobat read it.

    P=1: no change at all → DocumentLocked. P=2 (form filling and signing): only the empty signature
    fields the author prepared may be signed; a *new* field (`new_field`) → DocumentCertified, whose
    message lists the empty fields (read through `reader` when given). P=3 also allows annotations:
    new fields are accepted (see docs/decisions.md on how pyHanko's default validator differs).
    """
    if facts.encrypted:
        raise DocumentEncrypted("the file has an /Encrypt dictionary", name=facts.name)
    if facts.docmdp_permission == 1:
        raise DocumentLocked("certification signature with DocMDP P=1", name=facts.name)
    if facts.docmdp_permission == 2 and new_field:
        from .fields import empty_signature_fields, field_names_text

        listing = field_names_text(empty_signature_fields(reader)) if reader is not None else "—"
        raise DocumentCertified(
            "certification signature with DocMDP P=2: no new signature field", name=facts.name, fields=listing
        )

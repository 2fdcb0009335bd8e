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
    """The file has an /Encrypt dictionary but opens without a password (owner password only); files
    that need a password to open never get this far (DocumentEncrypted)."""
    signature_count: int
    """Filled signature fields already in the file (approval, certification and document timestamps)."""
    docmdp_permission: int | None
    """P value (1, 2 or 3) of an existing certification signature, None when not certified."""
    name: str = ""
    """The file name, for user messages."""


def _read(data, name: str, stream=None):
    """Open the PDF with pyHanko's reader (lenient mode) or raise DocumentDamaged / DocumentEncrypted.

    `data` is the file's bytes (or a read-only mmap of them); `stream`, when given, is the open file the
    reader parses from, so that a large file is not copied into memory. A file encrypted with an empty
    user password ("no editing" files: only an owner password) is opened as every viewer opens it; one
    that needs a password to open raises DocumentEncrypted.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader

    if b"%PDF-" not in data[:1024]:
        raise DocumentDamaged("no %PDF- header in the first 1024 bytes", name=name)
    try:
        reader = PdfFileReader(stream if stream is not None else io.BytesIO(data), strict=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure means the file is unusable
        raise DocumentDamaged(f"{type(exc).__name__}: {exc}", name=name) from exc
    open_without_password(reader, name)
    return reader


def open_without_password(reader, name: str) -> bool:
    """Decrypt `reader` with the empty user password when the file is encrypted; True if it was.

    PDF viewers open owner-password-only files without asking, and pyHanko signs them as an
    incremental update encrypted like the original. Anything else (a user password, a certificate
    security handler) raises DocumentEncrypted ("needs a password to open").
    """
    from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler

    try:
        if not reader.encrypted:
            return False
        handler = reader.security_handler
    except Exception as exc:  # noqa: BLE001 - a broken /Encrypt dictionary
        raise DocumentDamaged(f"{type(exc).__name__}: {exc}", name=name) from exc
    if not isinstance(handler, StandardSecurityHandler):
        raise DocumentEncrypted(f"security handler {type(handler).__name__}", name=name)
    try:
        result = reader.decrypt(b"")
    except Exception as exc:  # noqa: BLE001 - unsupported or broken encryption: cannot open it
        raise DocumentEncrypted(f"{type(exc).__name__}: {exc}", name=name) from exc
    if result.status == AuthStatus.FAILED:
        raise DocumentEncrypted("a user password is needed to open the file", name=name)
    return True


@dataclass(frozen=True)
class OpenedPdf:
    """A PDF read once: its bytes, its facts and pyHanko's reader over those bytes.

    Stamping reads, checks, places and signs from this one object instead of parsing the file again at
    every step (parsing dominates the cost of stamping a document).
    """

    name: str
    data: bytes
    """The file's bytes: a read-only mmap for `open_pdf` (pages load on access), bytes otherwise."""
    facts: PdfFacts
    reader: Any
    """pyhanko.pdf_utils.reader.PdfFileReader over the file (lenient mode)."""
    path: Path | None = None
    """The file it was opened from (`open_pdf`); None for `open_pdf_bytes`."""

    def close(self) -> None:
        """Release the open file and its mapping (`open_pdf`); the reader is unusable afterwards."""
        if self.path is None:
            return
        close = getattr(self.data, "close", None)
        if close is not None:
            try:
                close()
            except BufferError:  # a view on the mapping is still alive; the GC unmaps it later
                pass
        self.reader.stream.close()


def read_document(path: Path | str) -> bytes:
    """The file's bytes; DocumentNotFound when it is missing, DocumentDamaged when it cannot be read."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise DocumentNotFound(str(path), name=path.name) from exc
    except OSError as exc:
        raise DocumentDamaged(f"cannot read: {exc.strerror or exc}", name=path.name) from exc


IN_MEMORY_LIMIT = 16 * 1024 * 1024
"""Documents up to this size are parsed from a copy in memory (pyHanko's many small reads are several
times faster there); larger ones from the file, so that memory stays below 1.5 × the input size."""


def open_pdf(path: Path | str) -> OpenedPdf:
    """Open and check the PDF at `path` (same errors as `inspect_pdf`) without reading it into memory.

    pyHanko parses from the open file and `data` is a read-only mmap, so a large document costs
    memory only for the objects actually parsed (docs/performance.md, peak memory). The file must not
    be changed while the document is in use; stamping writes to a new file and never to the input.
    """
    import mmap

    path = Path(path)
    try:
        stream = path.open("rb")
    except FileNotFoundError as exc:
        raise DocumentNotFound(str(path), name=path.name) from exc
    except OSError as exc:
        raise DocumentDamaged(f"cannot read: {exc.strerror or exc}", name=path.name) from exc
    try:
        try:
            data: Any = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # empty file, or a file system without mmap
            data = stream.read()
            stream.close()
            stream = io.BytesIO(data)
        else:
            if len(data) <= IN_MEMORY_LIMIT:  # small: parse from memory, much faster than a file stream
                stream.close()
                stream = io.BytesIO(data)
        reader = _read(data, path.name, stream)
        facts = _facts(reader, path.name)
    except BaseException:
        stream.close()
        raise
    return OpenedPdf(name=path.name, data=data, facts=facts, reader=reader, path=path)


def open_pdf_bytes(data: bytes, name: str) -> OpenedPdf:
    """`open_pdf` for a document already in memory."""
    reader = _read(data, name)
    return OpenedPdf(name=name, data=data, facts=_facts(reader, name), reader=reader)


def inspect_pdf(path: Path | str) -> PdfFacts:
    """Read the facts of the PDF at `path`.

    Raises DocumentDamaged (unreadable, not a PDF, broken page tree), DocumentEncrypted (the file needs a
    password to open; files with only an owner password are opened like viewers do).
    """
    document = open_pdf(path)
    document.close()
    return document.facts


def facts_from_bytes(data: bytes, name: str) -> PdfFacts:
    """`inspect_pdf` for a document already in memory."""
    return _facts(_read(data, name), name)


def _facts(reader, name: str) -> PdfFacts:
    """Facts of a reader `_read` opened (already decrypted when it has an empty user password)."""
    try:
        encrypted = bool(reader.encrypted)
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
        encrypted=encrypted,
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
    if facts.docmdp_permission == 1:
        raise DocumentLocked("certification signature with DocMDP P=1", name=facts.name)
    if facts.docmdp_permission == 2 and new_field:
        from .fields import empty_signature_fields, field_names_text

        listing = field_names_text(empty_signature_fields(reader)) if reader is not None else "—"
        raise DocumentCertified(
            "certification signature with DocMDP P=2: no new signature field", name=facts.name, fields=listing
        )



def incremental_writer(reader):
    """pyHanko's IncrementalPdfFileWriter over `reader`, also for files whose /Encrypt dictionary is a
    direct object in the trailer (PyMuPDF writes it that way).

    pyHanko 0.x assumes an indirect /Encrypt when it encrypts the new objects (`_encrypt.idnum`, to
    leave the /Encrypt object itself unencrypted) and fails with AttributeError on a direct one. A
    direct dictionary has no object to leave out, so it gets an `idnum` that matches no object.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter.from_reader(reader)
    encrypt = getattr(writer, "_encrypt", None)
    if isinstance(encrypt, generic.DictionaryObject) and not hasattr(encrypt, "idnum"):
        writer._encrypt = _DirectEncryptDictionary(encrypt)
    return writer


def _direct_encrypt_class():
    from pyhanko.pdf_utils import generic

    class DirectEncryptDictionary(generic.DictionaryObject):
        """A direct /Encrypt dictionary, written in the trailer as it was; matches no object number."""

        idnum = -1

    return DirectEncryptDictionary


def _DirectEncryptDictionary(value):  # noqa: N802 - a class made on first use (pyHanko is imported lazily)
    global _DIRECT_ENCRYPT
    if _DIRECT_ENCRYPT is None:
        _DIRECT_ENCRYPT = _direct_encrypt_class()
    return _DIRECT_ENCRYPT(value)


_DIRECT_ENCRYPT = None

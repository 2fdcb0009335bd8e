"""What the front ends' commands show, as data: seal rows, signature files, file batches, status words.

The CLI prints these (text or JSON) and the GUI can show them; the `Application` methods that produce them
live in application.py. Statuses are enums, warnings and errors stay objects, and every word is translated at
display time (`translate(context, text)`). Imported only by the commands that need it, so `sealdesk tokens`
does not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from .application import CONTEXT, CertificateInfo, _certificate_info
from .certs import EXPIRY_WARNING_DAYS, key_family, summarize
from .clock import Clock, utc_now
from .errors import DocumentNotFound, FileNotFound, FileRejected, FileUnreadable, SealDeskError
from .i18n_marks import QT_TRANSLATE_NOOP
from .policy import PolicyWarning

if TYPE_CHECKING:
    from .stamping import StampOptions, StampRequest, StampResult


def signer_text(sig) -> str:
    """The signer of a verified signature as `seals` shows certificates (C=…, O=…, CN=…), else the
    validator's subject (a certificate asn1crypto cannot read)."""
    from .errors import CertificateInvalid

    try:
        return summarize(sig.signer_cert).subject if sig.signer_cert else sig.signer_subject
    except CertificateInvalid:
        return sig.signer_subject


# --- seals -----------------------------------------------------------------------------------------
class SealStatus(StrEnum):
    """A seal's check result (SealCheck.status, plus what verification adds)."""

    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    INVALID = "invalid"
    NOT_BOUND = "not_bound"
    UNTRUSTED_MAKER = "untrusted_maker"
    PICTURE_MISMATCH = "picture_mismatch"


SEAL_STATUS_TEXT = {
    SealStatus.VALID: QT_TRANSLATE_NOOP("app", "valid"),
    SealStatus.EXPIRED: QT_TRANSLATE_NOOP("app", "expired"),
    SealStatus.NOT_YET_VALID: QT_TRANSLATE_NOOP("app", "not yet valid"),
    SealStatus.INVALID: QT_TRANSLATE_NOOP("app", "INVALID"),
    SealStatus.NOT_BOUND: QT_TRANSLATE_NOOP("app", "not bound to this certificate"),
    SealStatus.UNTRUSTED_MAKER: QT_TRANSLATE_NOOP("app", "made by an untrusted seal maker"),
    SealStatus.PICTURE_MISMATCH: QT_TRANSLATE_NOOP("app", "INVALID: the picture does not match the seal"),
}


def seal_status_text(status: str | None, translate: Callable[[str, str], str]) -> str:
    """A seal status in words ("-" when there is none, the value itself when unknown)."""
    text = SEAL_STATUS_TEXT.get(status or "")  # type: ignore[call-overload]
    return translate(CONTEXT, text) if text else (status or "-")


@dataclass(frozen=True)
class SealRow:
    """A seal with its check and the certificate it binds: one entry of `sealdesk seals`."""

    seal_id: str
    name: str
    version: int
    kind: str
    kind_name: str
    """English source, context "seal-kinds"."""
    type: int
    picture_type: str
    picture_size_mm: tuple[float, float]
    valid_from: datetime
    valid_to: datetime
    maker: str
    status: SealStatus
    problems: tuple[SealDeskError, ...]
    expiring_soon: bool
    certificate: CertificateInfo | None

    @property
    def valid(self) -> bool:
        return self.status == SealStatus.VALID

    def to_json(self, translate: Callable[[str, str], str]) -> dict:
        """The JSON of `sealdesk seals --json` (a stable shape scripts read)."""
        width, height = self.picture_size_mm
        row: dict = {
            "seal_id": self.seal_id,
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "kind_name": translate("seal-kinds", self.kind_name),
            "type": self.type,
            "picture": {"type": self.picture_type, "width_mm": width, "height_mm": height},
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat(),
            "maker": self.maker,
            "verification": str(self.status),
            "problems": [p.user_message(translate) for p in self.problems],
            "expiring_soon": self.expiring_soon,
        }
        cert = self.certificate
        if cert is not None:
            row["certificate"] = {
                "subject": cert.subject,
                "serial": cert.serial_hex,
                "issuer": cert.issuer,
                "valid_from": cert.not_before.isoformat(),
                "valid_to": cert.not_after.isoformat(),
                "algorithm": cert.algorithm,
                "key_type": key_family(cert.algorithm),
                "days_to_expiry": cert.days_to_expiry,
                "expiring_soon": cert.expiring_soon,
            }
        return row


def seal_row(seal, check, cert_der: bytes | None, clock: Clock = utc_now) -> SealRow:
    """The row of a parsed seal (app.core.ses.Seal) with its SealCheck and the DER of the bound certificate."""
    return SealRow(
        seal_id=seal.es_id,
        name=seal.name,
        version=seal.version,
        kind=seal.kind.category.value,
        kind_name=seal.kind.name,
        type=seal.type,
        picture_type=seal.picture.type,
        picture_size_mm=(seal.picture.width_mm, seal.picture.height_mm),
        valid_from=seal.valid_start,
        valid_to=seal.valid_end,
        maker=summarize(seal.maker_cert).subject,
        status=SealStatus(check.status),
        problems=tuple(check.problems),
        expiring_soon=0 <= (seal.valid_end - clock()).days < EXPIRY_WARNING_DAYS,
        certificate=_certificate_info(b"", cert_der, clock) if cert_der else None,
    )


@dataclass(frozen=True)
class SealListing:
    rows: tuple[SealRow, ...]
    unreadable: tuple[tuple[str, SealDeskError], ...]
    """(label, error) of seal objects on the key that cannot be read."""
    imported: str | None = None
    """The name of the seal just imported onto the key."""


@dataclass(frozen=True)
class SealFile:
    """A seal file the user named, read and parsed before any PIN is asked."""

    path: str
    data: bytes = field(repr=False)


def read_user_file(path: str | Path) -> bytes:
    """The bytes of a file the user named; FileNotFound / FileUnreadable (with the OS's reason) otherwise."""
    from .errors import os_reason

    try:
        return Path(path).expanduser().read_bytes()
    except FileNotFoundError as exc:
        raise FileNotFound(str(exc), path=str(path)) from exc
    except OSError as exc:
        raise FileUnreadable(str(exc), path=str(path), reason=os_reason(exc)) from exc


def load_seal_file(path: str | Path) -> SealFile:
    """Read and parse a seal file to import (a missing or damaged file must not cost a PIN entry)."""
    from .ses import parse_seal

    data = read_user_file(path)
    try:
        parse_seal(data)
    except SealDeskError as exc:
        raise FileRejected(str(path), exc) from exc
    return SealFile(str(path), data)


@dataclass(frozen=True)
class SesSignatureView:
    """An electronic signature file (SES_Signature) as `seals --file` shows it."""

    version: int
    signed_at: datetime
    signed_item: str
    data_hash: bytes
    signer: str
    seal_id: str
    seal_name: str
    signature_valid: bool
    seal_status: SealStatus
    problems: tuple[SealDeskError, ...]
    data_matches: bool | None = None
    """Whether dataHash is the digest of the document given with `--data` (None: none given)."""

    @property
    def ok(self) -> bool:
        return self.signature_valid and not self.problems

    def to_json(self, translate: Callable[[str, str], str]) -> dict:
        return {
            "kind": "ses_signature",
            "version": self.version,
            "signed_at": self.signed_at.isoformat(),
            "signed_item": self.signed_item,
            "data_hash": self.data_hash.hex(),
            "signer": self.signer,
            "seal_id": self.seal_id,
            "seal_name": self.seal_name,
            "signature_valid": self.signature_valid,
            "seal_verification": str(self.seal_status),
            "problems": [p.user_message(translate) for p in self.problems],
            "data_matches": self.data_matches,
        }


def inspect_seal_file(
    path: str | Path, clock: Clock = utc_now, signed_data: bytes | None = None
) -> SealRow | SesSignatureView:
    """`seals --file`: a seal file verified as of `clock`, or — when the file is an electronic signature made
    with a seal — that signature and its check (against the signed document's bytes `signed_data` when given).
    Anything else is FileRejected with the seal's problem."""
    from .errors import CertificateInvalid
    from .ses import parse_seal, parse_ses_signature, verify_seal, verify_ses_signature

    data = read_user_file(path)
    try:
        seal = parse_seal(data)
    except SealDeskError as exc:
        try:
            signature = parse_ses_signature(data)
        except SealDeskError:
            raise FileRejected(str(path), exc) from exc
        check = verify_ses_signature(signature, data=signed_data, clock=clock)
        try:
            signer = summarize(signature.cert).subject
        except CertificateInvalid:
            signer = "-"
        return SesSignatureView(
            version=signature.version,
            signed_at=signature.time_info,
            signed_item=signature.property_info,
            data_hash=signature.data_hash,
            signer=signer,
            seal_id=signature.seal.es_id,
            seal_name=signature.seal.name,
            signature_valid=check.signature_ok,
            seal_status=SealStatus(check.seal_check.status),
            problems=tuple(check.problems),
            data_matches=check.data_hash_ok,
        )
    cert = seal.certs[0] if seal.certs else None
    return seal_row(seal, verify_seal(seal, clock=clock), cert, clock)


# --- file batches (the CLI's `stamp`: files, a seal by id or name, one PIN) -----------------------------
NO_PDF_FILES = QT_TRANSLATE_NOOP("errors", "no PDF files given")


def collect_pdf_inputs(paths: Sequence[str | Path]) -> list[Path]:
    """The documents named: files as given, folders' PDFs (not their signed copies), in name order. Every
    one must exist (a typo should not cost a PIN entry)."""
    from .errors import InvalidArgument

    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                p for p in sorted(path.iterdir()) if p.suffix.lower() in (".pdf", ".ofd") and ".signed" not in p.name
            )
        else:
            files.append(path)
    if not files:
        raise InvalidArgument(what=NO_PDF_FILES)
    for path in files:
        if not path.is_file():
            raise DocumentNotFound(str(path), name=str(path))
    return files


@dataclass(frozen=True)
class FileBatch:
    """Stamp requests checked before the PIN; `refused` maps 1-based numbers to why they are not stamped
    (AlreadyStamped for a skip)."""

    requests: tuple[StampRequest, ...]
    refused: dict[int, SealDeskError]
    options: StampOptions
    seal_query: str
    again: bool

    def refused_lines(self) -> list[BatchLine]:
        """The lines of the documents refused or skipped before the PIN, in order."""
        from .stamping import BatchItem

        return [batch_line(n, BatchItem(self.requests[n - 1], None, e)) for n, e in sorted(self.refused.items())]

    @property
    def to_stamp(self) -> bool:
        """Whether any document is left to stamp (else no key and no PIN are needed)."""
        return len(self.refused) < len(self.requests)


class BatchStatus(StrEnum):
    SIGNED = "signed"
    SKIPPED = "skipped"
    """Already stamped by this seal (not a failure)."""
    FAILED = "failed"


@dataclass(frozen=True)
class BatchLine:
    """One document of a file batch: its number, status and result or error."""

    number: int
    request: StampRequest
    status: BatchStatus
    result: StampResult | None
    error: SealDeskError | None

    @property
    def warnings(self) -> tuple[PolicyWarning, ...]:
        return tuple(self.result.warnings) if self.result is not None else ()


def batch_line(number: int, item) -> BatchLine:
    """The line of a stamping.BatchItem numbered `number` in its batch."""
    status = BatchStatus.SKIPPED if item.skipped else BatchStatus.FAILED if item.failed else BatchStatus.SIGNED
    return BatchLine(number, item.request, status, item.result, item.error)


# --- trust store and usage log without an Application (no settings needed: a damaged settings.json must
# --- not stop `trust` or `log`) ---------------------------------------------------------------------------
def trust_root_file(path: str | Path, clock: Clock = utc_now) -> list:
    """`trust add`: store the root(s) in the file; a missing or unreadable file is said as such, any other
    refusal (not a CA, damaged) is FileRejected with the file's name. Returns the added CertSummary list."""
    from . import truststore

    read_user_file(path)  # said as such, before anything else
    try:
        return truststore.add_root(Path(path).expanduser(), clock=clock)
    except SealDeskError as exc:
        raise FileRejected(str(path), exc) from exc


def usage_records() -> list:
    """`log`: every record of the local usage log, oldest first (UsageRecord)."""
    from .usage.log import UsageLog

    log = UsageLog()
    try:
        return log.records()
    finally:
        log.close()

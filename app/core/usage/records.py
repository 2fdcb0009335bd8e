"""Usage records (用印登记) as values, their canonical encoding, and record-level verification.

The canonical encoding is what the record hash and the record signature cover, so a server written in any
language must be able to rebuild it byte for byte from the uploaded JSON. That is why the JSON form holds
no floating-point numbers (millimetres travel as fixed 3-decimal strings) and every key is ASCII: with those
two rules, `json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)` encoded as UTF-8 is exactly
RFC 8785 (JSON Canonicalization Scheme) output. The full rules are in docs/usage-log.md.

This module has no SQLite in it: the city system simulator can reuse it to verify uploaded records.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

FORMAT = "sealdesk-usage-record/1"
"""Value of the `format` key in every record's JSON; part of the signed bytes."""

GENESIS_HASH = "0" * 64
"""`prev_hash` of a holder's first record (seq 1)."""

OUTCOME_SIGNED = "signed"
OUTCOME_VOID = "void"
OUTCOMES = (OUTCOME_SIGNED, OUTCOME_VOID)

UNSIGNED_KEYS = ("record_hash", "signature")
"""Keys of the JSON form that the canonical bytes leave out (they are computed from the rest)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_SAFE_INT = 2**53 - 1


class RecordFormatError(ValueError):
    """A record (or its JSON) breaks the format rules; the message names the field."""


# --- values ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Placement:
    """Where one seal picture went: a box on a page, in millimetres from the visible page's top-left.

    Values are rounded to 0.001 mm on construction: that is the precision the canonical encoding keeps,
    so a record read back from its JSON equals the record that was signed.
    """

    page: int
    """1-based page number."""
    x_mm: float
    """Left edge of the box, from the visible page's left edge."""
    y_mm: float
    """Top edge of the box, from the visible page's top edge."""
    width_mm: float
    height_mm: float

    def __post_init__(self) -> None:
        if isinstance(self.page, bool) or not isinstance(self.page, int) or self.page < 1:
            raise RecordFormatError(f"placement page must be an integer >= 1, got {self.page!r}")
        for name in ("x_mm", "y_mm", "width_mm", "height_mm"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise RecordFormatError(f"placement {name} must be a finite number, got {value!r}")
            rounded = round(float(value), 3) + 0.0  # + 0.0 turns -0.0 into 0.0
            if abs(rounded) >= 1e9:
                raise RecordFormatError(f"placement {name} is out of range: {value!r}")
            object.__setattr__(self, name, rounded)
        if self.width_mm <= 0 or self.height_mm <= 0:
            raise RecordFormatError("placement width and height must be greater than 0 mm")

    def to_json(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "x_mm": _mm_text(self.x_mm),
            "y_mm": _mm_text(self.y_mm),
            "width_mm": _mm_text(self.width_mm),
            "height_mm": _mm_text(self.height_mm),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Placement:
        if not isinstance(d, Mapping) or set(d) != {"page", "x_mm", "y_mm", "width_mm", "height_mm"}:
            raise RecordFormatError(f"placement must have exactly page, x_mm, y_mm, width_mm, height_mm: {d!r}")
        values = {}
        for name in ("x_mm", "y_mm", "width_mm", "height_mm"):
            text = d[name]
            if not isinstance(text, str) or not re.fullmatch(r"-?\d+\.\d{3}", text):
                raise RecordFormatError(f"placement {name} must be a decimal string with 3 decimals: {text!r}")
            values[name] = float(text)
        placement = cls(page=d["page"], **values)
        if placement.to_json() != dict(d):
            raise RecordFormatError(f"placement is not in canonical form: {dict(d)!r}")
        return placement


def _mm_text(value: float) -> str:
    return f"{value:.3f}"


@dataclass(frozen=True)
class NewRecord:
    """What the stamping path supplies for one stamping; the log adds identity, time, chain and signature."""

    holder: str
    """Holder identity chosen by the caller, e.g. "<token serial>:<signing cert serial hex>"."""
    seal_id: str
    seal_name: str
    seal_kind: str
    cert_serial: str
    """Serial number of the signing certificate, hexadecimal (case and ':' separators are ignored)."""
    cert_issuer: str
    """Issuer of the signing certificate as text (e.g. RFC 4514)."""
    document_name: str
    document_sha256: str
    """Lower-case hex SHA-256 of the signed output file."""
    document_sm3: str
    """Lower-case hex SM3 of the signed output file."""
    page_count: int
    placements: tuple[Placement, ...]
    approval_ref: str | None = None
    """Approval reference (用印审批号); required by policy for official seals, not by the log."""
    purpose: str | None = None


@dataclass(frozen=True)
class UsageRecord:
    """One stamping (or the voiding of one), as stored, uploaded and signed."""

    record_id: str
    """Random UUID (canonical lower-case text form); the upload is idempotent by it."""
    seq: int
    """Per-holder sequence number: 1, 2, 3 … without gaps."""
    prev_hash: str
    """`record_hash` of the same holder's previous record; GENESIS_HASH for seq 1."""
    stamped_at: str
    """UTC time, ISO 8601 with milliseconds and "Z", e.g. 2026-11-25T18:18:51.123Z."""
    holder: str
    seal_id: str
    seal_name: str
    seal_kind: str
    cert_serial: str
    cert_issuer: str
    document_name: str
    document_sha256: str
    document_sm3: str
    page_count: int
    placements: tuple[Placement, ...]
    approval_ref: str | None
    purpose: str | None
    """For a "void" record: the reason it was voided."""
    client_host: str
    client_version: str
    outcome: str
    """"signed", or "void" when the output file never appeared (see `refers_to`)."""
    refers_to: str | None
    """For "void" records: the record_id of the record voided; None otherwise."""
    signer_cert_sha256: str
    """Lower-case hex SHA-256 of the DER certificate whose key made `signature`."""
    record_hash: str = field(default="")
    """Lower-case hex SHA-256 of `canonical_bytes()`."""
    signature: str = field(default="")
    """Base64 signature over the SHA-256 digest of `canonical_bytes()` (ECDSA: DER Ecdsa-Sig-Value)."""

    def canonical_bytes(self) -> bytes:
        """The bytes the hash and signature cover: canonical JSON of every key except UNSIGNED_KEYS."""
        body = self.to_json()
        for key in UNSIGNED_KEYS:
            del body[key]
        return canonical_json(body)

    def computed_hash(self) -> str:
        """SHA-256 (hex) of the canonical bytes: what `record_hash` must be."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"format": FORMAT}
        for f in fields(self):
            value = getattr(self, f.name)
            d[f.name] = [p.to_json() for p in value] if f.name == "placements" else value
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> UsageRecord:
        """Parse and validate the JSON form (does not check hash or signature: see `check_record`)."""
        if not isinstance(d, Mapping):
            raise RecordFormatError("a record must be a JSON object")
        expected = {f.name for f in fields(cls)} | {"format"}
        if set(d) != expected:
            missing = sorted(expected - set(d))
            extra = sorted(set(d) - expected)
            raise RecordFormatError(f"record keys differ from the format: missing {missing}, unexpected {extra}")
        if d["format"] != FORMAT:
            raise RecordFormatError(f"unsupported record format {d['format']!r} (expected {FORMAT!r})")
        placements = d["placements"]
        if not isinstance(placements, list):
            raise RecordFormatError("placements must be a list")
        values = {name: d[name] for name in expected - {"format", "placements"}}
        record = cls(placements=tuple(Placement.from_json(p) for p in placements), **values)
        validate(record)
        return record


# --- canonical JSON -------------------------------------------------------------------------------
def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON for SealDesk's records: sorted ASCII keys, no whitespace, UTF-8.

    Only objects with ASCII keys, lists, strings, integers within ±(2**53-1), booleans and null are allowed
    (no floats), which is what makes Python's json output identical to RFC 8785.
    """
    _check_canonical_value(value, "$")
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except (UnicodeEncodeError, ValueError) as exc:
        raise RecordFormatError(f"record cannot be encoded canonically: {exc}") from exc


def _check_canonical_value(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > _MAX_SAFE_INT:
            raise RecordFormatError(f"{where}: integer out of the interoperable range")
        return
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RecordFormatError(f"{where}: string is not valid Unicode (lone surrogate)") from exc
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_canonical_value(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise RecordFormatError(f"{where}: object keys must be ASCII strings, got {key!r}")
            _check_canonical_value(item, f"{where}.{key}")
        return
    raise RecordFormatError(f"{where}: {type(value).__name__} values are not allowed in a record")


# --- validation -----------------------------------------------------------------------------------
def format_timestamp(moment: datetime) -> str:
    """`stamped_at` text for a moment: UTC, milliseconds, "Z" (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def validate(record: UsageRecord) -> None:
    """Raise RecordFormatError if a field breaks the format (types, hex forms, outcome rules)."""
    for name in (
        "record_id", "prev_hash", "stamped_at", "holder", "seal_id", "seal_name", "seal_kind", "cert_serial",
        "cert_issuer", "document_name", "document_sha256", "document_sm3", "client_host", "client_version",
        "outcome", "signer_cert_sha256", "record_hash", "signature",
    ):  # fmt: skip
        if not isinstance(getattr(record, name), str):
            raise RecordFormatError(f"{name} must be a string")
    for name in ("approval_ref", "purpose", "refers_to"):
        if getattr(record, name) is not None and not isinstance(getattr(record, name), str):
            raise RecordFormatError(f"{name} must be a string or null")
    for name in ("holder", "seal_id", "cert_serial", "document_name"):
        if not getattr(record, name).strip():
            raise RecordFormatError(f"{name} must not be empty")
    try:
        if str(uuid.UUID(record.record_id)) != record.record_id:
            raise ValueError
    except ValueError:
        raise RecordFormatError(f"record_id is not a lower-case UUID: {record.record_id!r}") from None
    for name in ("seq", "page_count"):
        value = getattr(record, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value > _MAX_SAFE_INT:
            raise RecordFormatError(f"{name} must be a positive integer, got {value!r}")
    for name in ("prev_hash", "document_sha256", "document_sm3", "signer_cert_sha256"):
        if not _HEX64.fullmatch(getattr(record, name)):
            raise RecordFormatError(f"{name} must be 64 lower-case hex digits")
    if record.record_hash and not _HEX64.fullmatch(record.record_hash):
        raise RecordFormatError("record_hash must be 64 lower-case hex digits")
    try:
        parsed = datetime.fromisoformat(record.stamped_at.replace("Z", "+00:00"))
    except ValueError:
        raise RecordFormatError(f"stamped_at is not an ISO 8601 time: {record.stamped_at!r}") from None
    if format_timestamp(parsed) != record.stamped_at:
        raise RecordFormatError(f"stamped_at must be UTC with milliseconds and Z: {record.stamped_at!r}")
    if not isinstance(record.placements, tuple) or not all(isinstance(p, Placement) for p in record.placements):
        raise RecordFormatError("placements must be a tuple of Placement")
    for placement in record.placements:
        if placement.page > record.page_count:
            raise RecordFormatError(f"placement page {placement.page} exceeds page_count {record.page_count}")
    if record.outcome not in OUTCOMES:
        raise RecordFormatError(f"outcome must be one of {OUTCOMES}, got {record.outcome!r}")
    if record.outcome == OUTCOME_VOID:
        if record.refers_to is None:
            raise RecordFormatError("a void record must name the record it voids (refers_to)")
        try:
            uuid.UUID(record.refers_to)
        except ValueError:
            raise RecordFormatError("refers_to is not a UUID") from None
    elif record.refers_to is not None:
        raise RecordFormatError("only void records may refer to another record")
    if record.seq == 1 and record.prev_hash != GENESIS_HASH:
        raise RecordFormatError("the first record of a holder must have the genesis prev_hash")
    if record.signature:
        try:
            base64.b64decode(record.signature, validate=True)
        except (binascii.Error, ValueError):
            raise RecordFormatError("signature is not valid base64") from None


# --- signatures -----------------------------------------------------------------------------------
UNSUPPORTED_PREFIX = "unsupported"


def normalize_ecdsa_signature(signature: bytes, curve_bits: int) -> bytes:
    """PKCS#11 tokens return ECDSA signatures as raw r‖s; records store DER. DER input is kept as is."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

    size = (curve_bits + 7) // 8
    try:
        r, s = decode_dss_signature(signature)
        if encode_dss_signature(r, s) == signature:
            return signature
    except ValueError:
        pass
    if len(signature) == 2 * size:
        return encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
    raise RecordFormatError("ECDSA signature is neither DER nor raw r||s of the curve size")


def signature_problem(record: UsageRecord, certificate_der: bytes) -> str | None:
    """Why `record.signature` is not a valid signature by `certificate_der`'s key, or None if it is.

    Returns a text starting with UNSUPPORTED_PREFIX when the key type cannot be checked (neither RSA, EC nor SM2).
    """
    from cryptography import x509

    if hashlib.sha256(certificate_der).hexdigest() != record.signer_cert_sha256:
        return "the stored signer certificate does not match signer_cert_sha256"
    try:
        cert = x509.load_der_x509_certificate(certificate_der)
    except ValueError as exc:
        return f"the signer certificate cannot be read ({exc})"
    if not _same_serial(record.cert_serial, cert.serial_number):
        return (
            f"the signer certificate (serial {cert.serial_number:X}) is not the record's certificate "
            f"(cert_serial {record.cert_serial})"
        )
    try:
        signature = base64.b64decode(record.signature, validate=True)
    except (binascii.Error, ValueError):
        return "the signature is not valid base64"
    return message_signature_problem(certificate_der, record.canonical_bytes(), signature)


def message_signature_problem(certificate_der: bytes, message: bytes, signature: bytes) -> str | None:
    """Why `signature` is not `certificate_der`'s key's signature over `message`, or None if it is.

    The one check for everything a holder's key signs outside documents (usage records, the city system's
    registration challenge), so client and city server agree. RSA: PKCS#1 v1.5 or PSS (MGF1-SHA256, any
    salt length) over SHA-256; ECDSA: DER over SHA-256; SM2: DER (r, s) over the message itself, with SM3 and
    Z from the certificate's key and the default ID 1234567812345678 (GB/T 35276). Returns a text starting
    with UNSUPPORTED_PREFIX when the key type cannot be checked.
    """
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

    from .. import gm

    try:
        cert = x509.load_der_x509_certificate(certificate_der)
    except ValueError as exc:
        return f"the signer certificate cannot be read ({exc})"
    if gm.is_sm2_certificate(certificate_der):
        try:
            point = gm.sm2_public_point_from_cert(certificate_der)
        except ValueError as exc:
            return f"the signer certificate's SM2 key cannot be read ({exc})"
        if gm.sm2_verify(point, message, signature):
            return None
        return "the signature does not verify with the signer certificate"
    try:
        key = cert.public_key()
    except (UnsupportedAlgorithm, ValueError) as exc:
        return f"{UNSUPPORTED_PREFIX}: the signer certificate's key type cannot be checked ({exc})"
    digest = hashlib.sha256(message).digest()
    prehashed = utils.Prehashed(hashes.SHA256())
    try:
        if isinstance(key, rsa.RSAPublicKey):
            try:
                key.verify(signature, digest, padding.PKCS1v15(), prehashed)
            except InvalidSignature:
                pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
                key.verify(signature, digest, pss, prehashed)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, digest, ec.ECDSA(prehashed))
        else:
            return f"{UNSUPPORTED_PREFIX}: signer key type {type(key).__name__} cannot be checked yet"
    except InvalidSignature:
        return "the signature does not verify with the signer certificate"
    except (ValueError, UnsupportedAlgorithm) as exc:
        return f"the signature cannot be checked ({exc})"
    return None


def _same_serial(text: str, serial: int) -> bool:
    cleaned = text.strip().lower().replace(":", "").replace(" ", "").removeprefix("0x")
    try:
        return int(cleaned, 16) == serial
    except ValueError:
        return False


def describe(record: UsageRecord) -> str:
    """How problems name a record: its holder, seq and id."""
    return f"record {record.record_id} (holder {record.holder!r}, seq {record.seq})"


def check_chain(
    records: Iterable[UsageRecord],
    certificate_for: Callable[[str], bytes | None],
    *,
    first_seq: int = 1,
    first_prev_hash: str = GENESIS_HASH,
) -> tuple[int, list[str]]:
    """Check one holder's records in seq order: format, gap-free seq, hashes, prev_hash links, signatures.

    `certificate_for(signer_cert_sha256)` gives the DER certificate or None. A server checking a batch that
    continues an earlier one passes the next expected seq and the last known record_hash. Returns
    (records checked, problems) where each problem names the record.
    """
    problems: list[str] = []
    ordered = sorted(records, key=lambda r: r.seq)
    expected_seq, prev_hash = first_seq, first_prev_hash
    seen_ids: dict[str, UsageRecord] = {}
    voided: set[str] = set()
    holder_cert: str | None = None
    for record in ordered:
        name = describe(record)
        try:
            validate(record)
        except RecordFormatError as exc:
            problems.append(f"{name}: malformed: {exc}")
        if record.seq > expected_seq:
            missing = f"{expected_seq}" if record.seq == expected_seq + 1 else f"{expected_seq}–{record.seq - 1}"
            problems.append(f"{name}: seq {missing} missing before it (deleted records?)")
        elif record.seq < expected_seq:
            problems.append(f"{name}: duplicate seq {record.seq}")
        if record.prev_hash != prev_hash:
            problems.append(f"{name}: prev_hash does not match the previous record's hash (chain broken)")
        try:
            computed = record.computed_hash()
        except RecordFormatError as exc:
            computed = None
            problems.append(f"{name}: cannot be encoded canonically: {exc}")
        if computed is not None and computed != record.record_hash:
            problems.append(f"{name}: record_hash does not match its content (edited record)")
        if holder_cert is None:
            holder_cert = record.signer_cert_sha256
        elif record.signer_cert_sha256 != holder_cert:
            # one holder = one signing certificate; a record signed by another key was re-signed or forged
            problems.append(f"{name}: signed with certificate {record.signer_cert_sha256}, not the holder's {holder_cert}")
        certificate = certificate_for(record.signer_cert_sha256)
        if certificate is None:
            problems.append(f"{name}: signer certificate {record.signer_cert_sha256} is not known")
        else:
            problem = signature_problem(record, certificate) if computed is not None else None
            if problem is not None:
                if problem.startswith(UNSUPPORTED_PREFIX):
                    problems.append(f"{name}: signature not checked: {problem}")
                else:
                    problems.append(f"{name}: bad signature: {problem}")
        if record.outcome == OUTCOME_VOID and record.refers_to is not None:
            target = seen_ids.get(record.refers_to)
            if target is None:
                problems.append(f"{name}: voids record {record.refers_to}, which is not an earlier record of this holder")
            elif target.outcome != OUTCOME_SIGNED:
                problems.append(f"{name}: voids record {record.refers_to}, which is not a signed record")
            elif record.refers_to in voided:
                problems.append(f"{name}: voids record {record.refers_to} a second time")
            voided.add(record.refers_to)
        seen_ids[record.record_id] = record
        expected_seq = max(expected_seq, record.seq + 1)
        prev_hash = record.record_hash
    return len(ordered), problems


def records_by_holder(records: Sequence[UsageRecord]) -> dict[str, list[UsageRecord]]:
    groups: dict[str, list[UsageRecord]] = {}
    for record in records:
        groups.setdefault(record.holder, []).append(record)
    return groups

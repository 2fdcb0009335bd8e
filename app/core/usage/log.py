"""The local usage log: one signed, hash-chained record per stamping, in a SQLite file (WAL mode).

The stamping path appends a record *before* it renames the signed output into place, so a document can
never exist without its record; if the rename then fails, it appends a "void" record that refers to the
first one (records are never updated or deleted). Each holder's records form a gap-free, hash-chained
sequence signed by the holder's key, so a deleted or edited record is evident here and at the city system.
The encoding is specified in docs/usage-log.md and implemented in `records.py`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import sqlite3
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..clock import Clock, utc_now
from ..errors import (
    InvalidArgument,
    SealDeskError,
    UsageLogCorrupt,
    UsageLogError,
    UsageLogUnreadable,
    UsageRecordUnreadable,
)
from ..i18n_marks import QT_TRANSLATE_NOOP
from ..paths import create_private_file
from ..signer import DigestSigner
from .records import (
    GENESIS_HASH,
    OUTCOME_SIGNED,
    OUTCOME_VOID,
    UNSUPPORTED_PREFIX,
    NewRecord,
    Placement,
    RecordFormatError,
    UsageRecord,
    canonical_json,
    check_chain,
    describe,
    format_timestamp,
    normalize_ecdsa_signature,
    records_by_holder,
    signature_problem,
    validate,
)

SCHEMA_VERSION = 1
DEFAULT_FILE_NAME = "usage.sqlite3"
BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another writer (another thread or SealDesk process) to finish."""

_COLUMNS = (
    "record_id", "seq", "prev_hash", "stamped_at", "holder", "seal_id", "seal_name", "seal_kind", "cert_serial",
    "cert_issuer", "document_name", "document_sha256", "document_sm3", "page_count", "placements", "approval_ref",
    "purpose", "client_host", "client_version", "outcome", "refers_to", "signer_cert_sha256", "record_hash",
    "signature",
)  # fmt: skip

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id                 INTEGER PRIMARY KEY,  -- write order
    record_id          TEXT NOT NULL UNIQUE,
    seq                INTEGER NOT NULL,
    prev_hash          TEXT NOT NULL,
    stamped_at         TEXT NOT NULL,
    holder             TEXT NOT NULL,
    seal_id            TEXT NOT NULL,
    seal_name          TEXT NOT NULL,
    seal_kind          TEXT NOT NULL,
    cert_serial        TEXT NOT NULL,
    cert_issuer        TEXT NOT NULL,
    document_name      TEXT NOT NULL,
    document_sha256    TEXT NOT NULL,
    document_sm3       TEXT NOT NULL,
    page_count         INTEGER NOT NULL,
    placements         TEXT NOT NULL,        -- canonical JSON list, as in the record's JSON form
    approval_ref       TEXT,
    purpose            TEXT,
    client_host        TEXT NOT NULL,
    client_version     TEXT NOT NULL,
    outcome            TEXT NOT NULL,
    refers_to          TEXT,
    signer_cert_sha256 TEXT NOT NULL,
    record_hash        TEXT NOT NULL,
    signature          TEXT NOT NULL,
    UNIQUE (holder, seq)
);
CREATE TABLE IF NOT EXISTS certificates (
    sha256 TEXT PRIMARY KEY,                 -- lower-case hex SHA-256 of der
    der    BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS records_append_only_update BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'usage records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_append_only_delete BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'usage records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS certificates_append_only_update BEFORE UPDATE ON certificates
BEGIN SELECT RAISE(ABORT, 'usage log certificates are append-only'); END;
CREATE TRIGGER IF NOT EXISTS certificates_append_only_delete BEFORE DELETE ON certificates
BEGIN SELECT RAISE(ABORT, 'usage log certificates are append-only'); END;
"""


class LogProblem(str):
    """One problem `verify` found: reads as its English description (it is a str, as before), and
    `text(translate)` says it in the user's language. Every detail the chain check reports has a template
    here; one without (a future check) is shown as it is."""

    template: str
    params: dict[str, str]

    def __new__(cls, english: str) -> LogProblem:
        problem = super().__new__(cls, english)
        problem.template, problem.params = _problem_template(english)
        return problem

    def text(self, translate) -> str:
        """The problem translated by `translate(context, source_text)`."""
        if not self.template:
            return str(self)
        params = dict(self.params)
        inner = translate(PROBLEM_CONTEXT, self.template)
        try:
            params["problem"] = inner.format(**params)
            return translate(PROBLEM_CONTEXT, _RECORD_PROBLEM).format(**params)
        except (KeyError, IndexError, ValueError):
            return str(self)


PROBLEM_CONTEXT = "usage-log"
_RECORD_PROBLEM = QT_TRANSLATE_NOOP("usage-log", "Record {record_id} (holder {holder}, number {seq}): {problem}.")
_RECORD_PREFIX = re.compile(r"^record (?P<record_id>\S+) \(holder (?P<holder>.*), seq (?P<seq>[^()]*?)\): (?P<rest>.*)$", re.S)
_PROBLEM_TEMPLATES = [
    (r"malformed: .*", QT_TRANSLATE_NOOP("usage-log", "its fields are damaged or not in the record format")),
    (r"unreadable: .*", QT_TRANSLATE_NOOP("usage-log", "it cannot be read (a field is damaged)")),
    (r"seq (?P<missing>\S+) missing before it \(deleted records\?\)",
     QT_TRANSLATE_NOOP("usage-log", "record number {missing} is missing before it (deleted records?)")),
    (r"duplicate seq (?P<number>\S+)", QT_TRANSLATE_NOOP("usage-log", "the number {number} appears twice")),
    (r"prev_hash does not match .*",
     QT_TRANSLATE_NOOP("usage-log", "it does not link to the previous record (the chain is broken)")),
    (r"cannot be encoded canonically: .*", QT_TRANSLATE_NOOP("usage-log", "its content cannot be encoded canonically")),
    (r"record_hash does not match its content.*",
     QT_TRANSLATE_NOOP("usage-log", "its content does not match its hash (the record was edited)")),
    (r"signed with certificate (?P<cert>\S+), not the holder's (?P<holder_cert>\S+)",
     QT_TRANSLATE_NOOP("usage-log", "it was signed with certificate {cert}, not with the holder's certificate {holder_cert}")),
    (r"signer certificate (?P<cert>\S+) is not known",
     QT_TRANSLATE_NOOP("usage-log", "its signer certificate {cert} is not in the log")),
    (r"signature not checked: .*",
     QT_TRANSLATE_NOOP("usage-log", "its signature could not be checked (this key type is not supported yet)")),
    (r"bad signature: .*", QT_TRANSLATE_NOOP("usage-log", "its signature is not valid")),
    (r"voids record (?P<target>\S+), which is not an earlier record of this holder",
     QT_TRANSLATE_NOOP("usage-log", "it voids record {target}, which is not an earlier record of this holder")),
    (r"voids record (?P<target>\S+), which is not a signed record",
     QT_TRANSLATE_NOOP("usage-log", "it voids record {target}, which is not a signed record")),
    (r"voids record (?P<target>\S+) a second time", QT_TRANSLATE_NOOP("usage-log", "it voids record {target} a second time")),
]  # fmt: skip
"""The chain check's English details (records.check_chain, `verify`) → translatable templates."""


def _problem_template(english: str) -> tuple[str, dict[str, str]]:
    head = _RECORD_PREFIX.match(english)
    if head is None:
        return "", {}
    rest = head.group("rest")
    for pattern, template in _PROBLEM_TEMPLATES:
        found = re.fullmatch(pattern, rest, re.S)
        if found:
            params = {k: head.group(k) for k in ("record_id", "holder", "seq")}
            return template, {**params, **found.groupdict()}
    return "", {}


@dataclass(frozen=True)
class LogVerification:
    """Result of checking the whole log; problems are reported here, never raised."""

    ok: bool
    """True when every record was checked and no problem was found."""
    checked: int
    """Number of records examined."""
    problems: tuple[LogProblem, ...]
    """Descriptions naming the record_id and seq concerned: English as str, translated by `.text(translate)`."""


@dataclass(frozen=True)
class HolderCheck:
    """Whether one holder certificate of the log chains to a trusted root (`UsageLog.verify_holders`)."""

    holder: str
    signer_cert_sha256: str
    subject: str
    """The certificate's subject ("" when it is missing or unreadable)."""
    record_ids: tuple[str, ...]
    """The records signed with this certificate."""
    problem: str | None
    """None when trusted; else a technical English description (the UI shows "unverified holder")."""

    @property
    def trusted(self) -> bool:
        return self.problem is None


def default_path() -> Path:
    from ..paths import data_dir

    return data_dir() / DEFAULT_FILE_NAME


class UsageLog:
    """The usage log file. Safe to share between threads; several processes may open the same file."""

    def __init__(
        self, path: Path | None = None, *, client_host: str | None = None, client_version: str | None = None
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.client_host = client_host if client_host is not None else socket.gethostname()
        if client_version is None:
            from ... import __version__

            client_version = __version__
        self.client_version = client_version
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            create_private_file(self.path)  # 0600 from the start; SQLite gives -wal and -shm the same mode
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise UsageLogError(f"cannot open {self.path}: {exc}") from exc
        try:
            self._set_up()
        except BaseException as exc:
            self._conn.close()
            self._conn = None
            if not isinstance(exc, sqlite3.DatabaseError):
                raise
            if not isinstance(exc, sqlite3.OperationalError):  # SQLITE_NOTADB / SQLITE_CORRUPT
                raise UsageLogCorrupt(
                    f"{self.path}: {exc}", problem=f"the file {self.path} is not a readable SQLite database"
                ) from exc
            raise UsageLogError(f"cannot open {self.path}: {exc}") from exc

    def _set_up(self) -> None:
        conn = self._connection()
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise UsageLogError(f"{self.path}: the log needs WAL mode but SQLite reports {mode!r}")
        conn.execute("PRAGMA synchronous=FULL")  # the record must be on disk before the output is renamed
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise UsageLogError(f"{self.path} has schema {version}; this SealDesk knows up to {SCHEMA_VERSION}")
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] == 0:  # another process may have won
                for statement in _split_statements(_SCHEMA):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise UsageLogError(f"{self.path}: the usage log is closed")
        return self._conn

    # --- writing ----------------------------------------------------------------------------------
    def append(self, new: NewRecord, signer: DigestSigner, *, clock: Clock = utc_now) -> UsageRecord:
        """Append a "signed" record for one stamping, signed by `signer`; returns the stored record.

        Call it before renaming the signed output into place. If `signer.sign_digest` raises, nothing is
        written, no seq is used, and the signer's exception propagates.
        """
        return self._append(new, signer, clock, outcome=OUTCOME_SIGNED, refers_to=None)

    def void(self, record: UsageRecord, reason: str, signer: DigestSigner, *, clock: Clock = utc_now) -> UsageRecord:
        """Append a "void" record saying `record`'s output file never appeared; `reason` goes into purpose."""
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidArgument("void without a reason", what="a reason for voiding the usage record")
        new = NewRecord(
            holder=record.holder,
            seal_id=record.seal_id,
            seal_name=record.seal_name,
            seal_kind=record.seal_kind,
            cert_serial=record.cert_serial,
            cert_issuer=record.cert_issuer,
            document_name=record.document_name,
            document_sha256=record.document_sha256,
            document_sm3=record.document_sm3,
            page_count=record.page_count,
            placements=record.placements,
            approval_ref=record.approval_ref,
            purpose=reason,
        )
        return self._append(new, signer, clock, outcome=OUTCOME_VOID, refers_to=record)

    def _append(
        self, new: NewRecord, signer: DigestSigner, clock: Clock, *, outcome: str, refers_to: UsageRecord | None
    ) -> UsageRecord:
        certificate = bytes(signer.certificate)
        draft = UsageRecord(
            record_id=str(uuid.uuid4()),
            seq=1,
            prev_hash=GENESIS_HASH,
            stamped_at=format_timestamp(clock()),
            holder=new.holder,
            seal_id=new.seal_id,
            seal_name=new.seal_name,
            seal_kind=new.seal_kind,
            cert_serial=new.cert_serial,
            cert_issuer=new.cert_issuer,
            document_name=new.document_name,
            document_sha256=new.document_sha256,
            document_sm3=new.document_sm3,
            page_count=new.page_count,
            placements=tuple(new.placements),
            approval_ref=new.approval_ref,
            purpose=new.purpose,
            client_host=self.client_host,
            client_version=self.client_version,
            outcome=outcome,
            refers_to=refers_to.record_id if refers_to is not None else None,
            signer_cert_sha256=hashlib.sha256(certificate).hexdigest(),
        )
        try:
            validate(draft)
            draft.canonical_bytes()
        except RecordFormatError as exc:
            raise InvalidArgument(str(exc), what=f"usage record: {exc}") from exc
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise UsageLogError(f"{self.path}: cannot start a write: {exc}") from exc
            try:
                if refers_to is not None:
                    self._check_voidable(conn, refers_to)
                last = conn.execute(
                    "SELECT seq, record_hash FROM records WHERE holder = ? ORDER BY seq DESC LIMIT 1", (new.holder,)
                ).fetchone()
                seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
                unsigned = replace(draft, seq=seq, prev_hash=prev_hash)
                record_hash = unsigned.computed_hash()
                if signer.key_type == "sm2":  # SM2 signs the message (Z and SM3 are part of the signature)
                    signature = bytes(signer.sign_message(unsigned.canonical_bytes()))  # type: ignore[attr-defined]
                else:
                    raw = signer.sign_digest(bytes.fromhex(record_hash), "sha256")
                    signature = _normalize_signature(bytes(raw), signer, certificate)
                record = replace(unsigned, record_hash=record_hash, signature=base64.b64encode(signature).decode())
                problem = signature_problem(record, certificate)
                if problem is not None and not problem.startswith(UNSUPPORTED_PREFIX):
                    raise UsageLogError(f"the record signature made by the key does not verify: {problem}")
                conn.execute("INSERT OR IGNORE INTO certificates (sha256, der) VALUES (?, ?)",
                             (record.signer_cert_sha256, certificate))  # fmt: skip
                conn.execute(
                    f"INSERT INTO records ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                    _row_values(record),
                )
                conn.execute("COMMIT")
                return record
            except BaseException as exc:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc, "cannot write the usage record") from exc
                raise

    def _check_voidable(self, conn: sqlite3.Connection, target: UsageRecord) -> None:
        row = conn.execute(
            "SELECT holder, outcome, record_hash FROM records WHERE record_id = ?", (target.record_id,)
        ).fetchone()
        if row is None or row[0] != target.holder or row[2] != target.record_hash:
            raise UsageLogError(f"record {target.record_id} is not in this usage log")
        if row[1] != OUTCOME_SIGNED:
            raise UsageLogError(f"record {target.record_id} is a {row[1]} record and cannot be voided")
        voided = conn.execute(
            "SELECT record_id FROM records WHERE refers_to = ? AND outcome = ?", (target.record_id, OUTCOME_VOID)
        ).fetchone()
        if voided is not None:
            raise UsageLogError(f"record {target.record_id} was already voided by {voided[0]}")

    # --- reading ----------------------------------------------------------------------------------
    def records(self, *, holder: str | None = None, after_seq: int = 0) -> list[UsageRecord]:
        """Records with seq > after_seq: one holder's in seq order, or every holder's in write order."""
        sql = f"SELECT {', '.join(_COLUMNS)} FROM records WHERE seq > ?"
        params: list[Any] = [after_seq]
        if holder is not None:
            sql += " AND holder = ? ORDER BY seq"
            params.append(holder)
        else:
            sql += " ORDER BY id"
        rows = self._query(sql, params)
        result = []
        for row in rows:
            try:
                record = _record_from_row(row)
                validate(record)  # a non-integer seq or a damaged field is said here, not shown as garbage
                result.append(record)
            except (RecordFormatError, TypeError, ValueError) as exc:
                raise UsageRecordUnreadable(f"record {row[0]} (seq {row[1]}): {exc}", record=row[0], seq=row[1]) from exc
        return result

    def holders(self) -> list[str]:
        """Every holder that has records, sorted."""
        return [row[0] for row in self._query("SELECT DISTINCT holder FROM records ORDER BY holder", [])]

    def certificate(self, sha256_hex: str) -> bytes | None:
        """The DER signer certificate with this SHA-256 (a record's signer_cert_sha256), if stored."""
        rows = self._query("SELECT der FROM certificates WHERE sha256 = ?", [sha256_hex])
        return bytes(rows[0][0]) if rows else None

    def _query(self, sql: str, params: list[Any]) -> list[tuple]:
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise self._error(exc, "cannot read the usage log") from exc

    def _error(self, exc: sqlite3.Error, action: str) -> UsageLogError:
        """Damaged files (SQLITE_CORRUPT, SQLITE_NOTADB) become UsageLogCorrupt, the rest UsageLogError."""
        detail = f"{self.path}: {action}: {exc}"
        if isinstance(exc, sqlite3.OperationalError) and ("no such column" in str(exc) or "no such table" in str(exc)):
            return UsageLogUnreadable(detail, path=str(self.path))
        if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
            if "malformed" in str(exc) or "not a database" in str(exc):
                return UsageLogCorrupt(detail, problem=f"the file {self.path} is damaged")
        return UsageLogError(detail)

    # --- checking ---------------------------------------------------------------------------------
    def verify(self) -> LogVerification:
        """Check every holder's chain (gap-free seq, prev_hash links, recomputed hashes) and every signature."""
        rows = self._query(f"SELECT {', '.join(_COLUMNS)} FROM records ORDER BY id", [])
        certificates = {
            row[0]: bytes(row[1]) if isinstance(row[1], bytes | bytearray | memoryview) else b""
            for row in self._query("SELECT sha256, der FROM certificates", [])
        }
        problems: list[str] = []
        readable: list[UsageRecord] = []
        for row in rows:
            try:
                record = _record_from_row(row)
                if not isinstance(record.seq, int) or isinstance(record.seq, bool):
                    raise RecordFormatError(f"seq {record.seq!r} is not an integer")  # the chain check needs one
                readable.append(record)
            except (RecordFormatError, TypeError, ValueError) as exc:
                problems.append(f"record {row[0]} (holder {row[4]!r}, seq {row[1]}): unreadable: {exc}")
        checked = len(rows) - len(readable)
        for _holder, group in sorted(records_by_holder(readable).items(), key=lambda item: item[0]):
            count, found = check_chain(group, certificates.get)
            checked += count
            problems.extend(found)
        return LogVerification(ok=not problems, checked=checked, problems=tuple(LogProblem(p) for p in problems))

    def verify_holders(self, trust_roots: Sequence[bytes]) -> tuple[HolderCheck, ...]:
        """Check each holder certificate stored in the log against `trust_roots` (DER), one result per
        holder and certificate.

        `verify()` proves the records were signed by the certificate they name; this proves that certificate
        was issued under a root the user trusts — otherwise anyone can write a perfect chain with a
        self-signed certificate and a software key. The path is checked at the first and the last record's
        time (validity is an interval, so every record in between is covered), offline, without revocation.
        """
        from datetime import datetime

        from ..certs import summarize
        from ..verification import maker_trust_problem

        rows = self._query(
            "SELECT holder, signer_cert_sha256, record_id, stamped_at FROM records ORDER BY holder, seq, id", []
        )
        groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for holder, cert_sha, record_id, stamped_at in rows:
            groups.setdefault((str(holder), str(cert_sha)), []).append((str(record_id), str(stamped_at)))
        results = []
        for (holder, cert_sha), records in groups.items():
            certificate = self.certificate(cert_sha)
            subject, problem = "", None
            if certificate is None:
                problem = "the certificate is not stored in the log"
            else:
                try:
                    subject = summarize(certificate).subject
                    moments = sorted({datetime.fromisoformat(t) for _, t in records})
                    if any(m.tzinfo is None for m in moments):
                        raise ValueError("a record time without a time zone")
                except (SealDeskError, ValueError, TypeError) as exc:
                    problem = f"unreadable certificate or record time: {exc}"
                else:
                    for moment in dict.fromkeys((moments[0], moments[-1])):
                        problem = maker_trust_problem(certificate, list(trust_roots), moment)
                        if problem is not None:
                            problem = f"at {moment.isoformat()}: {problem}"
                            break
            results.append(HolderCheck(holder, cert_sha, subject, tuple(r for r, _ in records), problem))
        return tuple(results)

    # --- lifetime ---------------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> UsageLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _split_statements(script: str) -> list[str]:
    """Split the schema into statements (triggers contain ';' inside BEGIN … END)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]


def _normalize_signature(signature: bytes, signer: DigestSigner, certificate: bytes) -> bytes:
    if signer.key_type != "ec":
        return signature
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        key = x509.load_der_x509_certificate(certificate).public_key()
    except Exception:  # unsupported curves (SM2) keep the signer's bytes
        return signature
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return signature
    try:
        return normalize_ecdsa_signature(signature, key.curve.key_size)
    except RecordFormatError as exc:
        raise UsageLogError(f"the key returned an unusable ECDSA signature: {exc}") from exc


def _row_values(record: UsageRecord) -> tuple:
    values = []
    for name in _COLUMNS:
        value = getattr(record, name)
        if name == "placements":
            value = canonical_json([p.to_json() for p in value]).decode("utf-8")
        values.append(value)
    return tuple(values)


def _record_from_row(row: tuple) -> UsageRecord:
    import json

    values = dict(zip(_COLUMNS, row, strict=True))
    placements = json.loads(values["placements"])
    if not isinstance(placements, list):
        raise RecordFormatError("placements is not a list")
    values["placements"] = tuple(Placement.from_json(p) for p in placements)
    return UsageRecord(**values)


__all__ = ["DigestSigner", "HolderCheck", "LogVerification", "UsageLog", "default_path", "describe"]

"""The city system's SQLite database (WAL): API tokens (hashed), nonces, holders, keys, seals, records, problems.

One connection guarded by a lock: the server is a simulator, and serialising writers keeps every request one
transaction, so a server killed mid-request leaves all of that request's records or none of them.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token_sha256 TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nonces (
    nonce TEXT PRIMARY KEY,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS holders (
    holder_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chains (
    chain_id TEXT PRIMARY KEY,
    holder_id TEXT NOT NULL REFERENCES holders(holder_id)
);
CREATE TABLE IF NOT EXISTS keys (
    cert_sha256 TEXT NOT NULL,
    chain_id TEXT NOT NULL REFERENCES chains(chain_id),
    holder_id TEXT NOT NULL REFERENCES holders(holder_id),
    cert_der BLOB NOT NULL,
    token_serial TEXT NOT NULL,
    registered_at TEXT NOT NULL,
    PRIMARY KEY (cert_sha256, chain_id)
);
CREATE TABLE IF NOT EXISTS seals (
    seal_id TEXT PRIMARY KEY,
    holder_id TEXT NOT NULL REFERENCES holders(holder_id),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'revoked')),
    reason TEXT,
    changed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY,
    chain_id TEXT NOT NULL REFERENCES chains(chain_id),
    seq INTEGER NOT NULL,
    record_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (chain_id, seq)
);
CREATE TABLE IF NOT EXISTS problems (
    id INTEGER PRIMARY KEY,
    chain_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('gap', 'fork', 'conflict')),
    seq INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    UNIQUE (chain_id, kind, seq, record_id)
);
"""

STATUSES = ("active", "suspended", "revoked")


def now_text() -> str:
    """The API's time format: UTC, ISO 8601, seconds, "Z"."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def token_hash(token: str) -> str:
    """Tokens are stored as SHA-256: a copied database does not hand out working tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RegisteredKey:
    cert_sha256: str
    chain_id: str
    holder_id: str
    cert_der: bytes


@dataclass(frozen=True)
class ChainHead:
    chain_id: str
    last_seq: int
    last_hash: str | None
    count: int


class Store:
    """All SQL of citysim. Methods are atomic; `transaction()` groups several into one."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise RuntimeError(f"{self.path}: citysim needs WAL mode but SQLite reports {mode!r}")
        self._conn.execute("PRAGMA synchronous=FULL")  # an accepted record is on disk before the 200
        self._conn.execute("PRAGMA foreign_keys=ON")
        with self.transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{self.path} has schema {version}; this citysim knows up to {SCHEMA_VERSION}")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def checkpoint(self) -> None:
        """Fold the WAL into the database file (a stopped server leaves one self-contained file)."""
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception (nested use joins the outer one)."""
        with self._lock:
            if self._conn.in_transaction:
                yield self._conn
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _all(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # --- tokens -----------------------------------------------------------------------------------
    def add_token(self, token: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO tokens (token_sha256, created_at) VALUES (?, ?)", (token_hash(token), now_text())
            )

    def token_known(self, token: str) -> bool:
        return bool(self._all("SELECT 1 FROM tokens WHERE token_sha256 = ?", (token_hash(token),)))

    # --- nonces -----------------------------------------------------------------------------------
    def add_nonce(self, nonce: str, expires_at: float) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM nonces WHERE expires_at < ?", (time.time(),))
            conn.execute("INSERT INTO nonces (nonce, expires_at) VALUES (?, ?)", (nonce, expires_at))

    def consume_nonce(self, nonce: str, now: float) -> bool:
        """Use a nonce up: True if it existed and had not expired. Either way it is gone afterwards."""
        with self.transaction() as conn:
            row = conn.execute("DELETE FROM nonces WHERE nonce = ? RETURNING expires_at", (nonce,)).fetchone()
        return row is not None and row[0] >= now

    # --- holders, chains, keys, seals ---------------------------------------------------------------
    def holder_exists(self, holder_id: str) -> bool:
        return bool(self._all("SELECT 1 FROM holders WHERE holder_id = ?", (holder_id,)))

    def add_holder(self, holder_id: str, name: str, organisation: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO holders (holder_id, name, organisation, created_at) VALUES (?, ?, ?, ?)",
                (holder_id, name, organisation, now_text()),
            )

    def holder_of_cert(self, cert_sha256: str) -> str | None:
        rows = self._all("SELECT holder_id FROM keys WHERE cert_sha256 = ? LIMIT 1", (cert_sha256,))
        return rows[0][0] if rows else None

    def holder_of_chain(self, chain_id: str) -> str | None:
        rows = self._all("SELECT holder_id FROM chains WHERE chain_id = ?", (chain_id,))
        return rows[0][0] if rows else None

    def holder_of_seal(self, seal_id: str) -> str | None:
        rows = self._all("SELECT holder_id FROM seals WHERE seal_id = ?", (seal_id,))
        return rows[0][0] if rows else None

    def add_key(self, key: RegisteredKey, token_serial: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO chains (chain_id, holder_id) VALUES (?, ?)", (key.chain_id, key.holder_id))
            conn.execute(
                "INSERT OR IGNORE INTO keys (cert_sha256, chain_id, holder_id, cert_der, token_serial, registered_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key.cert_sha256, key.chain_id, key.holder_id, key.cert_der, token_serial, now_text()),
            )

    def add_seal(self, seal_id: str, holder_id: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO seals (seal_id, holder_id, changed_at) VALUES (?, ?, ?)",
                (seal_id, holder_id, now_text()),
            )

    def seals_of(self, holder_id: str) -> list[str]:
        return [r[0] for r in self._all("SELECT seal_id FROM seals WHERE holder_id = ? ORDER BY seal_id", (holder_id,))]

    def certificates_of_chain(self, chain_id: str) -> dict[str, bytes]:
        """The registered certificates of a chain, by SHA-256: the only keys its records may be signed by."""
        rows = self._all("SELECT cert_sha256, cert_der FROM keys WHERE chain_id = ?", (chain_id,))
        return {sha: bytes(der) for sha, der in rows}

    def chains_of(self, holder_id: str) -> list[str]:
        return [r[0] for r in self._all("SELECT chain_id FROM chains WHERE holder_id = ? ORDER BY chain_id", (holder_id,))]

    def seal_status(self, seal_id: str) -> tuple[str, str | None] | None:
        rows = self._all("SELECT status, reason FROM seals WHERE seal_id = ?", (seal_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    def set_seal_status(self, seal_id: str, status: str, reason: str | None) -> bool:
        """Change a registered seal's status; False if nobody registered that seal."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE seals SET status = ?, reason = ?, changed_at = ? WHERE seal_id = ?",
                (status, reason, now_text(), seal_id),
            )
        return cursor.rowcount == 1

    # --- records and problems -----------------------------------------------------------------------
    def stored_body(self, record_id: str) -> tuple[str, str] | None:
        """(chain_id, canonical JSON text) of a stored record."""
        rows = self._all("SELECT chain_id, body FROM records WHERE record_id = ?", (record_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    def record_id_at(self, chain_id: str, seq: int) -> str | None:
        rows = self._all("SELECT record_id FROM records WHERE chain_id = ? AND seq = ?", (chain_id, seq))
        return rows[0][0] if rows else None

    def head(self, chain_id: str) -> ChainHead:
        rows = self._all(
            "SELECT seq, record_hash, (SELECT count(*) FROM records WHERE chain_id = ?) FROM records "
            "WHERE chain_id = ? ORDER BY seq DESC LIMIT 1",
            (chain_id, chain_id),
        )
        if not rows:
            return ChainHead(chain_id, 0, None, 0)
        return ChainHead(chain_id, rows[0][0], rows[0][1], rows[0][2])

    def last(self, chain_id: str) -> tuple[int, str | None]:
        """(last seq, its record_hash) of a chain, (0, None) when empty: one index lookup, for ingestion."""
        rows = self._all("SELECT seq, record_hash FROM records WHERE chain_id = ? ORDER BY seq DESC LIMIT 1", (chain_id,))
        return (rows[0][0], rows[0][1]) if rows else (0, None)

    def store_record(self, record_id: str, chain_id: str, seq: int, record_hash: str, body: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO records (record_id, chain_id, seq, record_hash, body, received_at) VALUES (?, ?, ?, ?, ?, ?)",
                (record_id, chain_id, seq, record_hash, body, now_text()),
            )

    def add_problem(self, chain_id: str, kind: str, seq: int, record_id: str, detail: str) -> None:
        """Remember an audit problem once (a client retrying the same batch does not multiply it)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO problems (chain_id, kind, seq, record_id, detail, seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                (chain_id, kind, seq, record_id, detail, now_text()),
            )

    def records(self, chains: list[str], after_seq: int, limit: int) -> list[str]:
        """Stored records' JSON texts of `chains` with seq > after_seq, by chain then seq."""
        if not chains:
            return []
        marks = ",".join("?" * len(chains))
        rows = self._all(
            f"SELECT body FROM records WHERE chain_id IN ({marks}) AND seq > ? ORDER BY chain_id, seq LIMIT ?",
            (*chains, after_seq, limit),
        )
        return [r[0] for r in rows]

    def all_records(self) -> list[tuple[str, int, str, str, str]]:
        """(chain_id, seq, record_id, record_hash, received_at) of every record, for the admin listing."""
        return self._all("SELECT chain_id, seq, record_id, record_hash, received_at FROM records ORDER BY chain_id, seq")

    def problems(self, chains: list[str]) -> list[dict]:
        if not chains:
            return []
        marks = ",".join("?" * len(chains))
        rows = self._all(
            f"SELECT chain_id, kind, seq, detail, seen_at FROM problems WHERE chain_id IN ({marks}) ORDER BY id",
            tuple(chains),
        )
        return [{"chain_id": c, "kind": k, "seq": s, "detail": d, "seen_at": t} for c, k, s, d, t in rows]

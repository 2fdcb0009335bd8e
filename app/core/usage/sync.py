"""The city e-seal system client (用印登记): API token, HTTP client, sync of usage records, seal status.

The protocol is `resources/city-api.yaml` (base path /api/v1, Bearer token, JSON). What this module adds:

- `CityClient`: requests with TLS verification always on (a CA bundle from the settings or the system's
  trust), no redirects (an https URL can never be bent to http), timeouts, and retries with exponential
  backoff and full jitter on connection errors, timeouts, 429 and 5xx (honouring Retry-After) — never on
  other 4xx. Every failure is one typed error of app/core/errors.py; none of them carries the token.
- `SyncStore`: the sync state of each usage record (`sync_state` table), the seal-status cache and the last
  sync's outcome, in the usage log's own SQLite file (tables created here; the log's tables are untouched).
- `sync_records`: uploads every holder chain's pending records in seq order, ≤ 500 per request, and marks
  a record synced only when the server accepted it or reported it as a duplicate. Delivery is at least once
  (a crash after the upload re-sends); the server's idempotency by record_id makes it exactly once. One
  sync at a time per log file (an flock'ed lock file; a SIGKILLed holder releases it).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import ipaddress
import json
import os
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from ..errors import (
    CityAnswerUnreadable,
    CityRequestRefused,
    CityServerFailed,
    CityTlsFailed,
    CityTokenMissing,
    CityTokenRefused,
    CityTokenStoreUnavailable,
    CityUnreachable,
    CityUrlRefused,
    SealDeskError,
    SyncBusy,
)
from ..i18n_marks import QT_TRANSLATE_NOOP
from ..paths import create_private_file

KEYRING_SERVICE = "sealdesk-city"
"""keyring service of the API token; the username is the normalised base URL."""
TOKEN_ENV = "SEALDESK_CITY_TOKEN"
"""Fallback (and override) for the API token where no keyring backend exists (servers, CI, containers)."""
BATCH_LIMIT = 500
STATUS_TIMEOUT_S = 2.0
"""The seal-status check runs before the PIN dialog: it must never keep the user waiting long."""
REGISTER_CONTEXT = b"sealdesk-city-register-v1\n"
RETRYABLE_REJECTIONS = frozenset({"gap", "unregistered"})
"""Rejections that are not the record's fault: the record stays pending and is sent again later."""

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})

_NO_HTTPS = QT_TRANSLATE_NOOP(
    "errors", "plain http:// is allowed only to this computer (127.0.0.1); use https:// for a city system"
)
_NOT_A_URL = QT_TRANSLATE_NOOP("errors", "it must start with https:// and name a server")
_TIMED_OUT = QT_TRANSLATE_NOOP("errors", "it did not answer in time")
_REFUSED = QT_TRANSLATE_NOOP("errors", "the connection was refused or broken (is the address right, is it running?)")
_REDIRECTED = QT_TRANSLATE_NOOP("errors", "it answered with a redirection, which SealDesk does not follow")
_CA_MISSING = QT_TRANSLATE_NOOP("errors", "the CA bundle file {path} cannot be read")
_CERT_UNTRUSTED = QT_TRANSLATE_NOOP(
    "errors", "its certificate is not issued by a trusted CA ({tls_detail})"
)
_REASONS = {
    "unauthorized": QT_TRANSLATE_NOOP("errors", "the API token was refused"),
    "bad_request": QT_TRANSLATE_NOOP("errors", "the request was not understood ({server_detail})"),
    "not_found": QT_TRANSLATE_NOOP("errors", "it does not know this item ({server_detail})"),
    "challenge_invalid": QT_TRANSLATE_NOOP(
        "errors", "the registration challenge expired or was already used; register again"
    ),
    "certificate_untrusted": QT_TRANSLATE_NOOP(
        "errors", "the key's certificate is not issued by a CA the city system trusts ({server_detail})"
    ),
    "proof_invalid": QT_TRANSLATE_NOOP("errors", "the key's signature over the challenge is not valid"),
    "too_many_records": QT_TRANSLATE_NOOP("errors", "too many records in one request"),
}
_REASON_OTHER = QT_TRANSLATE_NOOP("errors", "HTTP {status}: {server_detail}")


# --- base URL and API token ------------------------------------------------------------------------
def normalized_base_url(url: str) -> str:
    """The city base URL without a trailing slash, or CityUrlRefused: only https://, except plain http://
    to a loopback address (a local citysim). Decided so no token or record ever crosses a network in clear."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CityUrlRefused(f"bad city url {text!r}", url=text, problem=_NOT_A_URL)
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise CityUrlRefused(f"http to {parts.hostname}", url=text, problem=_NO_HTTPS)
    return text.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token(base_url: str) -> str | None:
    """The API token: SEALDESK_CITY_TOKEN when set, else the keyring's entry; None when neither has one."""
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if from_env:
        return from_env
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(KEYRING_SERVICE, base_url) or None
        except KeyringError:  # no backend (NoKeyringError), locked store …: the env var is the way
            return None
    except ImportError:
        return None


def store_token(base_url: str, token: str) -> None:
    """Keep the API token in the OS keyring (never in the settings file)."""
    token = token.strip()
    if not token:
        from ..errors import InvalidArgument

        raise InvalidArgument(what=QT_TRANSLATE_NOOP("errors", "the API token is empty"))
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(KEYRING_SERVICE, base_url, token)
    except KeyringError as exc:
        raise CityTokenStoreUnavailable(type(exc).__name__, problem=type(exc).__name__) from None


def require_token(base_url: str) -> str:
    token = read_token(base_url)
    if not token:
        raise CityTokenMissing(server=base_url)
    return token


# --- HTTP client ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: wait uniform(0, min(cap, base·2^n)), or Retry-After if longer."""

    attempts: int = 6
    """Tries in all (1 = no retry)."""
    base_s: float = 0.25
    cap_s: float = 8.0
    retry_after_cap_s: float = 60.0
    """A Retry-After longer than this is cut to it (a server cannot park the client for hours)."""


@dataclass(frozen=True)
class SealStatus:
    """The city system's word on one seal."""

    seal_id: str
    status: str
    """"active", "suspended" or "revoked"."""
    checked_at: str
    reason: str | None = None


@dataclass(frozen=True)
class UploadAnswer:
    accepted: tuple[str, ...]
    duplicates: tuple[str, ...]
    rejected: tuple[tuple[str, str, str], ...]
    """(record_id, reason code, English detail)."""


class CityClient:
    """One city system: base URL, token, CA bundle. Thread-safe for sequential calls from one thread each."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        ca_bundle: str = "",
        timeout_s: float = 15.0,
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] | None = None,
        rng: Callable[[], float] = random.random,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        import requests

        self.base_url = normalized_base_url(base_url)
        self._token = token
        self._timeout_s = timeout_s
        self.retry = retry
        self._rng = rng
        self._cancelled = cancelled
        self._sleep = sleep or self._interruptible_sleep
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy or netrc from the environment sees the token
        if ca_bundle:
            if not Path(ca_bundle).is_file():
                raise CityTlsFailed(f"no CA bundle {ca_bundle}", server=self.base_url, problem=_CA_MISSING,
                                    path=ca_bundle)  # fmt: skip
            self._session.verify = ca_bundle
        else:
            self._session.verify = True
        self.waits: list[float] = []
        """Every backoff wait of this client, in seconds (for tests and benchmarks)."""

    def __repr__(self) -> str:  # never the token
        return f"CityClient({self.base_url!r})"

    def close(self) -> None:
        self._session.close()

    def _interruptible_sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._cancelled():
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(left, 0.1))

    # -- the endpoints
    def challenge(self) -> str:
        body = self._call("POST", "/holders/challenge", {})
        nonce = body.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise CityAnswerUnreadable("challenge without a nonce", server=self.base_url)
        return nonce

    def register(self, payload: dict[str, Any]) -> dict[str, Any]:
        body = self._call("POST", "/holders", payload)
        if not isinstance(body.get("holder_id"), str):
            raise CityAnswerUnreadable("registration without holder_id", server=self.base_url)
        return body

    def seal_status(self, seal_id: str, *, timeout_s: float = STATUS_TIMEOUT_S) -> SealStatus:
        """One quick question, no retries: stamping must not wait for a sick server."""
        body = self._call("GET", f"/seals/{quote(seal_id, safe='')}/status", None, timeout_s=timeout_s, attempts=1)
        status = body.get("status")
        if status not in ("active", "suspended", "revoked"):
            raise CityAnswerUnreadable(f"seal status {status!r}", server=self.base_url)
        reason = body.get("reason")
        return SealStatus(seal_id, status, str(body.get("checked_at", "")), reason if isinstance(reason, str) else None)

    def upload(self, records: Sequence[dict[str, Any]]) -> UploadAnswer:
        """POST 1..500 records; the answer must name every submitted id exactly once."""
        body = self._call("POST", "/usage-records", {"records": list(records)})
        sent = [r["record_id"] for r in records]
        try:
            accepted = tuple(str(x) for x in body["accepted"])
            duplicates = tuple(str(x) for x in body["duplicates"])
            rejected = tuple(
                (str(item["record_id"]), str(item["reason"]), str(item.get("detail", ""))) for item in body["rejected"]
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise CityAnswerUnreadable(f"upload answer: {exc!r}", server=self.base_url) from None
        named = list(accepted) + list(duplicates) + [r[0] for r in rejected]
        if sorted(named) != sorted(sent):
            raise CityAnswerUnreadable("upload answer does not name each record once", server=self.base_url)
        return UploadAnswer(accepted, duplicates, rejected)

    def audit(self, holder_id: str, *, chain_id: str | None = None, after_seq: int = 0, limit: int = 500) -> dict:
        params = f"?after_seq={after_seq}&limit={limit}"
        if chain_id:
            params += f"&chain_id={quote(chain_id, safe='')}"
        return self._call("GET", f"/holders/{quote(holder_id, safe='')}/usage-records{params}", None)

    # -- the one request path
    def _call(
        self, method: str, path: str, body: dict | None, *, timeout_s: float | None = None, attempts: int | None = None
    ) -> dict[str, Any]:
        import requests

        url = f"{self.base_url}/api/v1{path}"
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timeout = timeout_s if timeout_s is not None else self._timeout_s
        tries = attempts if attempts is not None else self.retry.attempts
        last: SealDeskError | None = None
        for attempt in range(tries):
            if attempt:
                self._cancel_check()
            retry_after: float | None = None
            try:
                response = self._session.request(
                    method, url, data=data, headers=headers, timeout=timeout, allow_redirects=False
                )
            except requests.exceptions.SSLError as exc:
                raise CityTlsFailed(_tls_detail(exc), server=self.base_url, problem=_CERT_UNTRUSTED,
                                    tls_detail=_tls_detail(exc)) from None  # fmt: skip
            except requests.exceptions.Timeout:
                last = CityUnreachable(f"{method} {path}: timeout", server=self.base_url, problem=_TIMED_OUT)
            except requests.exceptions.RequestException as exc:
                last = CityUnreachable(f"{method} {path}: {type(exc).__name__}", server=self.base_url, problem=_REFUSED)
            else:
                status = response.status_code
                if 200 <= status < 300:
                    try:
                        parsed = json.loads(response.content.decode("utf-8"))
                        if not isinstance(parsed, dict):
                            raise ValueError("not an object")
                        return parsed
                    except (ValueError, UnicodeDecodeError, RecursionError):
                        last = CityAnswerUnreadable(f"{method} {path}: HTTP {status}, unreadable JSON", server=self.base_url)
                elif status == 401:
                    raise CityTokenRefused(f"{method} {path}: 401", server=self.base_url)
                elif 300 <= status < 400:
                    raise CityUnreachable(f"{method} {path}: {status}", server=self.base_url, problem=_REDIRECTED)
                elif status == 429 or status >= 500:
                    retry_after = _retry_after(response.headers.get("Retry-After"))
                    last = CityServerFailed(f"{method} {path}: {status}", server=self.base_url, status=status,
                                            attempts=attempt + 1)  # fmt: skip
                else:
                    raise _refused(response, self.base_url) from None
            if attempt + 1 < tries:
                wait = self._rng() * min(self.retry.cap_s, self.retry.base_s * 2**attempt)
                if retry_after is not None:
                    wait = max(wait, min(retry_after, self.retry.retry_after_cap_s))
                self.waits.append(wait)
                self._sleep(wait)
        assert last is not None
        if isinstance(last, CityServerFailed):
            last.params["attempts"] = tries
        raise last

    def _cancel_check(self) -> None:
        if self._cancelled():
            from ..errors import Cancelled

            raise Cancelled()


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _tls_detail(exc: Exception) -> str:
    """The TLS library's reason ("certificate verify failed: unable to get local issuer certificate")."""
    import re

    text = str(exc)
    found = re.search(r"certificate verify failed: ([^(')\]]+)", text)
    if found:
        return f"certificate verify failed: {found.group(1).strip()}"
    found = re.search(r"\[SSL[^\]]*\] ([^(')]+)", text)
    return found.group(1).strip() if found else "TLS handshake failed"


def _refused(response, server: str) -> CityRequestRefused:
    code, detail = "", ""
    try:
        body = response.json()
        code, detail = str(body.get("error", "")), str(body.get("detail", ""))[:300]
    except (ValueError, AttributeError):
        pass
    reason = _REASONS.get(code, _REASON_OTHER)
    error = CityRequestRefused(f"HTTP {response.status_code} {code}: {detail}", reason=reason, status=response.status_code,
                               server_detail=detail)  # fmt: skip
    error.code = code or f"http_{response.status_code}"
    return error


# --- sync state ---------------------------------------------------------------------------------------
class RecordSyncState(StrEnum):
    PENDING = "pending"
    SYNCED = "synced"
    REJECTED = "rejected"


_SYNC_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS sync_state (
        record_id        TEXT PRIMARY KEY,
        state            TEXT NOT NULL,        -- pending | synced | rejected
        reason           TEXT,                 -- the server's rejection code (gap, fork, bad_signature …)
        detail           TEXT,                 -- the server's English detail
        attempts         INTEGER NOT NULL DEFAULT 0,
        updated_at       TEXT NOT NULL,
        status_unchecked INTEGER NOT NULL DEFAULT 0  -- stamped while the seal status could not be checked
    )""",
    "CREATE TABLE IF NOT EXISTS sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS seal_status_cache (
        base_url TEXT NOT NULL, seal_id TEXT NOT NULL, status TEXT NOT NULL, reason TEXT,
        checked_at TEXT NOT NULL, fetched_at REAL NOT NULL, PRIMARY KEY (base_url, seal_id)
    )""",
)


@dataclass(frozen=True)
class RecordSync:
    """One record's row of the sync table (records without a row are pending)."""

    state: RecordSyncState
    reason: str | None = None
    detail: str | None = None
    attempts: int = 0
    status_unchecked: bool = False


class SyncStore:
    """The sync tables in the usage log's SQLite file (WAL; own connection, short transactions)."""

    def __init__(self, log_path: Path) -> None:
        self.path = Path(log_path)
        create_private_file(self.path)
        self._conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        for statement in _SYNC_SCHEMA:
            self._conn.execute(statement)

    def close(self) -> None:
        self._conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def states(self) -> dict[str, RecordSync]:
        rows = self._conn.execute(
            "SELECT record_id, state, reason, detail, attempts, status_unchecked FROM sync_state"
        ).fetchall()
        return {r[0]: RecordSync(RecordSyncState(r[1]), r[2], r[3], r[4], bool(r[5])) for r in rows}

    def state_of(self, record_id: str) -> RecordSync:
        row = self._conn.execute(
            "SELECT state, reason, detail, attempts, status_unchecked FROM sync_state WHERE record_id = ?", (record_id,)
        ).fetchone()
        if row is None:
            return RecordSync(RecordSyncState.PENDING)
        return RecordSync(RecordSyncState(row[0]), row[1], row[2], row[3], bool(row[4]))

    _WAITING = (
        "FROM records r LEFT JOIN sync_state s ON s.record_id = r.record_id "
        "WHERE s.state IS NULL OR s.state = 'pending'"
    )
    """Records of the usage log (its `records` table, same file) that still wait to be sent."""

    def pending_starts(self) -> dict[str, int]:
        """Per holder chain, the lowest seq still waiting (so only the chain's tail is read from the log)."""
        try:
            rows = self._conn.execute(f"SELECT r.holder, MIN(r.seq) {self._WAITING} GROUP BY r.holder").fetchall()
        except sqlite3.OperationalError:  # no usage log tables yet
            return {}
        return {str(holder): int(seq) for holder, seq in rows}

    def pending_count(self) -> int:
        try:
            return int(self._conn.execute(f"SELECT COUNT(*) {self._WAITING}").fetchone()[0])
        except sqlite3.OperationalError:
            return 0

    def rejected_count(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM sync_state WHERE state = 'rejected'").fetchone()[0])

    def mark_status_unchecked(self, record_id: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO sync_state (record_id, state, updated_at, status_unchecked) VALUES (?, 'pending', ?, 1) "
                "ON CONFLICT(record_id) DO UPDATE SET status_unchecked = 1",
                (record_id, _now()),
            )

    def apply(self, answer: UploadAnswer) -> None:
        """Record one upload answer in one transaction (a crash keeps all of it or none)."""
        now = _now()
        rows = [(rid, RecordSyncState.SYNCED.value, None, None, now) for rid in (*answer.accepted, *answer.duplicates)]
        for rid, reason, detail in answer.rejected:
            state = RecordSyncState.PENDING if reason in RETRYABLE_REJECTIONS else RecordSyncState.REJECTED
            rows.append((rid, state.value, reason, detail, now))
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO sync_state (record_id, state, reason, detail, attempts, updated_at) VALUES (?, ?, ?, ?, 1, ?) "
                "ON CONFLICT(record_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, "
                "detail = excluded.detail, attempts = sync_state.attempts + 1, updated_at = excluded.updated_at",
                rows,
            )

    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM sync_meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, **values: str) -> None:
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO sync_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )

    def cached_status(self, base_url: str, seal_id: str, ttl_s: float) -> SealStatus | None:
        row = self._conn.execute(
            "SELECT status, reason, checked_at, fetched_at FROM seal_status_cache WHERE base_url = ? AND seal_id = ?",
            (base_url, seal_id),
        ).fetchone()
        if row is None or time.time() - row[3] > ttl_s or time.time() < row[3]:
            return None
        return SealStatus(seal_id, row[0], row[2], row[1])

    def cache_status(self, base_url: str, status: SealStatus) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO seal_status_cache VALUES (?, ?, ?, ?, ?, ?)",
                (base_url, status.seal_id, status.status, status.reason, status.checked_at, time.time()),
            )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def sync_lock(log_path: Path, wait_s: float = 10.0) -> Iterator[None]:
    """One sync per usage log at a time (GUI worker and CLI together): an exclusive flock on a lock file
    beside the log. The kernel drops it when the holder dies, so a killed sync never blocks the next."""
    lock_path = Path(f"{log_path}.sync-lock")
    create_private_file(lock_path)
    fd = os.open(lock_path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))
    try:
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                    raise SyncBusy(str(lock_path)) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


# --- sync -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyncProgress:
    sent: int
    total: int


@dataclass(frozen=True)
class SyncResult:
    """What one sync did."""

    accepted: int = 0
    duplicates: int = 0
    rejected: tuple[tuple[str, str, str], ...] = ()
    """(record_id, reason, detail) of records the server rejected this time (retryable ones included)."""
    pending: int = 0
    """Records still waiting after this sync (retryable rejections, or not sent: cancelled / failed)."""
    requests: int = 0
    error: SealDeskError | None = None
    """Why the sync stopped early (unreachable, token refused …); the records stay pending."""
    cancelled: bool = False
    waits: tuple[float, ...] = field(default=(), compare=False)

    @property
    def synced(self) -> int:
        return self.accepted + self.duplicates

    @property
    def ok(self) -> bool:
        return self.error is None and not self.cancelled and self.pending == 0 and not self.rejected


def pending_chains(log, store: SyncStore) -> dict[str, list]:
    """Each holder chain's records that are neither synced nor finally rejected, in seq order. Only each
    chain's tail from its first waiting record is read from the log (a long synced history costs nothing)."""
    starts = store.pending_starts()
    if not starts:
        return {}
    states = store.states()
    chains: dict[str, list] = {}
    for holder, first in starts.items():
        waiting = [
            r for r in log.records(holder=holder, after_seq=first - 1)
            if states.get(r.record_id, RecordSync(RecordSyncState.PENDING)).state is RecordSyncState.PENDING
        ]  # fmt: skip
        if waiting:
            chains[holder] = waiting
    return chains


def sync_records(
    log,
    store: SyncStore,
    client: CityClient,
    *,
    cancelled: Callable[[], bool] = lambda: False,
    progress: Callable[[SyncProgress], None] | None = None,
    lock_wait_s: float = 10.0,
    batch_limit: int = BATCH_LIMIT,
) -> SyncResult:
    """Upload pending records, chain by chain in seq order, ≤ 500 per request. Never raises for the server's
    or the network's failures: they end the sync and are the result's `error` (also kept as the last error);
    SyncBusy is raised when another sync holds the lock. `batch_limit` (≤ 500) is smaller only in tests."""
    from ..errors import Cancelled

    accepted = duplicates = requests_made = 0
    rejected: list[tuple[str, str, str]] = []
    error: SealDeskError | None = None
    stopped = False
    with sync_lock(log.path, lock_wait_s):
        chains = pending_chains(log, store)
        total = sum(len(v) for v in chains.values())
        sent = 0
        try:
            for holder in sorted(chains):
                records = chains[holder]
                resent_whole_chain = False
                index = 0
                while index < len(records):
                    if cancelled():
                        raise Cancelled()
                    batch = records[index : index + min(batch_limit, BATCH_LIMIT)]
                    answer = client.upload([r.to_json() for r in batch])
                    requests_made += 1
                    store.apply(answer)
                    accepted += len(answer.accepted)
                    duplicates += len(answer.duplicates)
                    rejected.extend(answer.rejected)
                    sent += len(batch)
                    if progress is not None:
                        progress(SyncProgress(min(sent, total), total))
                    reasons = {reason for _rid, reason, _detail in answer.rejected}
                    if "gap" in reasons and not resent_whole_chain:
                        # the server misses earlier records we hold as synced (its database was restored):
                        # send the whole chain once; what it has comes back as duplicates
                        resent_whole_chain = True
                        records = sorted(
                            (r for r in log.records(holder=holder)
                             if store.state_of(r.record_id).state is not RecordSyncState.REJECTED),
                            key=lambda r: r.seq,
                        )  # fmt: skip
                        total += len(records)
                        index = 0
                        continue
                    if reasons:
                        break  # later records of this chain would only gap; they wait for the next sync
                    index += len(batch)
        except Cancelled:
            stopped = True
        except SealDeskError as exc:
            error = exc
        pending = store.pending_count()
        store.set_meta(
            last_attempt=_now(),
            **({"last_sync": _now(), "last_error": ""} if error is None and not stopped else {}),
            **({"last_error": _error_json(error)} if error is not None else {}),
        )
    return SyncResult(
        accepted=accepted,
        duplicates=duplicates,
        rejected=tuple(rejected),
        pending=pending,
        requests=requests_made,
        error=error,
        cancelled=stopped,
        waits=tuple(client.waits),
    )


def _error_json(error: SealDeskError) -> str:
    """The last error, kept so a later process (the GUI's status bar) can show it again, translated."""
    params = {k: v for k, v in error.params.items() if isinstance(v, str | int | float)}
    return json.dumps({"type": type(error).__name__, "params": params, "detail": error.detail}, ensure_ascii=False)


def error_from_json(text: str | None) -> SealDeskError | None:
    """The error `_error_json` kept (its class and parameters), or None."""
    if not text:
        return None
    from .. import errors

    try:
        data = json.loads(text)
        cls = getattr(errors, data["type"])
        if not (isinstance(cls, type) and issubclass(cls, SealDeskError)):
            return None
        error = cls.__new__(cls)
        SealDeskError.__init__(error, data.get("detail", ""), **data.get("params", {}))
        return error
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


# --- registration -------------------------------------------------------------------------------------
def registration_message(nonce: str, certificate_der: bytes) -> bytes:
    """The bytes the key signs to prove it holds the certificate's key (the contract's proof message)."""
    import hashlib

    return REGISTER_CONTEXT + nonce.encode("ascii") + b"\n" + hashlib.sha256(certificate_der).hexdigest().encode("ascii")


def sign_registration(signer, nonce: str) -> str:
    """The proof: `signer` (a DigestSigner) signs SHA-256 of the message like a usage record; base64."""
    import hashlib

    from .records import UNSUPPORTED_PREFIX, message_signature_problem

    message = registration_message(nonce, bytes(signer.certificate))
    signature = bytes(signer.sign_digest(hashlib.sha256(message).digest(), "sha256"))
    problem = message_signature_problem(bytes(signer.certificate), message, signature)
    if problem is not None and not problem.startswith(UNSUPPORTED_PREFIX):
        from ..errors import SigningFailed

        raise SigningFailed(f"the registration proof does not verify: {problem}")
    return base64.b64encode(signature).decode("ascii")

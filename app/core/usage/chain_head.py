"""The usage-log chain head kept on the key, so that a rewound or emptied log is evident.

The log file can be rolled back with everything in it (delete the newest rows, the whole file); the chain
stays valid, only shorter. So after each stamping SealDesk also writes the holder's last seq and record hash
into a private data object on the key that signed the record, in the same logged-in session (no extra PIN).
`UsageLog.verify(key_heads=…)` compares the log with these heads, and `UsageLog.append(…, floor=head)`
continues past a head the log has lost, so a deleted seq is never reused. Threat model: docs/usage-log.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..clock import Clock, utc_now
from .records import UsageRecord, canonical_json, format_timestamp

HEAD_APPLICATION = "SealDesk usage chain head"
"""CKA_APPLICATION of the head objects (the search key), also their CKA_LABEL."""
HEAD_FORMAT = "sealdesk-usage-head/1"
_HEX = frozenset("0123456789abcdef")


class HeadFormatError(ValueError):
    """A head object whose value is not a SealDesk chain head."""


@dataclass(frozen=True)
class ChainHead:
    """One holder's newest record as the key remembers it."""

    holder: str
    seq: int
    record_hash: str
    record_id: str
    updated_at: str
    """When the head was written (UTC, record time format)."""
    key_id: bytes = b""
    """CKA_OBJECT_ID of the object: the signing key's CKA_ID (not part of the value)."""

    def to_bytes(self) -> bytes:
        """The object's CKA_VALUE: canonical JSON (the record format's encoding)."""
        return canonical_json(
            {
                "format": HEAD_FORMAT,
                "holder": self.holder,
                "seq": self.seq,
                "record_hash": self.record_hash,
                "record_id": self.record_id,
                "updated_at": self.updated_at,
            }
        )

    @classmethod
    def from_bytes(cls, raw: bytes, key_id: bytes = b"") -> ChainHead:
        """Parse a CKA_VALUE; HeadFormatError when it is not a head of this format."""
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise HeadFormatError(f"not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != HEAD_FORMAT:
            raise HeadFormatError("not a sealdesk-usage-head/1 object")
        seq, record_hash = data.get("seq"), data.get("record_hash")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise HeadFormatError(f"seq {seq!r} is not a positive integer")
        if not isinstance(record_hash, str) or len(record_hash) != 64 or not set(record_hash) <= _HEX:
            raise HeadFormatError("record_hash is not 64 lower-case hex digits")
        texts = [data.get(k) for k in ("holder", "record_id", "updated_at")]
        if not all(isinstance(t, str) and t for t in texts):
            raise HeadFormatError("holder, record_id or updated_at missing")
        return cls(texts[0], seq, record_hash, texts[1], texts[2], key_id)


def head_after(record: UsageRecord, key_id: bytes, *, clock: Clock = utc_now) -> ChainHead:
    """The head that names `record` as its holder's newest."""
    return ChainHead(record.holder, record.seq, record.record_hash, record.record_id, format_timestamp(clock()), key_id)


@dataclass(frozen=True)
class KeyHeads:
    """What one key holds: its serial (holders are "<serial>:<cert serial>"), its heads, damaged ones."""

    token_serial: str
    heads: tuple[ChainHead, ...]
    unreadable: tuple[str, ...] = ()
    """Technical descriptions of head objects that could not be parsed."""

    def head_for(self, holder: str) -> ChainHead | None:
        """The holder's head; of two (a key pulled out between writing the new and removing the old), the
        further one."""
        return max((h for h in self.heads if h.holder == holder), key=lambda h: h.seq, default=None)


def read_heads(session) -> KeyHeads:
    """Every chain head on the key of a logged-in KeySession (they are private: a login is needed)."""
    heads: list[ChainHead] = []
    unreadable: list[str] = []
    for key_id, raw in session.data_objects(HEAD_APPLICATION):
        try:
            heads.append(ChainHead.from_bytes(raw, key_id))
        except HeadFormatError as exc:
            unreadable.append(f"object of key {key_id.hex()}: {exc}")
    return KeyHeads(session.token.serial, tuple(heads), tuple(unreadable))


def _holder_of(raw: bytes) -> str | None:
    try:
        return ChainHead.from_bytes(raw).holder
    except HeadFormatError:
        return None


def write_head(session, head: ChainHead) -> None:
    """Store `head` on the key (replacing that holder's head, or a damaged head of the same key).

    Raises what the session raises (TokenRemoved when the key is gone)."""
    replaces: Callable[[bytes], bool] = lambda raw: _holder_of(raw) in (head.holder, None)  # noqa: E731
    session.put_private_data(HEAD_APPLICATION, head.key_id, HEAD_APPLICATION, head.to_bytes(), replaces)


def compare_heads(
    last: dict[str, tuple[int, str]], hashes_at: Callable[[str, int], str | None], key_heads: Sequence[KeyHeads]
) -> tuple[list[str], list[str]]:
    """Compare the log with the keys' heads: (problems, warnings), technical English (log.LogProblem
    translates them).

    `last[holder]` = (newest seq, its hash) in the log; `hashes_at(holder, seq)` = the hash of that record
    in the log, or None. A log behind a head was rewound (records deleted); a head ahead of nothing means the
    log was emptied or replaced; a record at the head's seq with another hash means the log was rewritten. A
    log *ahead* of its head is fine (the head write failed, e.g. the key was pulled out, and catches up at
    the next stamping).
    """
    problems: list[str] = []
    warnings: list[str] = []
    for key in key_heads:
        for detail in key.unreadable:
            problems.append(f"key {key.token_serial}: the chain head on the key is damaged: {detail}")
        for holder in dict.fromkeys(h.holder for h in key.heads):
            head = key.head_for(holder)
            if head is None:
                continue
            newest = last.get(head.holder)
            if newest is None or newest[0] < head.seq:
                first = 1 if newest is None else newest[0] + 1
                span = f"{first}" if first == head.seq else f"{first}..{head.seq}"
                problems.append(f"holder {head.holder}: the usage log was rewound: records {span} are missing")
            elif hashes_at(head.holder, head.seq) != head.record_hash:
                problems.append(
                    f"holder {head.holder}: record {head.seq} is not the one the key's chain head names (log rewritten)"
                )
        prefix = f"{key.token_serial}:"
        for holder in sorted(h for h in last if h.startswith(prefix) and key.head_for(h) is None):
            warnings.append(f"holder {holder}: no chain head on the key")
    return problems, warnings


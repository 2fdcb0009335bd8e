"""Record ingestion: every uploaded record is checked, then accepted, recognised as a duplicate, or rejected.

The order of the checks is the contract's (docs/city-protocol.md): unregistered chain, malformed, bad
hash/signature (against a certificate registered to that chain — `signer_cert_sha256` alone proves nothing),
duplicate/conflict by record_id, then chain continuity (fork, gap, prev_hash). One request is one SQLite
transaction: a server killed mid-request keeps all of that request's records or none.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.core.usage.records import RecordFormatError, UsageRecord, signature_problem

from .storage import Store

UNREGISTERED = "unregistered"
MALFORMED = "malformed"
BAD_SIGNATURE = "bad_signature"
CONFLICT = "conflict"
FORK = "fork"
GAP = "gap"


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)

    def reject(self, record_id: str, reason: str, detail: str) -> None:
        self.rejected.append({"record_id": record_id, "reason": reason, "detail": detail})

    def to_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


def ingest(store: Store, items: list[Any]) -> IngestResult:
    """Check and store one request's records in order, in one transaction."""
    result = IngestResult()
    with store.transaction():
        for item in items:
            _ingest_one(store, item, result)
    return result


def _record_id_of(item: Any) -> str:
    """The id a response names an item by; an item without a usable one is named by what it sent (or "")."""
    if isinstance(item, dict):
        value = item.get("record_id")
        if isinstance(value, str):
            return value
        return "" if value is None else json.dumps(value)[:100]
    return ""


def _ingest_one(store: Store, item: Any, result: IngestResult) -> None:
    record_id = _record_id_of(item)
    chain_id = item.get("holder") if isinstance(item, dict) else None
    if not isinstance(chain_id, str):
        result.reject(record_id, MALFORMED, "the record is not an object with a string holder (chain_id)")
        return
    certificates = store.certificates_of_chain(chain_id)
    if not certificates:
        result.reject(record_id, UNREGISTERED, f"no key is registered for chain {chain_id!r}")
        return
    try:
        record = UsageRecord.from_json(item)
        computed = record.computed_hash()  # also proves the record encodes canonically
    except (RecordFormatError, TypeError, ValueError) as exc:
        result.reject(record_id, MALFORMED, str(exc))
        return
    if computed != record.record_hash:
        result.reject(record_id, BAD_SIGNATURE, "record_hash does not match the record's content")
        return
    certificate = certificates.get(record.signer_cert_sha256)
    if certificate is None:
        result.reject(
            record_id, BAD_SIGNATURE, f"the signer certificate {record.signer_cert_sha256} is not registered to chain {chain_id!r}"
        )
        return
    problem = signature_problem(record, certificate)
    if problem is not None:
        result.reject(record_id, BAD_SIGNATURE, problem)
        return

    # what "identical content" means for duplicates: the same JSON, key order and spacing aside
    body = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    stored = store.stored_body(record.record_id)
    if stored is not None:
        if stored[1] == body:
            result.duplicates.append(record.record_id)
            return
        detail = "a different record with this record_id is already stored"
        store.add_problem(chain_id, CONFLICT, record.seq, record.record_id, detail)
        result.reject(record.record_id, CONFLICT, detail)
        return
    taken_by = store.record_id_at(chain_id, record.seq)
    if taken_by is not None:
        detail = f"seq {record.seq} of chain {chain_id!r} is already record {taken_by}"
        store.add_problem(chain_id, FORK, record.seq, record.record_id, detail)
        result.reject(record.record_id, FORK, detail)
        return
    last_seq, last_hash = store.last(chain_id)
    if record.seq > last_seq + 1:
        detail = f"seq {record.seq} follows seq {last_seq}: records {last_seq + 1}..{record.seq - 1} are missing"
        store.add_problem(chain_id, GAP, record.seq, record.record_id, detail)
        result.reject(record.record_id, GAP, detail)
        return
    expected_prev = last_hash if last_hash is not None else record.prev_hash  # seq 1: genesis, checked by from_json
    if record.prev_hash != expected_prev:
        detail = f"prev_hash of seq {record.seq} is not the stored hash of seq {last_seq}"
        store.add_problem(chain_id, FORK, record.seq, record.record_id, detail)
        result.reject(record.record_id, FORK, detail)
        return
    store.store_record(record.record_id, chain_id, record.seq, record.record_hash, body)
    result.accepted.append(record.record_id)

"""Administrator commands on the city database: seal status changes, API tokens, the record listing.

They work on the database file directly (the server may be running: SQLite WAL allows it), the way a city
operator's console would, so there is no admin endpoint an API token could reach.
"""

from __future__ import annotations

import json
import secrets
from typing import TextIO

from .storage import Store


def set_status(store: Store, seal_id: str, status: str, reason: str | None, out: TextIO) -> int:
    if not store.set_seal_status(seal_id, status, reason):
        print(f"citysim: no holder registered seal {seal_id!r}", file=out)
        return 2
    print(f"seal {seal_id}: {status}" + (f" ({reason})" if reason else ""), file=out)
    return 0


def add_token(store: Store, out: TextIO) -> int:
    """Print a new random API token once; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    store.add_token(token)
    print(token, file=out)
    return 0


def list_records(store: Store, as_json: bool, out: TextIO) -> int:
    rows = store.all_records()
    if as_json:
        keys = ("chain_id", "seq", "record_id", "record_hash", "received_at")
        json.dump([dict(zip(keys, row, strict=True)) for row in rows], out, ensure_ascii=False, indent=1)
        print(file=out)
        return 0
    for chain_id, seq, record_id, record_hash, received_at in rows:
        print(f"{chain_id}\t{seq}\t{record_id}\t{record_hash[:16]}…\t{received_at}", file=out)
    print(f"{len(rows)} records", file=out)
    return 0

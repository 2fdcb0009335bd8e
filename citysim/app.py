"""The FastAPI application: routes of resources/city-api.yaml over a `Store` and the city's trust roots.

Bodies are parsed here, not by pydantic models, so every malformed request gets the contract's error body
(`bad_request`, status 400) instead of FastAPI's 422 shape. Blocking work (SQLite, certificate paths) runs in
the thread pool.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import API_PREFIX, MAX_RECORDS_PER_REQUEST, NONCE_LIFETIME_S
from .auth import BearerAuth
from .checks import proof_problem, trust_problem
from .errors import (
    BAD_REQUEST,
    CERTIFICATE_UNTRUSTED,
    CHALLENGE_INVALID,
    INTERNAL,
    NOT_FOUND,
    PROOF_INVALID,
    TOO_MANY_RECORDS,
    ApiError,
)
from .ingest import ingest
from .storage import RegisteredKey, Store, now_text

MAX_BODY_BYTES = 64 * 1024 * 1024
"""500 records of a few KiB each fit many times over; anything bigger is refused before parsing."""
MAX_AUDIT_LIMIT = 1000

log = logging.getLogger("citysim")


@dataclass(frozen=True)
class CityConfig:
    store: Store
    trust_roots: tuple[bytes, ...]


def create_app(store: Store, trust_roots: Sequence[bytes], *, rate_limit: float | None = None) -> FastAPI:
    """The ASGI app; `trust_roots` are DER certificates registration chains must end in; `rate_limit` is
    requests per second per API token (None: unlimited)."""
    config = CityConfig(store, tuple(trust_roots))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.checkpoint()  # uvicorn re-raises SIGTERM after shutdown: this is the last moment we run

    app = FastAPI(title="citysim", version="1", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    # the binding description is resources/city-api.yaml; FastAPI's generated one is only compared with it
    app.state.config = config

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = NOT_FOUND if exc.status_code == 404 else BAD_REQUEST
        return JSONResponse({"error": code, "detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _internal(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        return JSONResponse({"error": INTERNAL, "detail": "internal server error"}, status_code=500)

    @app.post(API_PREFIX + "/holders/challenge", operation_id="createChallenge")
    async def challenge(request: Request) -> JSONResponse:
        body = await _json_body(request, allow_empty=True)
        if not isinstance(body, dict):
            raise ApiError(400, BAD_REQUEST, "the body must be a JSON object ({})")
        return JSONResponse(await run_in_threadpool(_challenge, config))

    @app.post(API_PREFIX + "/holders", operation_id="registerHolder")
    async def register(request: Request) -> JSONResponse:
        body = await _json_body(request)
        status, result = await run_in_threadpool(_register, config, body)
        return JSONResponse(result, status_code=status)

    @app.get(API_PREFIX + "/seals/{seal_id}/status", operation_id="getSealStatus")
    async def seal_status(seal_id: str) -> JSONResponse:
        found = await run_in_threadpool(config.store.seal_status, seal_id)
        if found is None:
            raise ApiError(404, NOT_FOUND, "no holder registered this seal")
        status, reason = found
        return JSONResponse({"seal_id": seal_id, "status": status, "checked_at": now_text(), "reason": reason})

    @app.post(API_PREFIX + "/usage-records", operation_id="uploadUsageRecords")
    async def upload(request: Request) -> JSONResponse:
        body = await _json_body(request)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            raise ApiError(400, BAD_REQUEST, 'the body must be {"records": [...]} with at least one record')
        if len(records) > MAX_RECORDS_PER_REQUEST:
            raise ApiError(413, TOO_MANY_RECORDS, f"at most {MAX_RECORDS_PER_REQUEST} records per request, got {len(records)}")
        result = await run_in_threadpool(ingest, config.store, records)
        return JSONResponse(result.to_json())

    @app.get(API_PREFIX + "/holders/{holder_id}/usage-records", operation_id="listUsageRecords")
    async def audit(request: Request, holder_id: str) -> JSONResponse:
        query = request.query_params
        after_seq = _int_param(query.get("after_seq"), "after_seq", default=0, low=0, high=2**53 - 1)
        limit = _int_param(query.get("limit"), "limit", default=500, low=1, high=MAX_AUDIT_LIMIT)
        return JSONResponse(await run_in_threadpool(_audit, config, holder_id, query.get("chain_id"), after_seq, limit))

    app.add_middleware(BearerAuth, store=store, rate_limit=rate_limit)
    return app


# --- request parsing ------------------------------------------------------------------------------
async def _json_body(request: Request, *, allow_empty: bool = False) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, TOO_MANY_RECORDS, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():  # chunked bodies have no Content-Length: count while reading
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, TOO_MANY_RECORDS, f"the request body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip() and allow_empty:
        return {}
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, BAD_REQUEST, f"the body is not UTF-8 JSON ({exc})") from None


def _int_param(text: str | None, name: str, *, default: int, low: int, high: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, BAD_REQUEST, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise ApiError(400, BAD_REQUEST, f"{name} must be between {low} and {high}")
    return value


def _string(body: dict, name: str, *, optional: bool = False, max_length: int = 1000) -> str | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise ApiError(400, BAD_REQUEST, f"{name} must be a non-empty string of at most {max_length} characters")
    return value


def _base64(text: str, name: str, code: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(400, code, f"{name} is not valid base64") from None


# --- handlers (run in the thread pool) -------------------------------------------------------------
def _challenge(config: CityConfig) -> dict[str, str]:
    nonce = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    expires = time.time() + NONCE_LIFETIME_S
    config.store.add_nonce(nonce, expires)
    expires_at = datetime.fromtimestamp(expires, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"nonce": nonce, "expires_at": expires_at}


def _register(config: CityConfig, body: Any) -> tuple[int, dict[str, Any]]:
    """Challenge, trust and proof first; only then does anything about the holder get stored."""
    if not isinstance(body, dict):
        raise ApiError(400, BAD_REQUEST, "the body must be a JSON object")
    nonce = _string(body, "nonce", max_length=200)
    certificate_text = _string(body, "certificate", max_length=100_000)
    token_serial = _string(body, "token_serial", max_length=200)
    chain_id = _string(body, "chain_id", max_length=1000)
    name = _string(body, "name", max_length=500)
    organisation = _string(body, "organisation", max_length=500)
    holder_id = _string(body, "holder_id", optional=True, max_length=100)
    proof_text = _string(body, "proof", max_length=10_000)
    seal_ids = body.get("seal_ids")
    if (
        not isinstance(seal_ids, list)
        or not 1 <= len(seal_ids) <= 100
        or not all(isinstance(s, str) and s.strip() and len(s) <= 200 for s in seal_ids)
    ):
        raise ApiError(400, BAD_REQUEST, "seal_ids must be a list of 1 to 100 non-empty strings")
    assert nonce and certificate_text and token_serial and chain_id and name and organisation and proof_text

    store = config.store
    if not nonce.isascii() or not store.consume_nonce(nonce, time.time()):
        raise ApiError(400, CHALLENGE_INVALID, "the nonce is unknown, already used or expired; ask for a new challenge")
    certificate = _base64(certificate_text, "certificate", BAD_REQUEST)
    problem = trust_problem(certificate, config.trust_roots)
    if problem is not None:
        raise ApiError(400, CERTIFICATE_UNTRUSTED, f"the certificate does not chain to a trusted root: {problem}")
    proof = _base64(proof_text, "proof", PROOF_INVALID)
    problem = proof_problem(certificate, nonce, proof)
    if problem is not None:
        raise ApiError(400, PROOF_INVALID, f"the proof of possession does not verify: {problem}")

    cert_sha256 = hashlib.sha256(certificate).hexdigest()
    with store.transaction():
        if holder_id is not None and not store.holder_exists(holder_id):
            raise ApiError(404, NOT_FOUND, "holder_id names no registered holder")
        owner = store.holder_of_cert(cert_sha256)
        if owner is not None and holder_id is not None and owner != holder_id:
            raise ApiError(400, BAD_REQUEST, "this certificate is registered to another holder")
        target = owner or holder_id or str(uuid.uuid4())
        chain_owner = store.holder_of_chain(chain_id)
        if chain_owner is not None and chain_owner != target:
            raise ApiError(400, BAD_REQUEST, "this chain_id is registered to another holder")
        for seal_id in seal_ids:
            seal_owner = store.holder_of_seal(seal_id)
            if seal_owner is not None and seal_owner != target:
                raise ApiError(400, BAD_REQUEST, f"seal {seal_id!r} is registered to another holder")
        known = cert_sha256 in store.certificates_of_chain(chain_id)
        if not store.holder_exists(target):
            store.add_holder(target, name, organisation)
        store.add_key(RegisteredKey(cert_sha256, chain_id, target, certificate), token_serial)
        for seal_id in seal_ids:
            store.add_seal(seal_id, target)
        seals = store.seals_of(target)
    log.info("registered key %s… for holder %s (chain %r)", cert_sha256[:16], target, chain_id)
    return (200 if known else 201), {"holder_id": target, "chain_id": chain_id, "seal_ids": seals}


def _audit(config: CityConfig, holder_id: str, chain_id: str | None, after_seq: int, limit: int) -> dict[str, Any]:
    store = config.store
    if not store.holder_exists(holder_id):
        raise ApiError(404, NOT_FOUND, "no such holder")
    chains = store.chains_of(holder_id)
    if chain_id is not None:
        if chain_id not in chains:
            raise ApiError(404, NOT_FOUND, "the holder has no such chain")
        chains = [chain_id]
    heads = [store.head(c) for c in chains]
    return {
        "records": [json.loads(body) for body in store.records(chains, after_seq, limit)],
        "chains": [{"chain_id": h.chain_id, "last_seq": h.last_seq, "last_hash": h.last_hash, "count": h.count} for h in heads],
        "problems": store.problems(chains),
    }

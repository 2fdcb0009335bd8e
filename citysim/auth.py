"""Bearer-token authentication for everything under the API prefix, before any route or body parsing runs.

An ASGI middleware rather than a FastAPI dependency: a dependency runs after FastAPI has read and parsed the
body, so a request without a valid token could still learn something from a 400. Here it gets 401 and no data.
The token itself is never logged: uvicorn's access log prints the request line only, never headers.
"""

from __future__ import annotations

import json
import math
import threading
import time
from typing import Any

from starlette.concurrency import run_in_threadpool

from . import API_PREFIX
from .errors import RATE_LIMITED, UNAUTHORIZED
from .storage import Store, token_hash

_BODY = json.dumps({"error": UNAUTHORIZED, "detail": "a valid bearer token is required"}).encode("utf-8")


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


class RateLimiter:
    """A token bucket per API token: `rate` requests per second, bursts of up to max(1, rate)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_needed(self, key: str) -> float:
        """0 if a request may go now (and count it), else the seconds until one may."""
        now = time.monotonic()
        with self._lock:
            level, last = self._buckets.get(key, (self.capacity, now))
            level = min(self.capacity, level + (now - last) * self.rate)
            if level >= 1.0:
                self._buckets[key] = (level - 1.0, now)
                return 0.0
            self._buckets[key] = (level, now)
            return (1.0 - level) / self.rate


async def _send_error(send: Any, status: int, code: str, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps({"error": code, "detail": detail}).encode("utf-8")
    start_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": body})


class BearerAuth:
    """ASGI middleware: 401 `unauthorized` unless the request carries a token whose hash is in the store;
    with a rate limit, 429 `rate_limited` and `Retry-After` for a token over it."""

    def __init__(self, app: Any, store: Store, rate_limit: float | None = None) -> None:
        self.app = app
        self.store = store
        self.limiter = RateLimiter(rate_limit) if rate_limit else None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            token = bearer_token(scope["headers"])
            # in the thread pool: the store's lock may be held by a long upload transaction
            if token is None or not await run_in_threadpool(self.store.token_known, token):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", str(len(_BODY)).encode()),
                            (b"www-authenticate", b'Bearer realm="citysim"'),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": _BODY})
                return
            wait = self.limiter.wait_needed(token_hash(token)) if self.limiter else 0.0
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                detail = f"more than {self.limiter.rate:g} requests per second; retry after {seconds} s"
                await _send_error(send, 429, RATE_LIMITED, detail, [(b"retry-after", str(seconds).encode())])
                return
        await self.app(scope, receive, send)

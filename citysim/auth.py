"""Bearer-token authentication for everything under the API prefix, before any route or body parsing runs.

An ASGI middleware rather than a FastAPI dependency: a dependency runs after FastAPI has read and parsed the
body, so a request without a valid token could still learn something from a 400. Here it gets 401 and no data.
The token itself is never logged: uvicorn's access log prints the request line only, never headers.
"""

from __future__ import annotations

import json
from typing import Any

from . import API_PREFIX
from .errors import UNAUTHORIZED
from .storage import Store

_BODY = json.dumps({"error": UNAUTHORIZED, "detail": "a valid bearer token is required"}).encode("utf-8")


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


class BearerAuth:
    """ASGI middleware: 401 `unauthorized` unless the request carries a token whose hash is in the store."""

    def __init__(self, app: Any, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            token = bearer_token(scope["headers"])
            if token is None or not self.store.token_known(token):
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
        await self.app(scope, receive, send)

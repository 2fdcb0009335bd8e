"""Seals made in tests: a GB/T 38540 v4 seal signed by a software maker (an ECDSA key from pdf_helpers)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from pdf_helpers import Issued, seal_png

from app.core.ses import SealPicture, build_seal_v4, kinds


def make_seal(
    maker: Issued,
    certs: Sequence[bytes],
    *,
    seal_type: int = kinds.PERSONAL,
    name: str = "测试印章",
    start: dt.datetime | None = None,
    days: int = 365,
    size_mm: float = 20.0,
    es_id: str | None = None,
    picture: bytes | None = None,
) -> bytes:
    """DER of a v4 seal binding `certs`, valid from `start` (default yesterday) for `days`; its picture
    is `picture` (PNG bytes; default pdf_helpers.seal_png())."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = start or now - dt.timedelta(days=1)
    return build_seal_v4(
        es_id=es_id or f"TEST{uuid.uuid4().hex[:12].upper()}",
        vid="SealDesk-Test",
        seal_type=seal_type,
        name=name,
        certs=list(certs),
        create_date=now,
        valid_start=start,
        valid_end=start + dt.timedelta(days=days),
        picture=SealPicture("PNG", picture or seal_png(), size_mm, size_mm),
        maker_cert=maker.cert_der,
        sign_alg="1.2.840.10045.4.3.2",
        sign=lambda tbs: maker.key.sign(tbs, ec.ECDSA(hashes.SHA256())),
    )

"""The one small interface every key type plugs into: sign a precomputed digest.

PDF signing (pdf/sign.py) and the usage log (usage/log.py) both take a `DigestSigner`;
tokens.TokenDigestSigner implements it for PKCS#11 keys, and tests use a software key with the same
shape. A new kind of key (an SKF SM2 key, a remote signing service) only has to provide these four members.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class DigestSigner(Protocol):
    """A key that signs a precomputed digest."""

    certificate: bytes
    """DER signing certificate."""
    key_type: str
    """"rsa" or "ec"."""
    scheme: str
    """"pkcs1v15", "pss" (MGF1 with the same hash, salt length = digest length) or "ecdsa"."""

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        """PKCS#1 v1.5 / PSS signature bytes, or a DER ECDSA signature, of `digest`."""
        ...

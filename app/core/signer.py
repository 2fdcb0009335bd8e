"""The one small interface every key type plugs into: sign a precomputed digest.

PDF signing (pdf/sign.py) and the usage log (usage/log.py) both take a `DigestSigner`;
tokens.TokenDigestSigner implements it for PKCS#11 keys, and tests use a software key with the same
shape. A new kind of key (an SKF SM2 key, a remote signing service) only has to provide these four members.
SM2 keys sign messages instead (`Sm2MessageSigner`, pdf/sm2_cms.py; `KeySession.sm2_signer`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class DigestSigner(Protocol):
    """A key that signs a precomputed digest."""

    certificate: bytes
    """DER signing certificate."""
    key_type: str
    """"rsa", "ec" or "sm2". An "sm2" signer also has `sign_message(message) -> DER (r, s)` (Sm2MessageSigner):
    SM2 signs the message with Z and SM3, so the usage log gives it the record's bytes, not a digest."""
    scheme: str
    """"pkcs1v15", "pss" (MGF1 with the same hash, salt length = digest length), "ecdsa" or "sm2"."""

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        """PKCS#1 v1.5 / PSS signature bytes, or a DER ECDSA signature, of `digest`."""
        ...

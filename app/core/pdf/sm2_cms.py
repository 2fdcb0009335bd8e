"""SM2/SM3 CMS signatures for PDFs (GM/T 0010 algorithms in a PAdES-style signature dictionary).

pyHanko does everything PDF (incremental update, placeholder, byte ranges, widgets, appearance) and
assembles the CMS SignedData; this module only provides the pyHanko `Signer` whose raw signature is SM2
and whose algorithms say so: digestAlgorithm SM3 (1.2.156.10197.1.401), signatureAlgorithm
SM2-with-SM3 (1.2.156.10197.1.501), content types from PKCS#7 (why: docs/signature-format.md). The
key is anything following `Sm2MessageSigner` — the token session's `sm2_signer(key_id)` or a software
key in tests — and signs the DER signed attributes as a *message* (Z and SM3 are part of SM2 itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from .. import gm
from ..errors import CertificateInvalid, MechanismUnsupported, SigningFailed

SM2_MAX_SIGNATURE_SIZE = 72
"""DER SEQUENCE { r, s } of two 256-bit integers, both with a leading zero byte at worst."""

SM2_HASH = "sm3"
"""The digest of every SM2 PDF signature (message digest over the byte ranges, SignerInfo)."""

TIMESTAMP_HASH = "sha256"
"""Message imprint of an SM2 signature's RFC 3161 timestamp (what every TSA accepts)."""


@runtime_checkable
class Sm2MessageSigner(Protocol):
    """An SM2 key that signs a message (SM2 computes e = SM3(Z ‖ M) itself, Z from the certificate's
    public key and the default ID 1234567812345678)."""

    certificate: bytes
    """DER signing certificate (SM2 public key)."""

    def sign_message(self, message: bytes) -> bytes:
        """DER SEQUENCE { r, s } SM2 signature over `message`."""
        ...


def sm2_signature_mechanism():
    """The SignerInfo's signatureAlgorithm: SM2-with-SM3 (1.2.156.10197.1.501), no parameters."""
    from asn1crypto import algos

    gm.register_oids()
    return algos.SignedDigestAlgorithm({"algorithm": "sm2_sm3"})


def _make_sm2_signer_class():
    """Build Sm2PdfSigner lazily: its base class lives in pyHanko."""
    from asn1crypto import x509
    from pyhanko.sign.attributes import TSTProvider, UnsignedAttributeProviderSpec
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    from .sign import seal_signer_base

    class _Sha256Timestamp(UnsignedAttributeProviderSpec):
        def __init__(self, timestamper):
            self.timestamper = timestamper

        def unsigned_attr_providers(self, signature: bytes, signed_attrs, digest_algorithm: str):
            if self.timestamper is not None:
                yield TSTProvider(
                    digest_algorithm=TIMESTAMP_HASH, data_to_ts=signature, timestamper=self.timestamper
                )

    class Sm2PdfSigner(seal_signer_base()):
        """pyHanko Signer over an Sm2MessageSigner: the key signs the DER signed attributes."""

        def __init__(
            self, message_signer: Sm2MessageSigner, *, chain: Sequence[bytes] = (), seal_der: bytes | None
        ):
            gm.register_oids()
            try:
                cert_der = bytes(message_signer.certificate)
                cert = x509.Certificate.load(cert_der)
                cert.native  # noqa: B018 - parse fully now, not halfway through signing
                self._point = gm.sm2_public_point_from_cert(cert_der)
                chain_certs = [x509.Certificate.load(bytes(c)) for c in chain]
                for c in chain_certs:
                    c.native  # noqa: B018
            except Exception as exc:  # noqa: BLE001
                raise CertificateInvalid(f"{type(exc).__name__}: {exc}") from exc
            if not gm.is_sm2_certificate(cert_der):
                raise MechanismUnsupported("the certificate's key is not an SM2 key", mechanism="sm2")
            if not callable(getattr(message_signer, "sign_message", None)):
                raise MechanismUnsupported(
                    "an SM2 certificate, but a signer without sign_message", mechanism="sm2"
                )
            self._message_signer = message_signer
            self._seal_der = seal_der
            super().__init__(
                signing_cert=cert,
                cert_registry=SimpleCertificateStore.from_certs([cert, *chain_certs]),
                signature_mechanism=sm2_signature_mechanism(),
                embed_roots=True,
            )

        def _unsigned_attr_provider_spec(self, timestamper=None):
            # the signature timestamp's imprint is SHA-256, not the signature's SM3: RFC 3161 services
            # outside China rarely accept SM3 imprints (see docs/signature-format.md)
            return _Sha256Timestamp(timestamper)

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run=False) -> bytes:
            if dry_run:
                return bytes(SM2_MAX_SIGNATURE_SIZE)
            if digest_algorithm.lower() != SM2_HASH:
                raise SigningFailed(f"SM2 signs with SM3, asked for {digest_algorithm}")
            signature = bytes(self._message_signer.sign_message(data))
            # a key/certificate mismatch (or a token returning junk) never reaches a file
            if not gm.sm2_verify(self._point, data, signature):
                raise SigningFailed(
                    "the key's SM2 signature does not verify with the certificate's public key"
                )
            return signature

    return Sm2PdfSigner


_SM2_SIGNER_CLASS = None


def sm2_pdf_signer(
    message_signer: Sm2MessageSigner, *, chain: Sequence[bytes] = (), seal_der: bytes | None = None
):
    """A pyHanko `Signer` (class Sm2PdfSigner) producing an SM2/SM3 CMS with `message_signer`'s key."""
    global _SM2_SIGNER_CLASS
    if _SM2_SIGNER_CLASS is None:
        _SM2_SIGNER_CLASS = _make_sm2_signer_class()
    return _SM2_SIGNER_CLASS(message_signer, chain=chain, seal_der=seal_der)


def signed_attrs_der(signer_info) -> bytes:
    """The DER the SM2 signature covers: the signed attributes re-tagged as SET OF (RFC 5652 5.4)."""
    return b"\x31" + signer_info["signed_attrs"].dump()[1:]

"""Value objects for seals (SESeal), seal signatures (SES_Signature) and their verification results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..errors import (
    CertificateExpired,
    CertificateNotYetValid,
    SealDeskError,
    SealExpired,
    SealNotBound,
    SealNotYetValid,
)
from .kinds import SealKind, kind_of


@dataclass(frozen=True)
class SealPicture:
    """The seal image as stored in SES_ESPictrueInfo."""

    type: str
    """Picture type as stored, upper-cased: PNG, GIF, JPG, BMP, SVG, OFD…"""
    data: bytes
    width_mm: float
    """Display width in millimetres."""
    height_mm: float
    """Display height in millimetres."""


@dataclass(frozen=True)
class Seal:
    """A parsed electronic seal (SESeal) of any supported version."""

    version: int
    """1 (GM/T 0031-2014), 4 (GB/T 38540-2020) or 5 (GM/T 0031-2025)."""
    vid: str
    """Header Vid: the vendor id."""
    es_id: str
    type: int
    name: str
    cert_list_type: int
    """1 = certificates, 2 = certificate digests (v1: always 1)."""
    certs: tuple[bytes, ...]
    """DER certificates bound to the seal (certListType 1)."""
    cert_digests: tuple[tuple[str, bytes], ...]
    """(digest type as written, e.g. "SM3"/"SHA256", value) (certListType 2)."""
    create_date: datetime
    valid_start: datetime
    valid_end: datetime
    picture: SealPicture
    maker_cert: bytes
    """DER of the seal maker's certificate."""
    sign_alg: str
    """Dotted OID of the maker's signature algorithm."""
    signed_value: bytes
    """Maker signature (DER r,s for SM2/ECDSA; raw for RSA)."""
    der: bytes
    """The whole SESeal as given."""
    maker_tbs: bytes = b""
    """The original bytes the maker signature covers (v1: SEQUENCE{SealInfo, cert, alg}; v4/v5: SealInfo)."""
    time_stamp: bytes | None = None
    """v5 only: the optional time stamp on the seal."""

    @property
    def kind(self) -> SealKind:
        return kind_of(self.type, self.name)


@dataclass(frozen=True)
class SealCheck:
    """Result of checking a seal at one moment (see docs/seal-format.md for the order of checks)."""

    checked_at: datetime
    maker_signature_ok: bool
    maker_cert_valid: bool
    """The maker certificate's own validity window contains `checked_at`."""
    within_validity: bool
    """validStart <= checked_at <= validEnd."""
    bound: bool | None
    """The signing certificate is in certList / its digest in certDigestList; None when none was given."""
    problems: tuple[SealDeskError, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def status(self) -> str:
        """"valid" | "expired" | "not_yet_valid" | "invalid" | "not_bound" (the most serious one)."""
        if not self.maker_signature_ok or (self.problems and not self._explained()):
            return "invalid"
        if any(isinstance(p, SealExpired | CertificateExpired) for p in self.problems):
            return "expired"
        if any(isinstance(p, SealNotYetValid | CertificateNotYetValid) for p in self.problems):
            return "not_yet_valid"
        if self.bound is False:
            return "not_bound"
        return "valid"

    def _explained(self) -> bool:
        known = SealExpired | CertificateExpired | SealNotYetValid | CertificateNotYetValid | SealNotBound
        return all(isinstance(p, known) for p in self.problems)


@dataclass(frozen=True)
class SesSignature:
    """A parsed electronic signature (SES_Signature, v1 or v4)."""

    version: int
    seal: Seal
    time_info: datetime
    data_hash: bytes
    property_info: str
    cert: bytes
    """DER of the signer's certificate."""
    sign_alg: str
    signature: bytes
    tbs_der: bytes
    """The original bytes of TBS_Sign (what `signature` covers)."""
    timestamp: bytes | None
    der: bytes


@dataclass(frozen=True)
class SesSignatureCheck:
    signature_ok: bool
    data_hash_ok: bool | None
    """None when no data was given to compare against."""
    seal_check: SealCheck
    problems: tuple[SealDeskError, ...]

    @property
    def ok(self) -> bool:
        return self.signature_ok and self.data_hash_ok is not False and not self.problems

"""Certificate summaries: what a holder needs to see about a cert, and the expiry window.

Read with asn1crypto rather than `cryptography` because Chinese certificates carry SM2 keys, which
`cryptography` cannot load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .clock import Clock, utc_now
from .errors import CertificateExpired, CertificateInvalid, CertificateNotYetValid

EXPIRY_WARNING_DAYS = 90
"""Warn (do not refuse) inside this many days before a cert or seal expires."""

_CURVE_NAMES = {
    "1.2.156.10197.1.301": "SM2",
    "sm2p256v1": "SM2",  # the name once gm.register_oids() has run
    "secp256r1": "P-256",
    "secp384r1": "P-384",
    "secp521r1": "P-521",
}


@dataclass(frozen=True)
class CertSummary:
    subject: str
    """Subject as a readable one-line string (CN, O, OU, C …)."""
    subject_cn: str
    subject_org: str
    serial_hex: str
    issuer: str
    not_before: datetime
    not_after: datetime
    algorithm: str
    """Key algorithm and size, e.g. "RSA-2048", "EC P-256", "SM2"."""
    sha256: str
    """SHA-256 fingerprint of the DER certificate, hex."""

    def days_to_expiry(self, clock: Clock = utc_now) -> int:
        return (self.not_after - clock()).days

    def is_valid_at(self, moment: datetime) -> bool:
        return self.not_before <= moment <= self.not_after

    def expiring_soon(self, clock: Clock = utc_now) -> bool:
        """True inside the warning window before expiry (and not yet expired)."""
        return 0 <= self.days_to_expiry(clock) < EXPIRY_WARNING_DAYS


def _name_to_text(name) -> str:  # asn1crypto.x509.Name
    parts = []
    for rdn in name.chosen:
        for attr in rdn:
            key = attr["type"].native
            short = {
                "common_name": "CN",
                "organization_name": "O",
                "organizational_unit_name": "OU",
                "country_name": "C",
                "state_or_province_name": "ST",
                "locality_name": "L",
                "serial_number": "SERIALNUMBER",
                "email_address": "E",
            }.get(key, key)
            parts.append(f"{short}={attr['value'].native}")
    return ", ".join(parts)


def _key_algorithm(public_key_info) -> str:
    algo = public_key_info["algorithm"]["algorithm"].native
    if algo == "rsa":
        return f"RSA-{public_key_info.bit_size}"
    if algo == "ec":
        params = public_key_info["algorithm"]["parameters"]
        curve = params.chosen.native if params.name == "named" else "explicit"
        curve_name = _CURVE_NAMES.get(curve, curve)
        return "SM2" if curve_name == "SM2" else f"EC {curve_name}"
    if algo in ("1.2.156.10197.1.301", "sm2"):
        return "SM2"
    return str(algo)


def key_family(algorithm: str) -> str:
    """"sm2", "rsa" or "ec" for a CertSummary.algorithm ("SM2", "RSA-2048", "EC P-256"); lower-case otherwise."""
    if algorithm == "SM2":
        return "sm2"
    if algorithm.startswith("RSA-"):
        return "rsa"
    if algorithm.startswith("EC "):
        return "ec"
    return algorithm.lower()


def summarize(cert_der: bytes) -> CertSummary:
    """Summarise a DER certificate; raises CertificateInvalid for unreadable input."""
    import hashlib

    from asn1crypto import x509

    try:
        cert = x509.Certificate.load(cert_der)
        tbs = cert["tbs_certificate"]
        subject = tbs["subject"]
        validity = tbs["validity"]
        subject_native = subject.native
        return CertSummary(
            subject=_name_to_text(subject),
            subject_cn=str(subject_native.get("common_name", "")),
            subject_org=str(subject_native.get("organization_name", "")),
            serial_hex=format(tbs["serial_number"].native, "X"),
            issuer=_name_to_text(tbs["issuer"]),
            not_before=validity["not_before"].native,
            not_after=validity["not_after"].native,
            algorithm=_key_algorithm(tbs["subject_public_key_info"]),
            sha256=hashlib.sha256(cert_der).hexdigest(),
        )
    except (ValueError, TypeError, KeyError) as exc:
        raise CertificateInvalid(f"{type(exc).__name__}: {exc}") from exc


def check_validity(summary: CertSummary, clock: Clock = utc_now) -> None:
    """Raise CertificateExpired / CertificateNotYetValid when the cert is unusable now."""
    now = clock()
    if now > summary.not_after:
        raise CertificateExpired(date=summary.not_after.date().isoformat())
    if now < summary.not_before:
        raise CertificateNotYetValid(date=summary.not_before.date().isoformat())

"""The city's own cryptographic checks: is a certificate trusted, is a proof of possession good.

The server never takes the client's word: the certificate must chain to one of the city's roots, the proof is
checked against that certificate with the same function the client signs for (`message_signature_problem`),
and records are later checked only against certificates that passed here.

Chain validation is SealDesk's own (`app.core.verification.maker_trust_problem`, the check seal makers
pass: full path validation for RSA/ECDSA, a one-level path for SM2). A stricter check for one signature
algorithm (e.g. full SM2 path validation once it exists) plugs in as one entry of `TRUST_CHECKS`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from app.core.usage.records import UNSUPPORTED_PREFIX, message_signature_problem

REGISTER_CONTEXT = b"sealdesk-city-register-v1\n"

TrustCheck = Callable[[bytes, Sequence[bytes], datetime], str | None]
"""(certificate DER, trusted root DERs, now) → why the certificate is not trusted, or None."""


def registration_message(nonce: str, certificate_der: bytes) -> bytes:
    """The bytes a holder's key signs to register: context, nonce and the certificate's SHA-256 (contract)."""
    return REGISTER_CONTEXT + nonce.encode("ascii") + b"\n" + hashlib.sha256(certificate_der).hexdigest().encode("ascii")


def proof_problem(certificate_der: bytes, nonce: str, proof: bytes) -> str | None:
    """Why `proof` is not the certificate's key's signature over the registration message, or None."""
    problem = message_signature_problem(certificate_der, registration_message(nonce, certificate_der), proof)
    if problem is not None and problem.startswith(UNSUPPORTED_PREFIX):
        return f"the proof cannot be checked: {problem}"
    return problem


def chain_problem(certificate_der: bytes, roots: Sequence[bytes], now: datetime) -> str | None:
    """SealDesk's own chain check (`maker_trust_problem`: pyhanko-certvalidator for RSA/ECDSA without network
    fetching, a one-level path for SM2), then the key usage a signing certificate needs."""
    from asn1crypto import x509

    from app.core.verification import maker_trust_problem

    try:
        cert = x509.Certificate.load(certificate_der)
        usage = cert.key_usage_value  # parses the extensions: a broken certificate is "untrusted", not a crash
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises several types for broken DER
        return f"the certificate cannot be read ({exc})"
    problem = maker_trust_problem(certificate_der, list(roots), now)
    if problem is not None:
        return problem
    if usage is not None and not ({"digital_signature", "non_repudiation"} & set(usage.native)):
        return "the certificate's key usage allows neither digitalSignature nor nonRepudiation"
    return None


def sm2_chain_problem(certificate_der: bytes, roots: Sequence[bytes], now: datetime) -> str | None:
    """SM2 certificates: SealDesk's SM2 path validation (`validate_sm2_chain`: every link's SM2 signature,
    validity, CA constraints, a signing key usage). The registration carries no intermediates, so the holder's
    certificate must be issued by a trusted root — or an intermediate given as a trust root."""
    from app.core.sm2_chain import validate_sm2_chain

    result = validate_sm2_chain(certificate_der, trust_roots=roots, moment=now)
    return None if result.trusted else f"{result.problem}: {result.detail}"


def _sm2_checks() -> dict[str, TrustCheck]:
    from app.core import gm

    return {gm.SM2_WITH_SM3_OID: sm2_chain_problem, gm.SM2_SIGN_OID: sm2_chain_problem}


TRUST_CHECKS: dict[str, TrustCheck] = _sm2_checks()
"""Signature-algorithm OID (dotted) of the certificate → a check replacing `chain_problem` for it."""


def trust_problem(certificate_der: bytes, roots: Sequence[bytes], now: datetime | None = None) -> str | None:
    """Why the certificate does not chain to one of `roots` (or is not valid now), or None if it does."""
    from asn1crypto import x509

    if not roots:
        return "the city system has no trusted roots configured (--trust-root)"
    try:
        algorithm = x509.Certificate.load(certificate_der)["signature_algorithm"]["algorithm"].dotted
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises several types for broken DER
        return f"the certificate cannot be read ({exc})"
    check = TRUST_CHECKS.get(algorithm, chain_problem)
    return check(certificate_der, roots, now or datetime.now(UTC))

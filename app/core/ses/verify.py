"""Verification of seals and of signatures made with seals.

Order (GB/T 38540 / GM/T 0031): format (done by parsing) → maker signature → maker certificate validity →
seal validity window → binding of the signing certificate. Chains and revocation of the maker's
certificate are the caller's business (they need trust anchors and network access).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from asn1crypto import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .. import gm
from ..clock import Clock, fixed_clock, utc_now
from ..errors import (
    CertificateExpired,
    CertificateInvalid,
    CertificateNotYetValid,
    MakerCertificateExpired,
    MakerCertificateNotYetValid,
    SealDeskError,
    SealExpired,
    SealNotBound,
    SealNotYetValid,
    SealSignatureInvalid,
    StampSignatureInvalid,
)
from .model import Seal, SealCheck, SesSignature, SesSignatureCheck

_ECDSA = {
    "1.2.840.10045.4.3.2": hashes.SHA256,
    "1.2.840.10045.4.3.3": hashes.SHA384,
    "1.2.840.10045.4.3.4": hashes.SHA512,
}
_RSA_PKCS1 = {
    "1.2.840.113549.1.1.11": hashes.SHA256,
    "1.2.840.113549.1.1.12": hashes.SHA384,
    "1.2.840.113549.1.1.13": hashes.SHA512,
}
RSASSA_PSS_OID = "1.2.840.113549.1.1.10"
_SM2 = (gm.SM2_WITH_SM3_OID, gm.SM2_SIGN_OID)

# Clock skew allowed between a signature's claimed time and the verifier's clock.
_FUTURE_TOLERANCE = timedelta(minutes=5)


def _public_key(cert_der: bytes):
    spki = x509.Certificate.load(cert_der)["tbs_certificate"]["subject_public_key_info"].dump()
    return serialization.load_der_public_key(spki)


def signature_algorithm_verify(sign_alg: str, cert_der: bytes, tbs: bytes, signature: bytes) -> bool:
    """Verify `signature` over `tbs` with the key of `cert_der`; False on any mismatch or unknown algorithm.

    SM2-with-SM3 (also the bare SM2 signature OID), ECDSA with SHA-256/384/512, RSA PKCS#1 v1.5 with
    SHA-256/384/512 and RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32: the OID alone carries no parameters).
    """
    try:
        if sign_alg in _SM2:
            return gm.sm2_verify(gm.sm2_public_point_from_cert(cert_der), tbs, signature)
        key = _public_key(cert_der)
        if sign_alg in _ECDSA:
            if not isinstance(key, ec.EllipticCurvePublicKey):
                return False
            key.verify(signature, tbs, ec.ECDSA(_ECDSA[sign_alg]()))
            return True
        if sign_alg in _RSA_PKCS1:
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            key.verify(signature, tbs, padding.PKCS1v15(), _RSA_PKCS1[sign_alg]())
            return True
        if sign_alg == RSASSA_PSS_OID:
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            key.verify(signature, tbs, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    except Exception:  # unreadable certificate or key, malformed signature
        return False
    return False


def _normal_digest_name(name: str) -> str:
    return name.strip().upper().replace("-", "").replace("_", "")


_DIGEST_BY_NAME = {
    "SM3": gm.sm3,
    gm.SM3_OID: gm.sm3,
    "SHA1": lambda data: hashlib.sha1(data).digest(),
    "1.3.14.3.2.26": lambda data: hashlib.sha1(data).digest(),
    "SHA256": lambda data: hashlib.sha256(data).digest(),
    "2.16.840.1.101.3.4.2.1": lambda data: hashlib.sha256(data).digest(),
    "SHA384": lambda data: hashlib.sha384(data).digest(),
    "2.16.840.1.101.3.4.2.2": lambda data: hashlib.sha384(data).digest(),
    "SHA512": lambda data: hashlib.sha512(data).digest(),
    "2.16.840.1.101.3.4.2.3": lambda data: hashlib.sha512(data).digest(),
}


def cert_digest(digest_type: str, cert_der: bytes) -> bytes | None:
    """The digest of a certificate with the algorithm named as in CertDigestObj.type; None if unknown."""
    function = _DIGEST_BY_NAME.get(_normal_digest_name(digest_type))
    return function(cert_der) if function else None


def _is_bound(seal: Seal, signing_cert: bytes) -> bool:
    if seal.cert_list_type == 2:
        return any(cert_digest(kind, signing_cert) == value for kind, value in seal.cert_digests)
    return any(cert == signing_cert for cert in seal.certs)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def cert_validity_problem(
    cert_der: bytes,
    at: datetime,
    what: str,
    *,
    expired: type[SealDeskError] = CertificateExpired,
    not_yet_valid: type[SealDeskError] = CertificateNotYetValid,
) -> SealDeskError | None:
    """`expired` / `not_yet_valid` / CertificateInvalid for `cert_der` at `at`, else None."""
    try:
        validity = x509.Certificate.load(cert_der)["tbs_certificate"]["validity"]
        not_before = validity["not_before"].native
        not_after = validity["not_after"].native
    except Exception as exc:
        return CertificateInvalid(f"{what}: {exc.__class__.__name__}: {exc}")
    if at < not_before:
        return not_yet_valid(f"{what} valid from {not_before.isoformat()}", date=_day(not_before))
    if at > not_after:
        return expired(f"{what} expired {not_after.isoformat()}", date=_day(not_after))
    return None


def verify_seal(seal: Seal, *, clock: Clock = utc_now, signing_cert: bytes | None = None) -> SealCheck:
    """Check a parsed seal at `clock()`; with `signing_cert`, also that the seal is bound to it."""
    checked_at = clock()
    if checked_at.tzinfo is None:
        checked_at = checked_at.replace(tzinfo=UTC)
    problems: list[SealDeskError] = []

    maker_signature_ok = signature_algorithm_verify(seal.sign_alg, seal.maker_cert, seal.maker_tbs, seal.signed_value)
    if not maker_signature_ok:
        problems.append(SealSignatureInvalid(f"v{seal.version} seal {seal.es_id}, algorithm {seal.sign_alg}"))

    cert_problem = cert_validity_problem(
        seal.maker_cert,
        checked_at,
        "seal maker certificate",
        expired=MakerCertificateExpired,
        not_yet_valid=MakerCertificateNotYetValid,
    )
    if cert_problem is not None:
        problems.append(cert_problem)

    within_validity = seal.valid_start <= checked_at <= seal.valid_end
    if checked_at < seal.valid_start:
        problems.append(SealNotYetValid(f"validStart {seal.valid_start.isoformat()}", date=_day(seal.valid_start)))
    elif checked_at > seal.valid_end:
        problems.append(SealExpired(f"validEnd {seal.valid_end.isoformat()}", date=_day(seal.valid_end)))

    bound: bool | None = None
    if signing_cert is not None:
        bound = _is_bound(seal, signing_cert)
        if not bound:
            listed = "certDigestList" if seal.cert_list_type == 2 else "certList"
            problems.append(SealNotBound(f"signing certificate not in the seal's {listed}"))

    return SealCheck(
        checked_at=checked_at,
        maker_signature_ok=maker_signature_ok,
        maker_cert_valid=cert_problem is None,
        within_validity=within_validity,
        bound=bound,
        problems=tuple(problems),
    )


def data_hash_for(sign_alg: str, data: bytes) -> bytes:
    """The dataHash a signer using `sign_alg` puts in TBS_Sign: SM3 for SM2, else the algorithm's SHA-2."""
    if sign_alg in _SM2:
        return gm.sm3(data)
    algorithm = (_ECDSA.get(sign_alg) or _RSA_PKCS1.get(sign_alg) or hashes.SHA256)()
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()


def verify_ses_signature(
    sig: SesSignature, *, data: bytes | None = None, clock: Clock = utc_now
) -> SesSignatureCheck:
    """Check a SES_Signature: its signature over TBS_Sign, the data hash (when `data` is given), the signer
    certificate and the seal, both at the signing time the signature states (timeInfo).

    `clock` only bounds timeInfo: a signature claiming a time in the future is not accepted.
    """
    problems: list[SealDeskError] = []
    signature_ok = signature_algorithm_verify(sig.sign_alg, sig.cert, sig.tbs_der, sig.signature)
    if not signature_ok:
        problems.append(
            StampSignatureInvalid(f"TBS_Sign signature, algorithm {sig.sign_alg}", reason="signature mismatch")
        )

    data_hash_ok: bool | None = None
    if data is not None:
        data_hash_ok = data_hash_for(sig.sign_alg, data) == sig.data_hash
        if not data_hash_ok:
            problems.append(StampSignatureInvalid("dataHash differs", reason="the signed data was changed"))

    if sig.time_info > clock() + _FUTURE_TOLERANCE:
        problems.append(
            StampSignatureInvalid(f"timeInfo {sig.time_info.isoformat()}", reason="signing time in the future")
        )

    cert_problem = cert_validity_problem(sig.cert, sig.time_info, "signer certificate at signing time")
    if cert_problem is not None:
        problems.append(cert_problem)

    seal_check = verify_seal(sig.seal, clock=fixed_clock(sig.time_info), signing_cert=sig.cert)
    problems.extend(seal_check.problems)
    return SesSignatureCheck(
        signature_ok=signature_ok,
        data_hash_ok=data_hash_ok,
        seal_check=seal_check,
        problems=tuple(problems),
    )

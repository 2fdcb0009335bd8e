"""Certificate paths of SM2 certificates to a trusted SM2 root (pyhanko-certvalidator has no SM2).

RFC 5280 path validation, reduced to what an SM2 PKI for seals uses: every link's SM2-with-SM3 signature
(gm.py, default ID), validity at the given moment for every certificate including the root, CA issuers
(basicConstraints cA, keyUsage keyCertSign when present, pathLenConstraint), and the end certificate's
key usage. Paths of any depth through the certificates the signature carries. Revocation is not checked
(the RSA/ECDSA path is soft-fail without fetching, so both find nothing offline). Problems are named with
the AdES sub-indications the pyHanko path reports, so the reports and their texts are the same.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from . import gm

MAX_DEPTH = 8
"""Certificates above the end certificate at most (loops and silly chains stop here)."""

SIGNING_USAGES = frozenset({"digital_signature", "non_repudiation"})
"""Either is enough for a document signature (the same rule as the RSA/ECDSA path)."""

_SM2_SIGNATURES = (gm.SM2_WITH_SM3_OID, gm.SM2_SIGN_OID)


@dataclass(frozen=True)
class ChainResult:
    """Outcome of a path search."""

    problem: str | None
    """None when trusted; else an AdES sub-indication (NO_CERTIFICATE_CHAIN_FOUND, EXPIRED,
    NOT_YET_VALID, CHAIN_CONSTRAINTS_FAILURE, SIG_CONSTRAINTS_FAILURE)."""
    detail: str | None = None
    """Which certificate and why, for the technical detail."""
    path: tuple[bytes, ...] = ()
    """DER certificates from the end certificate to the trusted root, when trusted."""

    @property
    def trusted(self) -> bool:
        return self.problem is None


def _load(der: bytes):
    from asn1crypto import x509

    cert = x509.Certificate.load(bytes(der))
    cert.native  # noqa: B018 - a damaged certificate fails here, not halfway through the path
    return cert


def _label(cert) -> str:
    try:
        return cert.subject.human_friendly
    except Exception:  # noqa: BLE001
        return "?"


def _validity_problem(cert, moment: datetime) -> str | None:
    validity = cert["tbs_certificate"]["validity"]
    if moment < validity["not_before"].native:
        return "NOT_YET_VALID"
    if moment > validity["not_after"].native:
        return "EXPIRED"
    return None


def _signed_by(cert, issuer) -> bool:
    """The issuer's SM2 key signed the certificate (SM2-with-SM3, default ID)."""
    if cert["signature_algorithm"]["algorithm"].dotted not in _SM2_SIGNATURES:
        return False
    try:
        point = gm.sm2_public_point_from_cert(issuer.dump())
    except ValueError:
        return False
    return gm.sm2_verify(point, cert["tbs_certificate"].dump(), cert["signature_value"].native)


def _ca_problem(issuer, below: int) -> str | None:
    """Why `issuer` may not issue a certificate with `below` non-self-issued CA certificates under it."""
    if not issuer.ca:
        return "not a CA (basicConstraints)"
    usage = issuer.key_usage_value
    if usage is not None and "key_cert_sign" not in usage.native:
        return "keyUsage lacks keyCertSign"
    limit = issuer.max_path_length
    if limit is not None and below > limit:
        return f"pathLenConstraint {limit} exceeded"
    return None


def _same_key_and_name(a, b) -> bool:
    return a.subject == b.subject and a.public_key.dump() == b.public_key.dump()


def validate_sm2_chain(
    cert_der: bytes,
    *,
    intermediates: Iterable[bytes] = (),
    trust_roots: Sequence[bytes] = (),
    moment: datetime | None = None,
    key_usage: frozenset[str] | None = SIGNING_USAGES,
) -> ChainResult:
    """The best path from `cert_der` to one of `trust_roots` through `intermediates` at `moment` (now).

    `key_usage`: usages of which the end certificate needs one (None: no requirement, e.g. a seal
    maker). A trust root is the end of a path when the certificate met is the root itself (same DER, or
    the same name and key). Of several failing paths, the one that got furthest names the problem.
    """
    at = (moment or datetime.now(UTC)).replace(microsecond=0)
    return _validate(
        bytes(cert_der), tuple(map(bytes, intermediates)), tuple(map(bytes, trust_roots)), at, key_usage
    )


@functools.lru_cache(maxsize=256)
def _validate(
    cert_der: bytes, intermediates: tuple[bytes, ...], trust_roots: tuple[bytes, ...], at: datetime, key_usage
) -> ChainResult:
    """validate_sm2_chain, memoised: the signatures of one document usually share one chain, and
    parsing certificates costs more than the SM2 arithmetic (validity is judged to the second)."""
    gm.register_oids()
    try:
        leaf = _load(cert_der)
        roots = [_load(r) for r in trust_roots]
        pool = [_load(c) for c in intermediates]
    except Exception as exc:  # noqa: BLE001 - asn1crypto raises several types for damaged input
        return ChainResult("NO_CERTIFICATE_CHAIN_FOUND", f"unreadable certificate: {exc}")
    if not roots:
        return ChainResult("NO_CERTIFICATE_CHAIN_FOUND", "no trusted roots")
    problem = _validity_problem(leaf, at)
    if problem:
        return ChainResult(problem, f"{_label(leaf)}: not valid at {at.isoformat()}")
    if key_usage is not None:
        usage = leaf.key_usage_value
        if usage is not None and not (set(usage.native) & key_usage):
            return ChainResult("SIG_CONSTRAINTS_FAILURE", f"{_label(leaf)}: keyUsage {sorted(usage.native)}")

    failures: list[tuple[int, str, str]] = []  # (depth reached, problem, detail)

    def walk(cert, path: list, below: int) -> tuple | None:
        if any(_same_key_and_name(cert, root) for root in roots):
            return tuple(path)
        if len(path) > MAX_DEPTH:
            failures.append((len(path), "NO_CERTIFICATE_CHAIN_FOUND", "path too long"))
            return None
        found = False
        for issuer in [*roots, *pool]:
            if issuer.subject != cert.issuer or any(issuer.dump() == p.dump() for p in path):
                continue
            if not _signed_by(cert, issuer):
                continue
            found = True
            is_root = any(_same_key_and_name(issuer, root) for root in roots)
            ca_problem = _ca_problem(issuer, below)
            if ca_problem:
                failures.append(
                    (len(path) + 1, "CHAIN_CONSTRAINTS_FAILURE", f"{_label(issuer)}: {ca_problem}")
                )
                continue
            validity = _validity_problem(issuer, at)
            if validity:
                failures.append((len(path) + 1, validity, f"{_label(issuer)}: not valid at {at.isoformat()}"))
                continue
            if is_root:
                return (*path, issuer)
            self_issued = issuer.subject == issuer.issuer
            result = walk(issuer, [*path, issuer], below + (0 if self_issued else 1))
            if result is not None:
                return result
        if not found:
            failures.append(
                (len(path), "NO_CERTIFICATE_CHAIN_FOUND", f"no trusted issuer signed {_label(cert)}")
            )
        return None

    path = walk(leaf, [leaf], 0)
    if path is not None:
        return ChainResult(None, None, tuple(c.dump() for c in path))
    _, code, detail = max(failures, key=lambda f: f[0])
    return ChainResult(code, detail)

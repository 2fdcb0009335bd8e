"""Validate an SM2/SM3 PDF signature (pyHanko's validator has no SM2).

pyHanko still does everything that is not SM2: it parses the signature (EmbeddedPdfSignature), hashes
the byte ranges with SM3, judges the coverage, runs the difference analysis of later revisions and
validates an RFC 3161 signature timestamp (whose TSA signs with RSA/ECDSA). SealDesk adds the SM2
parts: the messageDigest attribute against the byte-range digest, the SM2 signature over the DER signed
attributes with Z from the signer's certificate, and the SM2 chain (sm2_chain.py). The result has the
shape of pyHanko's PdfSignatureStatus as far as verify.py reads it, so RSA/ECDSA and SM2 signatures give
the same SignatureReport and the same verdicts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import gm
from ..sm2_chain import validate_sm2_chain
from .sm2_cms import SM2_HASH, signed_attrs_der

SM2_SIGNATURE_OIDS = (gm.SM2_WITH_SM3_OID, gm.SM2_SIGN_OID)
"""signatureAlgorithm values read as SM2: SM2-with-SM3 (what SealDesk writes) and the bare SM2
signature OID GM/T 0010 names (what some Chinese signers write)."""

_SUBFILTERS = ("/adbe.pkcs7.detached", "/ETSI.CAdES.detached")


@dataclass(frozen=True)
class _Indication:
    name: str


@dataclass(frozen=True)
class Sm2SignatureStatus:
    """What verify._report_one reads from pyHanko's PdfSignatureStatus, for an SM2 signature."""

    intact: bool
    valid: bool
    trusted: bool
    trust_problem_indic: _Indication | None
    signer_reported_dt: datetime | None
    timestamp_validity: Any
    coverage: Any
    modification_level: Any
    docmdp_ok: bool | None
    diff_result: Any
    revoked: bool = False


def is_sm2_signature(embedded) -> bool:
    """The signature's SignerInfo says SM2 (signatureAlgorithm SM2-with-SM3 or the SM2 OID)."""
    try:
        return embedded.signer_info["signature_algorithm"]["algorithm"].dotted in SM2_SIGNATURE_OIDS
    except Exception:  # noqa: BLE001 - an unparseable SignerInfo is pyHanko's to report
        return False


def _attribute(signer_info, name: str):
    attrs = signer_info["signed_attrs"]
    values = [a["values"] for a in attrs if a["type"].native == name]
    if len(values) != 1 or len(values[0]) != 1:
        return None
    return values[0][0]


def _intact(embedded) -> bool:
    """The signed attributes name SM3 and data, and their messageDigest is the byte ranges' SM3 digest."""
    info = embedded.signer_info
    if info["digest_algorithm"]["algorithm"].native != SM2_HASH or not info["signed_attrs"]:
        return False
    content_type = _attribute(info, "content_type")
    digest = _attribute(info, "message_digest")
    if content_type is None or content_type.native != "data" or digest is None:
        return False
    return bytes(digest.native) == embedded.compute_digest()


def _modification_level(coverage, diff_result):
    """pyHanko's PdfSignatureStatus.modification_level, for the same inputs."""
    from pyhanko.sign.diff_analysis import DiffResult, ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if diff_result is None:
        if coverage == SignatureCoverageLevel.ENTIRE_REVISION:
            return None
        return (
            ModificationLevel.NONE
            if coverage == SignatureCoverageLevel.ENTIRE_FILE
            else ModificationLevel.OTHER
        )
    if isinstance(diff_result, DiffResult):
        return diff_result.modification_level
    return ModificationLevel.OTHER


async def _timing(embedded, ts_context) -> dict:
    from pyhanko.sign.validation.generic_cms import collect_timing_info

    return await collect_timing_info(embedded.signer_info, ts_context, raw_digest=embedded.compute_digest)


def validate_sm2_pdf_signature(
    embedded, *, trust_roots: list, moment: datetime | None, diff_policy, ts_validation_context
) -> Sm2SignatureStatus:
    """Validate one SM2 signature: integrity, SM2 value, chain to an SM2 root at `moment`, timestamp.

    `trust_roots`: asn1crypto certificates (the same list the RSA/ECDSA path gets). Raises for a
    signature too damaged to evaluate; verify.py reports that as malformed."""
    from pyhanko.sign.validation.errors import SignatureValidationError

    gm.register_oids()
    subfilter = embedded.sig_object.get("/SubFilter")
    if embedded.sig_object_type != "/Sig" or str(subfilter) not in _SUBFILTERS:
        raise SignatureValidationError(f"SubFilter {subfilter} is not a CMS signature")
    embedded.compute_integrity_info(diff_policy=diff_policy)
    integrity = embedded.summarise_integrity_info()
    timing = asyncio.run(_timing(embedded, ts_validation_context))
    claimed = timing.get("signer_reported_dt") or embedded.self_reported_timestamp

    intact = _intact(embedded)
    cert = embedded.signer_cert
    info = embedded.signer_info
    valid = False
    if intact:
        try:
            point = gm.sm2_public_point_from_cert(cert.dump())
            valid = gm.sm2_verify(point, signed_attrs_der(info), bytes(info["signature"].native))
        except ValueError:
            valid = False
    problem = None
    if intact and valid:
        chain = validate_sm2_chain(
            cert.dump(),
            intermediates=[c.dump() for c in embedded.other_embedded_certs],
            trust_roots=[r.dump() for r in trust_roots],
            moment=moment,
        )
        problem = chain.problem
    return Sm2SignatureStatus(
        intact=intact,
        valid=valid,
        trusted=intact and valid and problem is None,
        trust_problem_indic=_Indication(problem) if problem else None,
        signer_reported_dt=claimed,
        timestamp_validity=timing.get("timestamp_validity"),
        coverage=integrity["coverage"],
        modification_level=_modification_level(integrity["coverage"], integrity["diff_result"]),
        docmdp_ok=integrity["docmdp_ok"],
        diff_result=integrity["diff_result"],
    )

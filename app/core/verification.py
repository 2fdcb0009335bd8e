"""验章: verify a signed document — every signature (pyHanko) and the seal each one carries (GB/T 38540).

The PDF report comes from `pdf.verify`; this module adds the seal: parsed from the signed attribute, its
maker signature checked, its validity checked as of the signing time (timestamp if any, else the claimed
time), and its binding to the certificate that actually signed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .clock import Clock, fixed_clock


@dataclass(frozen=True)
class SignatureVerification:
    report: Any
    """The pdf.verify.SignatureReport this adds to."""
    seal_id: str | None
    seal_name: str | None
    seal_kind: str | None
    seal_kind_name: str | None
    seal_status: str | None
    """None when the signature carries no seal; else SealCheck.status ("valid", "expired", …), or
    "untrusted_maker" when the seal is otherwise valid but its maker does not chain to a trusted root."""
    seal_problems: tuple[str, ...]

    def __getattr__(self, name: str) -> Any:
        # the PDF report's fields read through: field_name, signer_subject, intact, trusted, …
        return getattr(self.report, name)

    @property
    def all_valid(self) -> bool:
        r = self.report
        return bool(
            r.intact
            and r.valid
            and r.trusted
            and r.cert_valid_at_signing
            and r.docmdp_ok
            and r.modification_level != "other"
            and self.seal_status in (None, "valid")
        )


@dataclass(frozen=True)
class DocumentVerification:
    path: Path
    signatures: tuple[SignatureVerification, ...]

    @property
    def all_valid(self) -> bool:
        return bool(self.signatures) and all(s.all_valid for s in self.signatures)

    def to_json(self) -> dict:
        out = []
        for sig in self.signatures:
            row = {
                k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in dataclasses.asdict(sig.report).items()
                if not isinstance(v, bytes)
            }
            row.update(
                seal_id=sig.seal_id,
                seal_name=sig.seal_name,
                seal_kind=sig.seal_kind,
                seal_status=sig.seal_status,
                seal_problems=list(sig.seal_problems),
                all_valid=sig.all_valid,
            )
            out.append(row)
        return {"path": str(self.path), "all_valid": self.all_valid, "signatures": out}


def maker_trust_problem(maker_der: bytes, trust_roots, moment: datetime | None) -> str | None:
    """Why the seal maker's certificate does not chain to a trusted root at `moment`, None when it does.

    A seal is only as good as its maker: without this, anyone with a trusted signing certificate could
    make themselves an "official seal" with a self-signed maker. International-algorithm chains go
    through pyhanko-certvalidator; SM2 makers (certvalidator has no SM2) are accepted when they are a
    trusted root themselves or are issued directly by one (`_sm2_maker_problem`).
    """
    import asyncio

    from asn1crypto import x509
    from pyhanko_certvalidator import CertificateValidator, ValidationContext

    from .gm import SM2_WITH_SM3_OID

    if not trust_roots:
        return "no trusted roots"
    try:
        algorithm = x509.Certificate.load(maker_der)["signature_algorithm"]["algorithm"].dotted
    except ValueError as exc:
        return f"unreadable maker certificate: {exc}"
    if algorithm == SM2_WITH_SM3_OID:
        return _sm2_maker_problem(maker_der, trust_roots, moment)
    try:
        context = ValidationContext(
            trust_roots=[x509.Certificate.load(r) for r in trust_roots],
            moment=moment,
            allow_fetching=False,
            revocation_mode="soft-fail",
        )
        validator = CertificateValidator(x509.Certificate.load(maker_der), validation_context=context)
        asyncio.run(validator.async_validate_usage(set()))
    except Exception as exc:  # noqa: BLE001 - any failure to build a trusted path is the answer
        return f"{type(exc).__name__}: {exc}"
    return None


def _sm2_maker_problem(maker_der: bytes, trust_roots, moment: datetime | None) -> str | None:
    """One-level SM2 path: the maker is a trusted root, or a trusted root's SM2 signature covers it."""
    from asn1crypto import x509

    from .gm import sm2_public_point_from_cert, sm2_verify

    maker = x509.Certificate.load(maker_der)
    at = moment or datetime.now(UTC)
    validity = maker["tbs_certificate"]["validity"]
    if not validity["not_before"].native <= at <= validity["not_after"].native:
        return "maker certificate not valid at the signing time"
    if maker_der in trust_roots:
        return None
    for root_der in trust_roots:
        root = x509.Certificate.load(root_der)
        if root.subject != maker.issuer or not root.ca:
            continue
        root_validity = root["tbs_certificate"]["validity"]
        if not root_validity["not_before"].native <= at <= root_validity["not_after"].native:
            continue
        try:
            point = sm2_public_point_from_cert(root_der)
        except ValueError:
            continue
        if sm2_verify(point, maker["tbs_certificate"].dump(), maker["signature_value"].native):
            return None
    return "no trusted SM2 root issued the maker certificate"


def _seal_part(report, clock: Clock | None, trust_roots=()) -> dict:
    from .errors import SealDeskError
    from .ses import parse_seal, verify_seal

    empty = dict(seal_id=None, seal_name=None, seal_kind=None, seal_kind_name=None, seal_status=None, seal_problems=())
    if not report.seal_der:
        return empty
    try:
        seal = parse_seal(report.seal_der)
    except SealDeskError as exc:
        return {**empty, "seal_status": "invalid", "seal_problems": (exc.user_message(),)}
    moment = report.timestamp_time or report.signing_time
    seal_clock = clock or (fixed_clock(moment) if moment else None)
    kwargs = {"clock": seal_clock} if seal_clock else {}
    check = verify_seal(seal, signing_cert=report.signer_cert, **kwargs)
    status = check.status
    problems = tuple(p.user_message() for p in check.problems)
    if status == "valid":
        problem = maker_trust_problem(seal.maker_cert, trust_roots, seal_clock() if seal_clock else None)
        if problem is not None:
            status = "untrusted_maker"
            problems = (*problems, f"seal maker not trusted: {problem}")
    return dict(
        seal_id=seal.es_id,
        seal_name=seal.name,
        seal_kind=seal.kind.category.value,
        seal_kind_name=seal.kind.name,
        seal_status=status,
        seal_problems=problems,
    )


def verify_document(path: str | Path, *, trust_roots=(), clock: Clock | None = None) -> DocumentVerification:
    """Verify every signature and seal in a PDF. `clock` overrides "now" for the checks (tests)."""
    from .pdf.verify import verify_pdf

    path = Path(path)
    pdf_report = verify_pdf(path, trust_roots=trust_roots, clock=clock)
    signatures = tuple(
        SignatureVerification(report=r, **_seal_part(r, clock, trust_roots)) for r in pdf_report.signatures
    )
    return DocumentVerification(path, signatures)

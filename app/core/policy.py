"""May this seal stamp now? The checks that run before any signing.

Order: the seal's own verification (format, maker signature, maker cert, validity window, binding to the
signing certificate) → the signing certificate's validity → revocation (a hook the city-system sync feeds) →
the approval rule for official seals. Refusals raise typed errors; expiry inside the warning window gives
warnings, not refusals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .certs import EXPIRY_WARNING_DAYS, check_validity, summarize
from .clock import Clock, utc_now
from .errors import ApprovalRequired, SealDeskError, SealRevoked
from .i18n_marks import QT_TRANSLATE_NOOP

SEAL_STATUS_TEXT = {
    "revoked": QT_TRANSLATE_NOOP("errors", "revoked"),
    "suspended": QT_TRANSLATE_NOOP("errors", "suspended"),
}
"""Seal statuses from the city system, as the parameter of SealRevoked."""

RevocationLookup = Callable[[str], str | None]
"""seal ID → "revoked" / "suspended" when the seal must not be used, None when active or unknown."""


@dataclass(frozen=True)
class PolicySettings:
    require_approval_for_official: bool = True
    """Official seals (公章 kinds, and unknown kinds) need an approval reference."""
    warning_days: int = EXPIRY_WARNING_DAYS
    """Warn when the cert or seal expires within this many days."""


@dataclass(frozen=True)
class PolicyWarning:
    message: str
    """English source text in context "policy" with {placeholders}."""
    params: tuple[tuple[str, str], ...] = ()

    def text(self, translate: Callable[[str, str], str] = lambda c, t: t) -> str:
        return translate("policy", self.message).format(**dict(self.params))


@dataclass(frozen=True)
class PolicyDecision:
    warnings: tuple[PolicyWarning, ...]


def _first_problem(problems: tuple[SealDeskError, ...]) -> SealDeskError | None:
    return problems[0] if problems else None


def check_before_stamping(
    seal,
    cert_der: bytes,
    *,
    approval_ref: str | None = None,
    settings: PolicySettings = PolicySettings(),
    revocation: RevocationLookup | None = None,
    clock: Clock = utc_now,
) -> PolicyDecision:
    """Raise the first reason this seal may not stamp with this cert now; else return the warnings."""
    from .ses import verify_seal

    check = verify_seal(seal, clock=clock, signing_cert=cert_der)
    problem = _first_problem(check.problems)
    if problem is not None or not check.ok:
        raise problem or SealRevoked("seal check failed", status=check.status)
    cert = summarize(cert_der)
    check_validity(cert, clock)
    if revocation is not None:
        status = revocation(seal.es_id)
        if status in ("revoked", "suspended"):
            raise SealRevoked(f"seal {seal.es_id} is {status}", status=SEAL_STATUS_TEXT[status])
    if settings.require_approval_for_official and seal.kind.is_official and not (approval_ref or "").strip():
        raise ApprovalRequired()

    warnings: list[PolicyWarning] = []
    now = clock()
    cert_days = (cert.not_after - now).days
    if cert_days < settings.warning_days:
        warnings.append(
            PolicyWarning(
                QT_TRANSLATE_NOOP("policy", "The signing certificate expires in {days} days ({date})."),
                (("days", str(cert_days)), ("date", cert.not_after.date().isoformat())),
            )
        )
    seal_days = (seal.valid_end - now).days
    if seal_days < settings.warning_days:
        warnings.append(
            PolicyWarning(
                QT_TRANSLATE_NOOP("policy", "The seal expires in {days} days ({date})."),
                (("days", str(seal_days)), ("date", seal.valid_end.date().isoformat())),
            )
        )
    return PolicyDecision(tuple(warnings))

"""Checks before stamping: refusals (expired, not yet valid, unbound, revoked, no approval) and warnings."""

from __future__ import annotations

import datetime as dt

import pytest
from seal_helpers import make_seal

from app.core.clock import fixed_clock
from app.core.errors import (
    ApprovalRequired,
    CertificateExpired,
    MakerCertificateExpired,
    SealExpired,
    SealNotBound,
    SealNotYetValid,
    SealRevoked,
    SealSignatureInvalid,
)
from app.core.policy import PolicySettings, check_before_stamping
from app.core.ses import kinds, parse_seal

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _seal(ca, holder, seal_type=kinds.CONTRACT, *, start=NOW - dt.timedelta(days=1), days=730):
    maker = ca.issue("Seal Maker", not_after=NOW + dt.timedelta(days=3000))
    return parse_seal(make_seal(maker, [holder.cert_der], seal_type=seal_type, start=start, days=days, size_mm=42))


def test_a_good_official_seal_with_approval_passes_without_warnings(ca):
    holder = ca.issue("持章人", not_after=NOW + dt.timedelta(days=400))
    decision = check_before_stamping(_seal(ca, holder), holder.cert_der, approval_ref="SP-1")
    assert decision.warnings == ()


def test_official_seal_without_approval_is_refused_unless_policy_says_otherwise(ca):
    holder = ca.issue("持章人")
    seal = _seal(ca, holder)
    with pytest.raises(ApprovalRequired):
        check_before_stamping(seal, holder.cert_der, approval_ref="  ")
    relaxed = PolicySettings(require_approval_for_official=False)
    check_before_stamping(seal, holder.cert_der, settings=relaxed)
    personal = _seal(ca, holder, kinds.PERSONAL)
    check_before_stamping(personal, holder.cert_der)  # personal seals need no approval


def test_expiry_window_warns_then_refuses(ca):
    holder = ca.issue("持章人", not_after=NOW + dt.timedelta(days=1000))
    seal = _seal(ca, holder, kinds.PERSONAL, days=730)
    decision = check_before_stamping(seal, holder.cert_der, clock=fixed_clock(NOW + dt.timedelta(days=700)))
    assert len(decision.warnings) == 1 and "seal expires" in decision.warnings[0].text()
    with pytest.raises(SealExpired):
        check_before_stamping(seal, holder.cert_der, clock=fixed_clock(NOW + dt.timedelta(days=800)))


def test_certificate_expiry_warns_then_refuses(ca):
    holder = ca.issue("持章人", not_after=NOW + dt.timedelta(days=30))
    seal = _seal(ca, holder, kinds.PERSONAL)
    decision = check_before_stamping(seal, holder.cert_der)
    assert [w.message for w in decision.warnings] == ["The signing certificate expires in {days} days ({date})."]
    with pytest.raises(CertificateExpired):
        check_before_stamping(seal, holder.cert_der, clock=fixed_clock(NOW + dt.timedelta(days=31)))


def test_expired_maker_certificate_is_named_as_such(ca):
    holder = ca.issue("持章人", not_after=NOW + dt.timedelta(days=3000))
    maker = ca.issue("Old Maker", not_after=NOW + dt.timedelta(days=5))
    seal = parse_seal(make_seal(maker, [holder.cert_der], days=700))
    with pytest.raises(MakerCertificateExpired) as caught:
        check_before_stamping(seal, holder.cert_der, clock=fixed_clock(NOW + dt.timedelta(days=10)))
    assert "maker" in caught.value.user_message()


def test_not_yet_valid_unbound_and_tampered_seals_are_refused(ca):
    holder = ca.issue("持章人")
    future = _seal(ca, holder, kinds.PERSONAL, start=NOW + dt.timedelta(days=10))
    with pytest.raises(SealNotYetValid):
        check_before_stamping(future, holder.cert_der)
    stranger = ca.issue("他人")
    with pytest.raises(SealNotBound):
        check_before_stamping(_seal(ca, holder, kinds.PERSONAL), stranger.cert_der)
    der = bytearray(_seal(ca, holder, kinds.PERSONAL).der)
    index = der.index("测试".encode())
    der[index : index + 3] = "假".encode()
    with pytest.raises(SealSignatureInvalid):
        check_before_stamping(parse_seal(bytes(der)), holder.cert_der)


def test_revoked_seal_is_refused_by_the_revocation_hook(ca):
    holder = ca.issue("持章人")
    seal = _seal(ca, holder, kinds.PERSONAL)
    statuses = {seal.es_id: "revoked"}
    with pytest.raises(SealRevoked) as caught:
        check_before_stamping(seal, holder.cert_der, revocation=statuses.get)
    assert "revoked" in caught.value.user_message()
    check_before_stamping(seal, holder.cert_der, revocation={}.get)

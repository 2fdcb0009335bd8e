"""The application layer against real SoftHSM keys: summaries without the PIN, plans, stamping with phases
and cancel, warnings as objects in both languages, hot-plug invalidating the open session."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from documents import make_pdf
from pdf_helpers import pdfsig, qpdf_check
from testdata import SO_PIN, USER_PIN

from app import i18n
from app.core import demo, softhsm
from app.core.application import (
    Application,
    KeyEventKind,
    SealUsability,
    StampStatus,
    VerificationStatus,
    WarningKind,
)
from app.core.errors import ApprovalRequired, Cancelled, PinIncorrect, PlacementInvalid, TokenRemoved
from app.core.settings import Settings
from app.core.stamping import CancelToken, CrossPagePlacement, SpotPlacement, StampPhase
from app.core.usage.log import UsageLog


@pytest.fixture
def app(demo_app):
    return demo_app


def _demo(app: Application):
    return next(k for k in app.keys() if k.label == demo.DEMO_LABEL)


def _personal(app: Application, key):
    return next(s for s in app.key_contents(key).seals if s.kind == "personal")


def test_key_and_seals_are_read_without_the_pin(app, demo_key):
    key = _demo(app)
    assert key.serial == demo_key.serial and key.is_demo and key.pin_state.value == "ok"
    contents = app.key_contents(key)
    assert sorted(s.ref for s in contents.seals) == sorted(s.es_id for s in demo_key.seals)
    assert not app.session_open  # nothing logged in
    for seal in contents.seals:
        assert seal.usable and seal.problem is None and seal.usability is SealUsability.USABLE
        assert seal.picture_png.startswith(b"\x89PNG") and seal.size_mm[0] > 10
        assert seal.certificate is not None and seal.certificate.days_to_expiry > 600
    contract = next(s for s in contents.seals if s.kind == "official")
    assert contract.size_mm == pytest.approx((42.0, 42.0), abs=0.1) and contract.is_official
    assert len(contents.certificates) == 3 and not any(c.expiring_soon for c in contents.certificates)


def test_plan_then_stamp_with_phases(app, tmp_path: Path):
    source = make_pdf(tmp_path / "contract.pdf", pages=2)
    key = _demo(app)
    seal = _personal(app, key)
    plan = app.plan(source, seal.ref, SpotPlacement((120.0, 200.0), pages="1-2"), key=key)
    assert plan.ok and not plan.warnings and not plan.needs_approval
    assert [s.page for s in plan.spots] == [0, 1]
    x, y, w, h = plan.spots[0].rect_mm
    assert (x + w / 2, y + h / 2) == pytest.approx((120.0, 200.0)) and w == pytest.approx(seal.size_mm[0])
    assert not plan.output.exists()

    phases: list[StampPhase] = []
    outcome = app.stamp(plan, USER_PIN, progress=lambda e: phases.append(e.phase))
    assert outcome.status is StampStatus.SIGNED, outcome.error
    assert phases == [StampPhase.OPEN, StampPhase.CHECKS, StampPhase.SIGN, StampPhase.WRITE, StampPhase.RECORD]
    assert outcome.result.output_path == plan.output and plan.output.exists()
    assert not app.session_open  # logged out when the stamping ended
    report = app.verify(plan.output)
    assert report.status is VerificationStatus.VALID and len(report.signatures) == 1
    assert report.signatures[0].seal_name == seal.name
    assert "Signature is Valid" in pdfsig(plan.output) and qpdf_check(plan.output).returncode == 0
    assert app.verify(source).status is VerificationStatus.UNSIGNED


def test_plan_reports_problems_and_warnings_as_objects(app, tmp_path: Path):
    source = make_pdf(tmp_path / "a.pdf", pages=1)
    key = _demo(app)
    contents = app.key_contents(key)
    official = next(s for s in contents.seals if s.is_official)
    plan = app.plan(source, official.ref, SpotPlacement((100.0, 100.0)), key=key, contents=contents)
    assert plan.needs_approval and not plan.ok and isinstance(plan.problems[0], ApprovalRequired)
    plan = app.plan(source, official.ref, SpotPlacement((100.0, 100.0)), "SP-2026-7", key=key, contents=contents)
    assert plan.ok and [w.kind for w in plan.warnings] == [WarningKind.OFFICIAL_SEAL]
    assert "SP-2026-7" in plan.warnings[0].text()

    personal = _personal(app, key)
    edge = app.plan(source, personal.ref, SpotPlacement((12.0, 100.0)), key=key, contents=contents)
    assert edge.ok and [w.kind for w in edge.warnings] == [WarningKind.NEAR_EDGE]
    outside = app.plan(source, personal.ref, SpotPlacement((-50.0, 100.0)), key=key, contents=contents)
    assert isinstance(outside.problems[0], PlacementInvalid)
    cross = app.plan(source, personal.ref, CrossPagePlacement(pages="1"), key=key, contents=contents)
    assert not cross.ok  # one page cannot take a cross-page seal
    outcome = app.stamp(outside, USER_PIN)
    assert outcome.status is StampStatus.FAILED and not outside.output.exists()


def test_expiry_warning_is_translated_at_display_time(tmp_path: Path, softhsm_module):
    label = f"Exp{uuid.uuid4().hex[:8]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN, (demo.DEMO_SEALS[2],), seal_days=30)
    log = UsageLog(tmp_path / "usage.sqlite3")
    app = Application(Settings(language="zh_CN"), usage_log=log)
    try:
        assert i18n.current_language() == "zh_CN"  # the settings win over SEALDESK_LANG=en
        key = next(k for k in app.keys() if k.serial == info.serial)
        seal = app.key_contents(key).seals[0]
        assert seal.expiring_soon and seal.usable
        plan = app.plan(make_pdf(tmp_path / "d.pdf", pages=1), seal.ref, SpotPlacement((100.0, 100.0)), key=key)
        (warning,) = plan.warnings
        assert warning.kind is WarningKind.SEAL_EXPIRES
        assert "印章将在" in warning.text(i18n.translate) and "The seal expires" in warning.text()
        outcome = app.stamp(plan, USER_PIN)
        assert outcome.status is StampStatus.SIGNED
        assert [w.kind for w in outcome.warnings] == [WarningKind.SEAL_EXPIRES]
        assert "印章将在" in outcome.result.warnings[0].text(i18n.translate)
    finally:
        app.close()
        log.close()
        i18n.set_language("")
        softhsm.delete_token(label)


def test_wrong_pin_fails_once_and_writes_nothing(app, tmp_path: Path):
    source = make_pdf(tmp_path / "a.pdf", pages=1)
    key = _demo(app)
    plan = app.plan(source, _personal(app, key).ref, SpotPlacement((100.0, 100.0)), key=key)
    outcome = app.stamp(plan, "999999")
    assert outcome.status is StampStatus.FAILED and isinstance(outcome.error, PinIncorrect)
    assert "999999" not in str(outcome.error) and not plan.output.exists()
    assert app.usage_log.records() == [] and [p.name for p in tmp_path.glob("*.pdf")] == ["a.pdf"]


def test_cancel_while_signing_leaves_nothing(app, tmp_path: Path):
    files = [make_pdf(tmp_path / f"f{i}.pdf", pages=1) for i in range(3)]
    key = _demo(app)
    contents = app.key_contents(key)
    seal = _personal(app, key)
    plans = [app.plan(f, seal.ref, SpotPlacement((100.0, 100.0)), key=key, contents=contents) for f in files]
    cancel = CancelToken()

    def progress(event):
        if event.document_number == 2 and event.phase is StampPhase.SIGN:
            cancel.cancel()

    outcomes = app.stamp_batch(plans, USER_PIN, progress, cancel)
    assert [o.status for o in outcomes] == [StampStatus.SIGNED, StampStatus.CANCELLED, StampStatus.CANCELLED]
    assert all(isinstance(o.error, Cancelled) for o in outcomes[1:])
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == [
        "f0.pdf",
        "f0.signed.pdf",
        "f1.pdf",
        "f2.pdf",
    ]
    assert len(app.usage_log.records()) == 1 and app.usage_log.verify().ok


def test_removed_key_invalidates_the_open_session(tmp_path: Path, softhsm_module):
    label = f"Plug{uuid.uuid4().hex[:8]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN, (demo.DEMO_SEALS[2],))
    log = UsageLog(tmp_path / "usage.sqlite3")
    app = Application(Settings(), usage_log=log)
    events = []
    try:
        app.watch(events.append, interval=3600)  # polled by hand below
        app.poll_keys()
        key = next(k for k in app.keys() if k.serial == info.serial)
        plan = app.plan(make_pdf(tmp_path / "a.pdf", pages=1), info.seals[0].es_id, SpotPlacement((90, 90)), key=key)
        app._open_session(key, USER_PIN)  # as a stamping in progress holds it
        assert app.session_open
        softhsm.delete_token(label)
        app.poll_keys()
        removed = [e for e in events if e.kind is KeyEventKind.REMOVED]
        assert [e.key.serial for e in removed] == [info.serial] and removed[0].session_closed
        assert not app.session_open
        outcome = app.stamp(plan, USER_PIN)
        assert outcome.status is StampStatus.FAILED and isinstance(outcome.error, TokenRemoved)
        assert not plan.output.exists()
    finally:
        app.close()
        log.close()
        if label in softhsm.token_labels():
            softhsm.delete_token(label)


def test_settings_language_wins_over_the_environment_in_the_cli(tmp_path: Path, monkeypatch, capsys):
    import json

    from app.cli import main

    monkeypatch.setenv("SEALDESK_HOME", str(tmp_path))
    monkeypatch.setenv("SEALDESK_LANG", "en")
    (tmp_path / "settings.json").write_text(json.dumps({"language": "zh_CN"}), encoding="utf-8")
    try:
        with pytest.raises(SystemExit):
            main(["--help"])
    finally:
        i18n.set_language("")
    assert "退出码" in capsys.readouterr().out


def test_a_tsa_wait_can_be_cancelled(demo_key, tmp_path: Path):
    import socket
    import threading
    import time

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def silent_tsa() -> None:  # accepts the request and never answers
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    threading.Thread(target=silent_tsa, daemon=True).start()
    url = f"http://127.0.0.1:{server.getsockname()[1]}/tsa"
    log = UsageLog(tmp_path / "usage.sqlite3")
    app = Application(Settings(tsa_url=url), usage_log=log)
    try:
        key = _demo(app)
        source = make_pdf(tmp_path / "a.pdf", pages=1)
        plan = app.plan(source, _personal(app, key).ref, SpotPlacement((100.0, 100.0)), key=key)
        cancel = CancelToken()
        phases = []
        cancelled_at: list[float] = []

        def progress(event):
            phases.append(event.phase)
            if event.phase is StampPhase.TIMESTAMP and not cancelled_at:  # the TSA keeps us waiting
                threading.Timer(0.3, lambda: (cancelled_at.append(time.perf_counter()), cancel.cancel())).start()

        outcome = app.stamp(plan, USER_PIN, progress, cancel)
        returned = time.perf_counter()
        assert phases[-1] is StampPhase.TIMESTAMP and held  # the request reached the silent TSA
        assert StampPhase.WRITE not in phases
        assert outcome.status is StampStatus.CANCELLED and isinstance(outcome.error, Cancelled)
        assert returned - cancelled_at[0] < 0.5  # not the 10 s TSA timeout
        assert not plan.output.exists() and log.records() == []
        assert sorted(p.name for p in tmp_path.glob("*.pdf")) == ["a.pdf"]
    finally:
        stop.set()
        app.close()
        log.close()
        for conn in held:
            conn.close()
        server.close()

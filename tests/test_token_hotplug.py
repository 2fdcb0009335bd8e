"""A removed key takes its open sessions with it, at once; a key's public objects are readable without PIN.

Real SoftHSM tokens, deleted live with softhsm2-util --delete-token (SoftHSM's closest thing to pulling
a key out: the slot then answers CKR_GENERAL_ERROR while sessions linger, see token-layout.md).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from cryptography import x509
from documents import make_pdf

from app.core import demo, softhsm
from app.core.errors import TokenRemoved
from app.core.keys import KeySession, PublicObjects, TokenInfo, TokenManager, TokenWatcher
from app.core.ses import parse_seal
from app.core.stamping import SpotPlacement, Stamper, StampRequest
from app.core.usage.log import UsageLog
from app.i18n import translate

USER_PIN = "123456"
SO_PIN = "12345678"


def new_label() -> str:
    return f"H{uuid.uuid4().hex[:12]}"


def test_removal_seen_by_the_watcher_invalidates_every_session_of_the_token(manager: TokenManager):
    label = new_label()
    softhsm.init_token(label, USER_PIN, SO_PIN)
    state_at_callback: list[tuple[str, bool, bool]] = []
    sessions: list[KeySession] = []

    def on_removed(token: TokenInfo) -> None:
        state_at_callback.append((token.label, sessions[0].removed, sessions[1].removed))

    watcher = TokenWatcher(manager, lambda t: None, on_removed)
    watcher.poll_once()
    token = manager.find_token(label=label)
    sessions.append(manager.open_session(token, USER_PIN))
    sessions.append(manager.open_session(token, USER_PIN))
    try:
        sessions[0].generate_key_pair("ec-p256", b"\x07", "to be pulled")
        assert set(manager.sessions(token)) == set(sessions)
        softhsm.delete_token(label)
        watcher.poll_once()  # the owner's watcher thread notices the removal

        # the sessions were invalidated before the owner's callback ran
        assert state_at_callback == [(label, True, True)]
        assert manager.sessions(token) == [] and manager.open_session_count(token.module_path) == 0
        for session in sessions:
            with pytest.raises(TokenRemoved):
                session.keys()
            with pytest.raises(TokenRemoved):
                session.sign_digest(b"\x07", b"\x00" * 32, "sha256")
            with pytest.raises(TokenRemoved):
                session.put_seal(b"\x07", "x", b"\x30\x00")
    finally:
        for session in sessions:
            session.close()


def test_dead_sessions_no_longer_hide_new_keys(manager: TokenManager):
    """SoftHSM only sees new tokens after re-initialising, which open sessions forbid; dead ones don't count."""
    label, late = new_label(), new_label()
    softhsm.init_token(label, USER_PIN, SO_PIN)
    inserted: list[str] = []
    watcher = TokenWatcher(manager, lambda t: inserted.append(t.label), lambda t: None)
    watcher.poll_once()
    session = manager.open_session(manager.find_token(label=label), USER_PIN)  # the owner keeps it
    try:
        softhsm.delete_token(label)
        softhsm.init_token(late, USER_PIN, SO_PIN)
        watcher.poll_once()  # sees the removal, invalidates the session; re-initialising was still refused
        assert late not in inserted
        watcher.poll_once()  # now the module is re-initialised through the watcher and sees the new key
        assert late in inserted
        with pytest.raises(TokenRemoved):
            session.seals()
    finally:
        session.close()
        softhsm.delete_token(late)


def test_an_operation_that_finds_the_token_gone_invalidates_its_siblings(manager: TokenManager):
    label = new_label()
    softhsm.init_token(label, USER_PIN, SO_PIN)
    token = manager.find_token(label=label)
    first = manager.open_session(token, USER_PIN)
    second = manager.open_session(token, USER_PIN)
    try:
        softhsm.delete_token(label)
        with pytest.raises(TokenRemoved):
            first.keys()
        assert first.removed and second.removed
        with pytest.raises(TokenRemoved):
            second.seals()
    finally:
        first.close()
        second.close()
    assert first.closed and second.closed


def test_batch_stops_with_token_removed_when_the_watcher_reports_removal(tmp_path: Path, softhsm_module):
    label = f"Hot{uuid.uuid4().hex[:8]}"
    info = demo.provision_token(label, USER_PIN, SO_PIN, (demo.DEMO_SEALS[2],))
    files = [make_pdf(tmp_path / f"f{i}.pdf", pages=1) for i in range(3)]
    log = UsageLog(tmp_path / "usage.sqlite3")
    manager = TokenManager(extra_modules=[softhsm_module], use_catalog=False)
    removed: list[TokenInfo] = []
    watcher = TokenWatcher(manager, lambda t: None, removed.append)
    try:
        watcher.poll_once()
        with manager.open_session(manager.find_token(label=label), USER_PIN) as session:
            stamper = Stamper(session, info.seals[0].es_id, usage_log=log)

            def pull_key_after_first(number, total, request, result, error):
                if number == 1:
                    softhsm.delete_token(label)
                    watcher.poll_once()
                    assert session.removed  # before the next file is even started

            items = stamper.stamp_batch(
                [StampRequest(f, SpotPlacement((100.0, 100.0))) for f in files], progress=pull_key_after_first
            )
    finally:
        manager.close()
        log.close()
    assert [t.label for t in removed] == [label]
    assert items[0].error is None and items[0].result.output_path.exists()
    assert [type(item.error) for item in items[1:]] == [TokenRemoved, TokenRemoved]
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".pdf") == ["f0.pdf", "f0.signed.pdf", "f1.pdf", "f2.pdf"]


def test_token_removed_message_is_translated(monkeypatch):
    err = TokenRemoved("slot gone")
    monkeypatch.setenv("SEALDESK_LANG", "en")  # both languages on purpose, whatever the suite's language
    english = err.user_message(translate)
    monkeypatch.setenv("SEALDESK_LANG", "zh_CN")
    chinese = err.user_message(translate)
    assert "removed" in english and "拔出" in chinese
    assert "slot gone" not in chinese + english


# --- public objects, no PIN -------------------------------------------------------------------------
def test_public_objects_without_pin(demo_key, softhsm_module):
    with TokenManager(extra_modules=[softhsm_module], use_catalog=False) as manager:
        token = manager.find_token(label=demo.DEMO_LABEL)
        public = manager.public_objects(token)
        assert manager.open_session_count(token.module_path) == 0  # no login, no session left open
        assert isinstance(public, PublicObjects) and public.token.serial == token.serial

        assert sorted(s.label for s in public.seals) == sorted(s.name for s in demo_key.seals)
        assert {s.key_id for s in public.seals} == {s.key_id for s in demo_key.seals}
        for stored in public.seals:
            assert parse_seal(stored.der).name == stored.label
        certs = {c.key_id: x509.load_der_x509_certificate(c.der) for c in public.certificates}
        assert set(certs) == {s.key_id for s in demo_key.seals}

        # the same objects a logged-in session reads
        with manager.open_session(token, demo.DEMO_PIN) as session:
            assert list(public.seals) == session.seals()
            assert {k.key_id: k.certificate for k in session.keys()} == {c.key_id: c.der for c in public.certificates}
            assert manager.public_objects(token).seals == public.seals  # also beside a logged-in session


def test_public_objects_of_a_removed_token(manager: TokenManager):
    label = new_label()
    softhsm.init_token(label, USER_PIN, SO_PIN)
    token = manager.find_token(label=label)
    empty = manager.public_objects(token)
    assert empty.seals == () and empty.certificates == ()
    softhsm.delete_token(label)
    with pytest.raises(TokenRemoved):
        manager.public_objects(token)

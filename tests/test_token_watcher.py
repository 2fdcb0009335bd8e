"""Hot-plug: the polling watcher and token removal, with SoftHSM tokens created and deleted live.

SoftHSM facts these tests rely on (2.6.1): a token created by softhsm2-util after the module was
initialised is invisible until C_Finalize/C_Initialize; when a token's directory is deleted,
C_GetTokenInfo on its slot answers CKR_GENERAL_ERROR while open sessions keep working on what is in
memory (object searches find nothing, C_GenerateRandom still works).
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from app.core import softhsm
from app.core.errors import TokenError, TokenRemoved
from app.core.keys import TokenInfo, TokenManager, TokenWatcher

USER_PIN = "123456"
SO_PIN = "12345678"


def new_label() -> str:
    return f"W{uuid.uuid4().hex[:12]}"


def test_watcher_sees_insert_and_remove(manager: TokenManager):
    inserted: list[TokenInfo] = []
    removed: list[TokenInfo] = []
    watcher = TokenWatcher(manager, inserted.append, removed.append)
    watcher.poll_once()  # baseline: whatever other tests left
    baseline = {t.key for t in inserted}
    inserted.clear()

    label = new_label()
    softhsm.init_token(label, USER_PIN, SO_PIN)
    try:
        watcher.poll_once()
        assert [t.label for t in inserted] == [label]
        assert removed == []
        watcher.poll_once()
        assert len(inserted) == 1  # no repeated events
    finally:
        softhsm.delete_token(label)
    watcher.poll_once()
    assert [t.label for t in removed] == [label]
    assert removed[0].key == inserted[0].key
    assert {t.key for t in manager.tokens()} == baseline


def test_watcher_thread_reports_events(manager: TokenManager):
    events: list[tuple[str, str]] = []
    seen = threading.Event()
    label = new_label()

    def on_inserted(token: TokenInfo) -> None:
        events.append(("in", token.label))
        if token.label == label:
            seen.set()

    def on_removed(token: TokenInfo) -> None:
        events.append(("out", token.label))
        if token.label == label:
            seen.set()

    watcher = TokenWatcher(manager, on_inserted, on_removed, interval=0.05)
    watcher.poll_once()
    watcher.start()
    try:
        softhsm.init_token(label, USER_PIN, SO_PIN)
        assert seen.wait(5)
        seen.clear()
        softhsm.delete_token(label)
        assert seen.wait(5)
    finally:
        watcher.stop()
    assert [e for e in events if e[1] == label] == [("in", label), ("out", label)]


def test_removed_while_session_open(manager: TokenManager):
    """Deleting the token under an open session: operations raise TokenRemoved, the watcher reports it."""
    label = new_label()
    softhsm.init_token(label, USER_PIN, SO_PIN)
    removed: list[TokenInfo] = []
    watcher = TokenWatcher(manager, lambda t: None, removed.append)
    watcher.poll_once()
    token = manager.find_token(label=label)
    session = manager.open_session(token, USER_PIN)
    try:
        session.generate_key_pair("ec-p256", b"\x42", "doomed")
        assert len(session.keys()) == 1
        softhsm.delete_token(label)

        with pytest.raises(TokenRemoved):
            session.keys()
        with pytest.raises(TokenRemoved):
            session.sign_digest(b"\x42", b"\x00" * 32, "sha256")
        with pytest.raises(TokenRemoved):
            session.seals()
        with pytest.raises(TokenRemoved):
            manager.refresh_token(token)
        # the first TokenRemoved killed the session: it no longer blocks re-initialising the module
        assert session.removed and manager.open_session_count(token.module_path) == 0
        watcher.poll_once()
        assert [t.label for t in removed] == [label]
    finally:
        session.close()
    manager.reinitialize(token.module_path)
    assert label not in [t.label for t in manager.tokens()]


def test_reinitialize_refused_while_session_open(manager: TokenManager, fresh_token: str):
    token = manager.find_token(label=fresh_token)
    with manager.open_session(token, USER_PIN):
        with pytest.raises(TokenError):
            manager.reinitialize(token.module_path)
        # a token inserted now stays invisible: SoftHSM needs re-initialisation to see it
        late = new_label()
        softhsm.init_token(late, USER_PIN, SO_PIN)
        try:
            assert late not in [t.label for t in manager.tokens()]
        finally:
            softhsm.delete_token(late)
    manager.reinitialize(token.module_path)
    assert fresh_token in [t.label for t in manager.tokens()]


def test_watcher_survives_failing_callback(manager: TokenManager):
    calls: list[str] = []

    def broken(token: TokenInfo) -> None:
        calls.append(token.label)
        raise RuntimeError("listener bug")

    label = new_label()
    softhsm.init_token(label, USER_PIN, SO_PIN)
    try:
        watcher = TokenWatcher(manager, broken, broken)
        watcher.poll_once()
        assert label in calls
    finally:
        softhsm.delete_token(label)
    start = time.monotonic()
    watcher.poll_once()
    assert calls.count(label) == 2 and time.monotonic() - start < 5

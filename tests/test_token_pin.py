"""PIN handling against real SoftHSM tokens, and the PIN-state rules SoftHSM cannot exercise."""

from __future__ import annotations

import logging

import pytest

from app.core.errors import PinIncorrect, PinInvalid, PinLocked, PinMustChange, PinNotInitialised
from app.core.keys import TokenManager
from app.core.keys.pin import (
    CKF_TOKEN_INITIALIZED,
    CKF_USER_PIN_COUNT_LOW,
    CKF_USER_PIN_FINAL_TRY,
    CKF_USER_PIN_INITIALIZED,
    CKF_USER_PIN_LOCKED,
    CKF_USER_PIN_TO_BE_CHANGED,
    PinState,
    pin_incorrect,
    pin_state_error,
    pin_state_from_flags,
    pin_state_text,
)

INIT = CKF_USER_PIN_INITIALIZED
USER_PIN = "123456"  # the fresh_token fixture's user PIN
WRONG_PIN = "654321"


def alive_handles(mgr: TokenManager, module_path: str, upto: int = 256) -> set[int]:
    module = mgr._module(module_path)
    return module.worker.call(lambda: {h for h in range(1, upto) if module.raw.session_alive(h)})


def test_right_pin_opens_a_session(manager: TokenManager, fresh_token: str):
    token = manager.find_token(label=fresh_token)
    before = alive_handles(manager, token.module_path)
    with manager.open_session(token, USER_PIN) as session:
        assert session.token.serial == token.serial
        session.generate_key_pair("ec-p256", b"\x01", "login proof")  # private objects need C_Login
        assert [k.label for k in session.keys()] == ["login proof"]
        assert len(alive_handles(manager, token.module_path) - before) == 1
        assert manager.open_session_count(token.module_path) >= 1
    assert alive_handles(manager, token.module_path) == before
    assert session.closed


def test_wrong_pin_reports_state_leaks_nothing_and_right_pin_clears(
    manager: TokenManager, fresh_token: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    token = manager.find_token(label=fresh_token)
    before = alive_handles(manager, token.module_path)
    with pytest.raises(PinIncorrect) as caught:
        manager.open_session(token, WRONG_PIN)
    err = caught.value
    assert err.pin_state is PinState.COUNT_LOW  # read right after the failure
    assert err.params["warning"] == "Few tries left before the PIN locks."
    assert err.user_message() == "Wrong PIN. Few tries left before the PIN locks."
    for text in (str(err), err.detail, repr(err.params), caplog.text):
        assert WRONG_PIN not in text
    assert alive_handles(manager, token.module_path) == before  # the failed session was closed
    assert manager.refresh_token(token).pin_state is PinState.COUNT_LOW
    assert manager.tokens() and manager.find_token(label=fresh_token).pin_state is PinState.COUNT_LOW

    with manager.open_session(token, USER_PIN):
        pass
    assert manager.refresh_token(token).pin_state is PinState.OK


@pytest.mark.parametrize("pin", ["", "12", "1" * 300])
def test_pin_outside_length_range_is_invalid_and_not_tried(manager: TokenManager, fresh_token: str, pin: str):
    token = manager.find_token(label=fresh_token)
    with pytest.raises(PinInvalid) as caught:
        manager.open_session(token, pin)
    assert caught.value.params["rule"] == "4–255 characters"  # SoftHSM's ulMinPinLen/ulMaxPinLen
    assert manager.refresh_token(token).pin_state is PinState.OK  # not tried: no failed login counted


def test_second_session_with_another_pin_is_refused(manager: TokenManager, fresh_token: str):
    """PKCS#11 login is per process and token: the module accepts any PIN for a second session."""
    token = manager.find_token(label=fresh_token)
    with manager.open_session(token, USER_PIN):
        with pytest.raises(PinIncorrect):
            manager.open_session(token, WRONG_PIN)
        with manager.open_session(token, USER_PIN) as second:
            assert second.keys() == []


def test_change_pin_while_logged_in_keeps_sessions_consistent(manager: TokenManager, fresh_token: str):
    token = manager.find_token(label=fresh_token)
    with manager.open_session(token, USER_PIN):
        manager.change_pin(token, USER_PIN, "11223344")
        with pytest.raises(PinIncorrect):
            manager.open_session(token, USER_PIN)
        with manager.open_session(token, "11223344"):
            pass
    with pytest.raises(PinIncorrect):
        manager.open_session(token, USER_PIN)
    manager.open_session(token, "11223344").close()


def test_change_pin(manager: TokenManager, fresh_token: str):
    token = manager.find_token(label=fresh_token)
    with pytest.raises(PinIncorrect) as caught:
        manager.change_pin(token, WRONG_PIN, "24681357")
    assert caught.value.pin_state is PinState.COUNT_LOW
    with pytest.raises(PinInvalid):
        manager.change_pin(token, USER_PIN, "12")
    manager.change_pin(token, USER_PIN, "24681357")
    with pytest.raises(PinIncorrect):
        manager.open_session(token, USER_PIN)
    with manager.open_session(token, "24681357") as session:
        assert session.token.pin_state is PinState.OK


# --- states SoftHSM never sets (it never locks) ---------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "state"),
    [
        (INIT, PinState.OK),
        (0x42D, PinState.OK),  # SoftHSM's normal flags
        (0, PinState.NOT_INITIALISED),  # CKF_USER_PIN_INITIALIZED missing: no user PIN yet
        (0x400 | CKF_USER_PIN_COUNT_LOW, PinState.NOT_INITIALISED),
        (INIT | CKF_USER_PIN_COUNT_LOW, PinState.COUNT_LOW),
        (INIT | CKF_USER_PIN_TO_BE_CHANGED, PinState.MUST_CHANGE),
        (INIT | CKF_USER_PIN_TO_BE_CHANGED | CKF_USER_PIN_COUNT_LOW, PinState.MUST_CHANGE),
        (INIT | CKF_USER_PIN_FINAL_TRY, PinState.FINAL_TRY),
        (INIT | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_TO_BE_CHANGED, PinState.FINAL_TRY),
        (CKF_USER_PIN_LOCKED, PinState.LOCKED),
        (CKF_USER_PIN_LOCKED | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW | 0x42D, PinState.LOCKED),
    ],
)
def test_pin_state_from_flags(flags: int, state: PinState):
    assert pin_state_from_flags(flags) is state


def test_flag_values_are_the_pkcs11_ones():
    assert CKF_USER_PIN_INITIALIZED == 0x8
    assert (CKF_USER_PIN_COUNT_LOW, CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED, CKF_USER_PIN_TO_BE_CHANGED) == (
        0x10000,
        0x20000,
        0x40000,
        0x80000,
    )


def test_user_facing_mapping_of_pin_states():
    final = pin_incorrect(PinState.FINAL_TRY, "C_Login returned 0xa0")
    assert isinstance(final, PinIncorrect) and final.pin_state is PinState.FINAL_TRY
    assert final.user_message() == "Wrong PIN. Last try: one more wrong PIN locks the key."
    low = pin_incorrect(PinState.COUNT_LOW)
    assert low.user_message() == "Wrong PIN. Few tries left before the PIN locks."
    plain = pin_incorrect(PinState.OK)
    assert plain.params["warning"] == "" and plain.user_message().startswith("Wrong PIN.")
    # the wrong PIN was the last try: the token is now locked
    locked = pin_incorrect(PinState.LOCKED)
    assert isinstance(locked, PinLocked) and "locked" in locked.user_message()
    # a locked PIN is refused before trying; other states still allow a try
    assert isinstance(pin_state_error(PinState.LOCKED), PinLocked)
    for state in (PinState.OK, PinState.COUNT_LOW, PinState.FINAL_TRY, PinState.MUST_CHANGE):
        assert pin_state_error(state) is None
    assert pin_state_text(PinState.OK) == ""
    assert pin_state_text(PinState.MUST_CHANGE) == "The PIN must be changed."
    assert "change its PIN" in PinMustChange().user_message()


# --- no reference to the PIN survives the call ----------------------------------------------------
def _refers(container: object, secret: str, encoded: bytes, depth: int = 0) -> bool:
    import gc

    for ref in gc.get_referents(container):
        if (type(ref) is str and ref == secret) or (type(ref) in (bytes, bytearray) and ref == encoded):
            return True
        # dicts and tuples of atomic values are not tracked by gc: look inside them from their owner
        if type(ref) in (dict, tuple) and not gc.is_tracked(ref) and depth < 3:
            if _refers(ref, secret, encoded, depth + 1):
                return True
    return False


def _holders(secret: str) -> list[str]:
    """Type names of the live objects that refer to a str/bytes/bytearray equal to `secret`.

    Frames of the current call stack (the test's own locals) are skipped; nothing about the holder
    beyond its type is kept, so the scan itself creates no reference.
    """
    import gc
    import sys

    encoded = secret.encode("utf-8")
    own: set[int] = set()
    frame = sys._getframe()
    while frame is not None:
        own.add(id(frame))
        frame = frame.f_back
    del frame
    gc.collect()
    found: list[str] = []

    for obj in gc.get_objects():
        if id(obj) not in own and obj is not found and _refers(obj, secret, encoded):
            found.append(type(obj).__name__)
    return found


def _unique_pin() -> str:
    return "".join(["739", "251"])  # built at run time: no code constant holds it


def test_no_reference_to_the_pin_after_login(manager: TokenManager, fresh_token: str):
    token = manager.find_token(label=fresh_token)
    new_pin = _unique_pin()
    manager.change_pin(token, USER_PIN, new_pin)
    assert _holders(new_pin) == []  # change_pin kept nothing either

    class Holder:
        pass

    probe, holder = [new_pin], Holder()  # the scan does find holders when there are some
    holder.pin = new_pin  # (its __dict__ holds only text: gc does not track it, the scan looks inside)
    assert {"list", "Holder"} <= set(_holders(new_pin))
    del probe, holder

    session = manager.open_session(manager.refresh_token(token), new_pin)
    try:
        assert session.keys() == []  # logged in and working
        assert _holders(new_pin) == []
        second = manager.open_session(token, _unique_pin())  # compared through the HMAC tag only
        second.close()
        assert _holders(new_pin) == []
    finally:
        session.close()
    assert _holders(new_pin) == []


def test_no_reference_to_a_wrong_pin_in_the_error(manager: TokenManager, fresh_token: str):
    token = manager.find_token(label=fresh_token)
    wrong = _unique_pin()
    with pytest.raises(PinIncorrect) as caught:
        manager.open_session(token, wrong)
    assert caught.value.__traceback__ is not None  # the error and its traceback are alive during the scan
    assert _holders(wrong) == []
    assert wrong not in str(caught.value) and wrong not in repr(caught.value.__dict__)


def test_pin_not_initialised_refuses_login_before_trying():
    assert pin_state_from_flags(CKF_TOKEN_INITIALIZED) is PinState.NOT_INITIALISED
    assert isinstance(pin_state_error(PinState.NOT_INITIALISED), PinNotInitialised)
    assert pin_state_text(PinState.NOT_INITIALISED)

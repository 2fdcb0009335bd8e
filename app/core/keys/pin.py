"""The user PIN as the token reports it, and SealDesk's rules for handling one.

A PIN is tried at most once per user action, and a try is refused up front when the token's flags or
length limits say it would fail (most keys count every wrong try). The PIN travels as a `PinBuffer`
that is zeroed as soon as the login call returns, so no object keeps it; only an HMAC tag (random
per-process key) of the PIN that logged in stays, to refuse a different PIN in a second session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum

from ..errors import PinIncorrect, PinInvalid, PinLocked, PinNotInitialised, SealDeskError
from ..i18n_marks import QT_TRANSLATE_NOOP

# CK_TOKEN_INFO flags
CKF_USER_PIN_INITIALIZED = 0x8
CKF_TOKEN_INITIALIZED = 0x400
CKF_USER_PIN_COUNT_LOW = 0x10000
CKF_USER_PIN_FINAL_TRY = 0x20000
CKF_USER_PIN_LOCKED = 0x40000
CKF_USER_PIN_TO_BE_CHANGED = 0x80000

_PIN_TAG_KEY = secrets.token_bytes(32)


class PinState(StrEnum):
    """The user PIN state a token reports in CK_TOKEN_INFO.flags."""

    OK = "ok"
    COUNT_LOW = "count_low"
    FINAL_TRY = "final_try"
    LOCKED = "locked"
    MUST_CHANGE = "must_change"
    NOT_INITIALISED = "not_initialised"


def pin_state_from_flags(flags: int) -> PinState:
    """The most severe PIN state among the flags (LOCKED > NOT_INITIALISED > FINAL_TRY > MUST_CHANGE > COUNT_LOW)."""
    if flags & CKF_USER_PIN_LOCKED:
        return PinState.LOCKED
    if not flags & CKF_USER_PIN_INITIALIZED:
        return PinState.NOT_INITIALISED
    if flags & CKF_USER_PIN_FINAL_TRY:
        return PinState.FINAL_TRY
    if flags & CKF_USER_PIN_TO_BE_CHANGED:
        return PinState.MUST_CHANGE
    if flags & CKF_USER_PIN_COUNT_LOW:
        return PinState.COUNT_LOW
    return PinState.OK


_PIN_STATE_TEXT = {
    PinState.OK: "",
    PinState.COUNT_LOW: QT_TRANSLATE_NOOP("errors", "Few tries left before the PIN locks."),
    PinState.FINAL_TRY: QT_TRANSLATE_NOOP("errors", "Last try: one more wrong PIN locks the key."),
    PinState.LOCKED: QT_TRANSLATE_NOOP("errors", "The PIN is locked."),
    PinState.MUST_CHANGE: QT_TRANSLATE_NOOP("errors", "The PIN must be changed."),
    PinState.NOT_INITIALISED: QT_TRANSLATE_NOOP("errors", "The key has no user PIN yet."),
}


def pin_state_text(state: PinState) -> str:
    """The English (translatable, context "errors") sentence shown for a PIN state; "" for OK."""
    return _PIN_STATE_TEXT[state]


def pin_state_error(state: PinState) -> SealDeskError | None:
    """The error that stops a login before the PIN is even tried (None: trying is allowed)."""
    if state is PinState.LOCKED:
        return PinLocked()
    if state is PinState.NOT_INITIALISED:
        return PinNotInitialised()
    return None


def pin_incorrect(state: PinState, detail: str = "") -> PinIncorrect | PinLocked:
    """The error for a wrong PIN, given the state read right after the failure."""
    if state is PinState.LOCKED:
        return PinLocked(detail)
    warning = pin_state_text(state) if state in (PinState.COUNT_LOW, PinState.FINAL_TRY) else ""
    return PinIncorrect(detail, pin_state=state, warning=warning)


class PinBuffer:
    """The PIN as UTF-8 in a bytearray that `wipe()` zeroes: the only copy SealDesk makes of a PIN."""

    __slots__ = ("_data",)

    def __init__(self, pin: object) -> None:
        if not isinstance(pin, str):  # refused without showing any of it (no chained exception)
            raise PinInvalid("PIN is not text", rule="text")
        try:
            self._data = bytearray(pin.encode("utf-8"))
        except UnicodeError:
            raise PinInvalid("PIN is not valid text", rule="text") from None

    @property
    def data(self) -> bytearray:
        """The bytes (zeros after `wipe()`)."""
        return self._data

    def __len__(self) -> int:
        return len(self._data)

    def tag(self) -> bytes:
        """HMAC of the PIN under a per-process random key: compares PINs without keeping one."""
        return hmac.new(_PIN_TAG_KEY, self._data, hashlib.sha256).digest()

    def text(self) -> str:
        """The PIN as text again, for the one API (python-pkcs11's C_SetPIN) that wants a str."""
        return self._data.decode("utf-8")

    def wipe(self) -> None:
        """Overwrite the bytes with zeros."""
        self._data[:] = bytes(len(self._data))

    def __repr__(self) -> str:
        return "PinBuffer(***)"


def length_rule(min_len: int, max_len: int) -> str:
    """The token's PIN length rule as shown in PinInvalid."""
    if max_len and max_len < 1 << 16:
        return f"{min_len}–{max_len} characters"
    return f"at least {min_len} characters"


def check_pin_length(pin: PinBuffer, min_len: int, max_len: int) -> None:
    """Refuse a PIN the token cannot accept before trying it (a try would cost a retry on most keys).

    SoftHSM answers CKR_PIN_INCORRECT (not CKR_PIN_LEN_RANGE) to an empty or short PIN.
    """
    too_long = max_len and max_len < 1 << 16 and len(pin) > max_len
    if not len(pin) or len(pin) < min_len or too_long:
        raise PinInvalid("PIN length outside the token's range", rule=length_rule(min_len, max_len))

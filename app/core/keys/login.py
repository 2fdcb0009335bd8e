"""Logging in and changing the PIN: the only code that touches a PIN (worker thread).

Login is two steps (python-pkcs11 0.9.5 leaks a session on a wrong PIN): open a session without a
PIN, then raw C_Login with the PinBuffer passed in place; any failure closes that session. A PIN is
tried once, after the token's flags and length limits say a try can succeed; the PIN state is read
right after a failure. A second session of the process is checked against the HMAC tag of the PIN
that logged in, because the module no longer checks it (docs/decisions.md).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from ..errors import (
    PinInvalid,
    PinLocked,
    PinMustChange,
    PinNotInitialised,
    SealDeskError,
    TokenError,
    TokenRemoved,
)
from . import p11
from .model import TokenInfo, decode_text
from .pin import (
    PinBuffer,
    PinState,
    check_pin_length,
    length_rule,
    pin_incorrect,
    pin_state_error,
    pin_state_from_flags,
)
from .registry import LoadedModule
from .session import KeySession
from .worker import CKR_OK, CKR_USER_ALREADY_LOGGED_IN


def login(
    module: LoadedModule, token: TokenInfo, buffer: PinBuffer, on_close: Callable[[KeySession], None]
) -> KeySession:
    """Log in once and return the registered session (worker thread); the session is closed on failure."""
    slot_id, raw = module.locate(token)
    before = pin_state_from_flags(raw.flags)
    blocked = pin_state_error(before)
    if blocked is not None:
        raise blocked
    check_pin_length(buffer, raw.min_pin_len, raw.max_pin_len)
    session = p11.open_session(p11.find_slot(module.lib, slot_id).get_token())
    tag: bytes | None = None
    try:
        rv = module.raw.login_user(session.handle, buffer.data)
        if rv == CKR_USER_ALREADY_LOGGED_IN:
            # Another session of this process is logged in; the module did not check the PIN.
            with module.lock:
                expected = module.login_tags.get(token.serial)
            if expected is None:  # logged in by something else in this process: cannot check
                raise TokenError("the token is logged in by another part of this process")
            if not hmac.compare_digest(expected, buffer.tag()):
                raise pin_incorrect(before, "PIN differs from the PIN of the open session")
        elif rv != CKR_OK:
            raise login_error(module, slot_id, token, rv)
        else:
            tag = buffer.tag()  # only a PIN the module verified becomes the reference
        state = pin_state_from_flags(module.flags_now(slot_id, raw.flags))
        if state is PinState.MUST_CHANGE:
            raise PinMustChange("CKF_USER_PIN_TO_BE_CHANGED after login")
    except BaseException:
        p11.close_quietly(session)
        raise
    info = module.token_info(slot_id, module.raw.token_info(slot_id)[1] or raw)
    opened = KeySession(module, info, session, on_close)
    module.register(opened, tag)  # before any other call can close a sibling and drop the tag
    return opened


def login_error(module: LoadedModule, slot_id: int, token: TokenInfo, rv: int) -> SealDeskError:
    """Map a failed C_Login. The PIN state is read right after the failure."""
    detail = f"C_Login returned 0x{rv:x}"
    rv2, raw = module.raw.token_info(slot_id)
    if rv in p11.REMOVAL_RVS or rv2 != CKR_OK or raw is None or decode_text(raw.serial) != token.serial:
        return TokenRemoved(detail)
    state = pin_state_from_flags(raw.flags)
    if rv == p11.RV_PIN_LOCKED:
        return PinLocked(detail)
    if rv == p11.RV_PIN_EXPIRED:
        return PinMustChange(detail)
    if rv in (p11.RV_PIN_INVALID, p11.RV_PIN_LEN_RANGE):
        return PinInvalid(detail, rule=length_rule(raw.min_pin_len, raw.max_pin_len))
    if rv == p11.RV_PIN_INCORRECT or rv == p11.RV_GENERAL_ERROR:
        # some cheap keys answer CKR_GENERAL_ERROR to a wrong PIN
        return pin_incorrect(state, detail)
    if rv == p11.RV_USER_PIN_NOT_INITIALIZED:
        return PinNotInitialised(detail)
    return TokenError(detail)


def set_pin(module: LoadedModule, token: TokenInfo, old: PinBuffer, new: PinBuffer) -> None:
    """C_SetPIN in a R/W session (which acts for the user); python-pkcs11 wants text, made only for the call."""
    exc = p11.pkcs11_exc()
    slot_id, raw = module.locate(token)
    blocked = pin_state_error(pin_state_from_flags(raw.flags))
    if blocked is not None:
        raise blocked
    check_pin_length(old, raw.min_pin_len, raw.max_pin_len)
    check_pin_length(new, raw.min_pin_len, raw.max_pin_len)
    session = p11.open_session(p11.find_slot(module.lib, slot_id).get_token())
    try:
        session.set_pin(old.text(), new.text())
    except exc.PKCS11Error as err:
        _, after = module.raw.token_info(slot_id)
        if p11.is_removal(err) or after is None:
            raise TokenRemoved(p11.name(err)) from None
        state = pin_state_from_flags(after.flags)
        if isinstance(err, exc.PinIncorrect):
            raise pin_incorrect(state, "C_SetPIN: old PIN incorrect") from None
        if isinstance(err, exc.PinLocked):
            raise PinLocked("C_SetPIN") from None
        if isinstance(err, exc.PinLenRange | exc.PinInvalid | exc.PinTooWeak):
            rule = length_rule(after.min_pin_len, after.max_pin_len)
            raise PinInvalid(f"C_SetPIN: {p11.name(err)}", rule=rule) from None
        raise TokenError(f"C_SetPIN: {p11.name(err)}") from None
    finally:
        p11.close_quietly(session)
    with module.lock:
        if token.serial in module.login_tags:  # our logged-in sessions now hold the new PIN
            module.login_tags[token.serial] = new.tag()

"""Glue to python-pkcs11 0.9.5 shared by the manager, sessions and provisioning.

python-pkcs11 raises exceptions without text and decodes labels strictly; this module maps its
exceptions to SealDesk's typed errors (removal vs. anything else), supplies a tolerant attribute
mapper, and opens and closes sessions the same way everywhere. Functions here run on a module's
worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..errors import MechanismUnsupported, SealDeskError, SigningFailed, TokenError, TokenRemoved
from .model import decode_text

log = logging.getLogger(__name__)

# CK_RV values returned by the raw C_Login
RV_GENERAL_ERROR = 0x05
RV_SLOT_ID_INVALID = 0x03
RV_DEVICE_ERROR = 0x30
RV_DEVICE_REMOVED = 0x32
RV_PIN_INCORRECT = 0xA0
RV_PIN_INVALID = 0xA1
RV_PIN_LEN_RANGE = 0xA2
RV_PIN_EXPIRED = 0xA3
RV_PIN_LOCKED = 0xA4
RV_SESSION_CLOSED = 0xB0
RV_SESSION_HANDLE_INVALID = 0xB3
RV_TOKEN_NOT_PRESENT = 0xE0
RV_TOKEN_NOT_RECOGNIZED = 0xE1
RV_USER_PIN_NOT_INITIALIZED = 0x102
REMOVAL_RVS = {
    RV_SLOT_ID_INVALID,
    RV_DEVICE_REMOVED,
    RV_SESSION_CLOSED,
    RV_SESSION_HANDLE_INVALID,
    RV_TOKEN_NOT_PRESENT,
    RV_TOKEN_NOT_RECOGNIZED,
}


def pkcs11_exc() -> Any:
    """python-pkcs11's exception module (imported late: loading pkcs11 is not free)."""
    import pkcs11.exceptions as exc

    return exc


def is_removal(error: BaseException) -> bool:
    """Whether a python-pkcs11 exception means the token (or its session) is gone."""
    exc = pkcs11_exc()
    return isinstance(
        error,
        exc.DeviceRemoved
        | exc.TokenNotPresent
        | exc.TokenNotRecognised
        | exc.SessionHandleInvalid
        | exc.SessionClosed
        | exc.SlotIDInvalid,
    )


def name(error: BaseException) -> str:
    """The exception class name: python-pkcs11 exceptions carry no message."""
    return type(error).__name__


def make_mapper() -> Any:
    """An attribute mapper whose text attributes decode tolerantly and accept bytes when writing."""
    from pkcs11 import Attribute
    from pkcs11.attributes import AttributeMapper

    mapper = AttributeMapper()

    def pack(value: str | bytes) -> bytes:
        return value if isinstance(value, bytes) else value.encode("utf-8")

    for attr in (Attribute.LABEL, Attribute.APPLICATION):
        mapper.register_handler(attr, pack, lambda b: decode_text(bytes(b)))
    mapper.register_handler(Attribute.KEY_TYPE, _pack_ulong, _key_type)
    return mapper


def _pack_ulong(value: int) -> bytes:
    import struct

    return struct.pack("L", int(value))


def _key_type(raw: bytes) -> Any:
    """CKA_KEY_TYPE as python-pkcs11's KeyType, or the bare number for vendor types (SM2) it lacks."""
    import struct

    from pkcs11 import KeyType

    number = struct.unpack("L", bytes(raw))[0]
    try:
        return KeyType(number)
    except ValueError:
        return number


def find_slot(lib: Any, slot_id: int) -> Any:
    """The python-pkcs11 Slot with this id; TokenRemoved when it has no token any more."""
    for slot in lib.get_slots(token_present=True):
        if slot.slot_id == slot_id:
            return slot
    raise TokenRemoved(f"slot {slot_id} gone")


def open_session(p11_token: Any, rw: bool = True) -> Any:
    """A session without login (R/W when asked and the token allows it)."""
    exc = pkcs11_exc()
    try:
        if rw:
            try:
                return p11_token.open(rw=True, attribute_mapper=make_mapper())
            except exc.TokenWriteProtected:
                pass
        return p11_token.open(rw=False, attribute_mapper=make_mapper())
    except exc.PKCS11Error as err:
        if is_removal(err):
            raise TokenRemoved(f"C_OpenSession: {name(err)}") from None
        raise TokenError(f"C_OpenSession: {name(err)}") from None


def close_quietly(session: Any) -> None:
    """C_CloseSession, ignoring failures (closing a session of a removed token)."""
    try:
        session.close()  # opened without a PIN: python-pkcs11 only calls C_CloseSession
    except Exception as exc:  # noqa: BLE001 - closing a session of a removed token
        log.debug("closing session failed: %s", name(exc))


def sign_error(mechanism: str) -> Callable[[BaseException], SealDeskError]:
    """Maps a failed signing (or key generation) call: unsupported mechanism vs. anything else."""

    def mapper(err: BaseException) -> SealDeskError:
        exc = pkcs11_exc()
        unsupported = (
            exc.MechanismInvalid,
            exc.MechanismParamInvalid,
            exc.KeyTypeInconsistent,
            exc.ArgumentsBad,
            exc.FunctionNotSupported,
        )
        if isinstance(err, unsupported):
            return MechanismUnsupported(name(err), mechanism=mechanism)
        return SigningFailed(f"{mechanism}: {name(err)}")

    return mapper

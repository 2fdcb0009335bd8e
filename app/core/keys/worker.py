"""One thread per PKCS#11 module, and the few raw Cryptoki calls python-pkcs11 0.9.5 lacks.

python-pkcs11 initialises modules without OS locking (`C_Initialize(NULL)`) and releases the GIL around
calls, so two Python threads could enter a module at once. Every call for one module therefore runs on
that module's single worker thread; callers block on a future and get its result or exception.
A module whose tokens live in files other processes rewrite (SoftHSM) runs every call under a guard,
SealDesk's cross-process lock (store_lock.py). The worker drops each call as soon as it has run: a call
that logs in carries the PIN in its closure, and nothing may keep that alive (docs/token-layout.md).

The raw calls (through ctypes, on the same loaded module) exist because python-pkcs11 0.9.5
- logs in inside `Token.open()` and leaks the session when the PIN is wrong (no handle is returned);
  we open a session without a PIN and call `C_Login` ourselves, so we can close it on failure;
- decodes the token label with errors="replace" and hides ulMinPinLen/ulMaxPinLen;
- has no C_GetSessionInfo (used to check that no session leaked);
- refuses vendor mechanism numbers (SM2: C_SignInit/C_Sign, keys/sm2.py) and has no C_InitToken/C_InitPIN.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any, TypeVar

T = TypeVar("T")

CK_ULONG = ctypes.c_ulong
CK_RV = ctypes.c_ulong
CKU_USER = 1
CKR_OK = 0
CK_UNAVAILABLE_INFORMATION = ctypes.c_ulong(-1).value
CKR_USER_ALREADY_LOGGED_IN = 0x100

_PACK = 1 if sys.platform.startswith("win") else 0  # Cryptoki structs are packed on Windows


class ModuleWorker:
    """A single thread that runs every call for one PKCS#11 module, in order."""

    def __init__(self, name: str, guard: Callable[[], AbstractContextManager[object]] | None = None) -> None:
        self._guard = guard or nullcontext
        self._queue: SimpleQueue[tuple[Callable[[], Any], Future[Any]] | None] = SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name=f"pkcs11:{name}", daemon=True)
        self._stopped = False
        self._lock = threading.Lock()
        self._thread.start()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self._run(*item)
            del item  # the loop must not keep the last call (and the PIN in its closure) alive

    def _run(self, fn: Callable[[], Any], future: Future[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            with self._guard():
                result = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            future.set_exception(exc)
        else:
            future.set_result(result)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the worker thread and return its result (exceptions propagate)."""
        if threading.current_thread() is self._thread:
            return fn()  # already on the worker: nested helper calls must not deadlock
        future: Future[T] = Future()
        with self._lock:
            if self._stopped:
                raise RuntimeError("PKCS#11 worker stopped")
            self._queue.put((fn, future))
        return future.result()

    def stop(self) -> None:
        """Finish queued calls, then end the thread."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._queue.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)


# --- raw Cryptoki structures ----------------------------------------------------------------------
class _Version(ctypes.Structure):
    _pack_ = _PACK or 8
    _fields_ = [("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte)]


class _TokenInfo(ctypes.Structure):
    _pack_ = _PACK or 8
    _fields_ = [
        ("label", ctypes.c_ubyte * 32),
        ("manufacturerID", ctypes.c_ubyte * 32),
        ("model", ctypes.c_ubyte * 16),
        ("serialNumber", ctypes.c_ubyte * 16),
        ("flags", CK_ULONG),
        ("ulMaxSessionCount", CK_ULONG),
        ("ulSessionCount", CK_ULONG),
        ("ulMaxRwSessionCount", CK_ULONG),
        ("ulRwSessionCount", CK_ULONG),
        ("ulMaxPinLen", CK_ULONG),
        ("ulMinPinLen", CK_ULONG),
        ("ulTotalPublicMemory", CK_ULONG),
        ("ulFreePublicMemory", CK_ULONG),
        ("ulTotalPrivateMemory", CK_ULONG),
        ("ulFreePrivateMemory", CK_ULONG),
        ("hardwareVersion", _Version),
        ("firmwareVersion", _Version),
        ("utcTime", ctypes.c_ubyte * 16),
    ]


class _SessionInfo(ctypes.Structure):
    _pack_ = _PACK or 8
    _fields_ = [("slotID", CK_ULONG), ("state", CK_ULONG), ("flags", CK_ULONG), ("ulDeviceError", CK_ULONG)]


# Order of the CK_FUNCTION_LIST entries we need (PKCS#11 v2.x), after the CK_VERSION header.
_FUNCTIONS = [
    "C_Initialize", "C_Finalize", "C_GetInfo", "C_GetFunctionList", "C_GetSlotList", "C_GetSlotInfo",
    "C_GetTokenInfo", "C_GetMechanismList", "C_GetMechanismInfo", "C_InitToken", "C_InitPIN", "C_SetPIN",
    "C_OpenSession", "C_CloseSession", "C_CloseAllSessions", "C_GetSessionInfo", "C_GetOperationState",
    "C_SetOperationState", "C_Login", "C_Logout",
    # up to C_Sign, for vendor SM2 mechanisms python-pkcs11 refuses (keys/sm2.py)
    "C_CreateObject", "C_CopyObject", "C_DestroyObject", "C_GetObjectSize", "C_GetAttributeValue",
    "C_SetAttributeValue", "C_FindObjectsInit", "C_FindObjects", "C_FindObjectsFinal", "C_EncryptInit",
    "C_Encrypt", "C_EncryptUpdate", "C_EncryptFinal", "C_DecryptInit", "C_Decrypt", "C_DecryptUpdate",
    "C_DecryptFinal", "C_DigestInit", "C_Digest", "C_DigestUpdate", "C_DigestKey", "C_DigestFinal",
    "C_SignInit", "C_Sign",
]  # fmt: skip


class _Mechanism(ctypes.Structure):
    _pack_ = _PACK or 8
    _fields_ = [("mechanism", CK_ULONG), ("pParameter", ctypes.c_void_p), ("ulParameterLen", CK_ULONG)]


CKR_BUFFER_TOO_SMALL = 0x150


class _FunctionList(ctypes.Structure):
    _pack_ = _PACK or 8
    _fields_ = [("version", _Version)] + [(name, ctypes.c_void_p) for name in _FUNCTIONS]


@dataclass(frozen=True)
class RawTokenInfo:
    """CK_TOKEN_INFO with the text fields as raw bytes (trailing blanks/NULs stripped)."""

    label: bytes
    manufacturer: bytes
    model: bytes
    serial: bytes
    flags: int
    session_count: int | None
    """ulSessionCount; None when the module does not report it (SoftHSM)."""
    min_pin_len: int
    max_pin_len: int


def _text(field: Any) -> bytes:
    return bytes(field).rstrip(b"\0").rstrip(b" ")


class RawModule:
    """ctypes access to one already loaded (and initialised) module: same file, same process state."""

    def __init__(self, path: str) -> None:
        # dlopen/LoadLibrary of the same path returns the handle python-pkcs11 already holds.
        self._dll = ctypes.CDLL(path)
        get_list = self._dll.C_GetFunctionList
        get_list.restype = CK_RV
        get_list.argtypes = [ctypes.POINTER(ctypes.POINTER(_FunctionList))]
        ptr = ctypes.POINTER(_FunctionList)()
        rv = get_list(ctypes.byref(ptr))
        if rv != CKR_OK or not ptr:
            raise OSError(f"C_GetFunctionList returned 0x{rv:x}")
        table = ptr.contents
        self._get_token_info = ctypes.CFUNCTYPE(CK_RV, CK_ULONG, ctypes.POINTER(_TokenInfo))(
            table.C_GetTokenInfo
        )
        self._get_session_info = ctypes.CFUNCTYPE(CK_RV, CK_ULONG, ctypes.POINTER(_SessionInfo))(
            table.C_GetSessionInfo
        )
        self._login = ctypes.CFUNCTYPE(CK_RV, CK_ULONG, CK_ULONG, ctypes.c_char_p, CK_ULONG)(table.C_Login)
        self._close_session = ctypes.CFUNCTYPE(CK_RV, CK_ULONG)(table.C_CloseSession)
        self._sign_init = ctypes.CFUNCTYPE(CK_RV, CK_ULONG, ctypes.POINTER(_Mechanism), CK_ULONG)(table.C_SignInit)
        self._sign = ctypes.CFUNCTYPE(
            CK_RV, CK_ULONG, ctypes.c_char_p, CK_ULONG, ctypes.c_char_p, ctypes.POINTER(CK_ULONG)
        )(table.C_Sign)
        self._init_token = ctypes.CFUNCTYPE(CK_RV, CK_ULONG, ctypes.c_char_p, CK_ULONG, ctypes.c_char_p)(
            table.C_InitToken
        )
        self._init_pin = ctypes.CFUNCTYPE(CK_RV, CK_ULONG, ctypes.c_char_p, CK_ULONG)(table.C_InitPIN)

    def token_info(self, slot_id: int) -> tuple[int, RawTokenInfo | None]:
        """(CK_RV, info) of C_GetTokenInfo."""
        info = _TokenInfo()
        rv = self._get_token_info(slot_id, ctypes.byref(info))
        if rv != CKR_OK:
            return rv, None
        count = info.ulSessionCount
        return rv, RawTokenInfo(
            label=_text(info.label),
            manufacturer=_text(info.manufacturerID),
            model=_text(info.model),
            serial=_text(info.serialNumber),
            flags=int(info.flags),
            session_count=None if count == CK_UNAVAILABLE_INFORMATION else int(count),
            min_pin_len=int(info.ulMinPinLen),
            max_pin_len=int(info.ulMaxPinLen),
        )

    def login_user(self, session_handle: int, pin: bytearray) -> int:
        """C_Login as CKU_USER; returns the CK_RV. The PIN is passed in place: no copy is made."""
        size = len(pin)
        view = (ctypes.c_char * max(size, 1)).from_buffer(pin if size else bytearray(1))
        try:
            return int(self._login(session_handle, CKU_USER, view, size))
        finally:
            del view  # releases the export, so the caller can zero the bytearray

    def session_alive(self, session_handle: int) -> bool:
        """Whether the module still knows this session handle (C_GetSessionInfo answers CKR_OK)."""
        info = _SessionInfo()
        return self._get_session_info(session_handle, ctypes.byref(info)) == CKR_OK

    def close_session(self, session_handle: int) -> int:
        """C_CloseSession on a handle python-pkcs11 lost (its leaked wrong-PIN session)."""
        return int(self._close_session(session_handle))

    def sign(self, session_handle: int, key_handle: int, mechanism: int, data: bytes) -> tuple[int, bytes]:
        """(CK_RV, signature) of C_SignInit + C_Sign with any mechanism number (vendor SM2), no parameter."""
        mech = _Mechanism(mechanism, None, 0)
        rv = int(self._sign_init(session_handle, ctypes.byref(mech), key_handle))
        if rv != CKR_OK:
            return rv, b""
        size = CK_ULONG(512)
        out = ctypes.create_string_buffer(size.value)
        rv = int(self._sign(session_handle, data, len(data), out, ctypes.byref(size)))
        if rv == CKR_BUFFER_TOO_SMALL:  # the operation stays active: call again with the size asked for
            out = ctypes.create_string_buffer(size.value)
            rv = int(self._sign(session_handle, data, len(data), out, ctypes.byref(size)))
        return rv, out.raw[: size.value] if rv == CKR_OK else b""

    def init_token(self, slot_id: int, so_pin: bytes, label: str) -> int:
        """C_InitToken (python-pkcs11 has none): the SM2 demo token is made this way."""
        padded = label.encode("utf-8")[:32].ljust(32, b" ")
        return int(self._init_token(slot_id, so_pin, len(so_pin), padded))

    def init_pin(self, session_handle: int, pin: bytes) -> int:
        """C_InitPIN in a session logged in as the SO."""
        return int(self._init_pin(session_handle, pin, len(pin)))

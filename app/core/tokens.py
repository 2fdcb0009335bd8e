"""USB keys (PKCS#11 tokens): listing, PIN handling, signing and the seals stored on the key.

Built on python-pkcs11 0.9.5 with three rules:
- every call for a module runs on that module's single worker thread (see pkcs11_worker);
- a PIN is tried exactly once per user action, the session is closed when the login fails, and the
  PIN never reaches an exception, a log or a file;
- pkcs11 exceptions (which carry no text) are mapped to the typed errors of app.core.errors.

The object layout on the key (key ↔ certificate ↔ seal) is described in docs/token-layout.md.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from . import softhsm
from .errors import (
    CertificateInvalid,
    InvalidArgument,
    KeyNotFound,
    MechanismUnsupported,
    ModuleLoadFailed,
    NoTokenPresent,
    PinIncorrect,
    PinInvalid,
    PinLocked,
    PinMustChange,
    SealDeskError,
    SealNotFound,
    SigningFailed,
    TokenError,
    TokenNotFound,
    TokenRemoved,
)
from .i18n_marks import QT_TRANSLATE_NOOP
from .modules import ModuleCandidate, ModuleSpec, discover, load_failure_hint
from .pkcs11_worker import CKR_OK, CKR_USER_ALREADY_LOGGED_IN, ModuleWorker, RawModule, RawTokenInfo

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

log = logging.getLogger(__name__)

SEAL_APPLICATION = "GB/T 38540 SESeal"
"""CKA_APPLICATION of the CKO_DATA objects that hold a seal (docs/token-layout.md)."""

# CK_TOKEN_INFO flags
CKF_TOKEN_INITIALIZED = 0x400
CKF_USER_PIN_COUNT_LOW = 0x10000
CKF_USER_PIN_FINAL_TRY = 0x20000
CKF_USER_PIN_LOCKED = 0x40000
CKF_USER_PIN_TO_BE_CHANGED = 0x80000

# CK_RV values returned by the raw C_Login
_RV_GENERAL_ERROR = 0x05
_RV_SLOT_ID_INVALID = 0x03
_RV_DEVICE_ERROR = 0x30
_RV_DEVICE_REMOVED = 0x32
_RV_PIN_INCORRECT = 0xA0
_RV_PIN_INVALID = 0xA1
_RV_PIN_LEN_RANGE = 0xA2
_RV_PIN_EXPIRED = 0xA3
_RV_PIN_LOCKED = 0xA4
_RV_SESSION_CLOSED = 0xB0
_RV_SESSION_HANDLE_INVALID = 0xB3
_RV_TOKEN_NOT_PRESENT = 0xE0
_RV_TOKEN_NOT_RECOGNIZED = 0xE1
_RV_USER_PIN_NOT_INITIALIZED = 0x102
_REMOVAL_RVS = {
    _RV_SLOT_ID_INVALID,
    _RV_DEVICE_REMOVED,
    _RV_SESSION_CLOSED,
    _RV_SESSION_HANDLE_INVALID,
    _RV_TOKEN_NOT_PRESENT,
    _RV_TOKEN_NOT_RECOGNIZED,
}

HASH_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}
_DIGEST_INFO_PREFIX = {
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "sha384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "sha512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
SCHEMES = {"rsa": ("pkcs1v15", "pss"), "ec": ("ecdsa",)}
DEFAULT_SCHEME = {"rsa": "pkcs1v15", "ec": "ecdsa"}

# A per-process random key: lets us recognise "the same PIN as the logged-in session" without keeping
# the PIN itself (PKCS#11 login state is shared by all sessions of a process on a token).
_PIN_TAG_KEY = secrets.token_bytes(32)


# --- PIN state ------------------------------------------------------------------------------------
class PinState(StrEnum):
    """The user PIN state a token reports in CK_TOKEN_INFO.flags."""

    OK = "ok"
    COUNT_LOW = "count_low"
    FINAL_TRY = "final_try"
    LOCKED = "locked"
    MUST_CHANGE = "must_change"


def pin_state_from_flags(flags: int) -> PinState:
    """The most severe PIN state among the token flags (LOCKED > FINAL_TRY > MUST_CHANGE > COUNT_LOW)."""
    if flags & CKF_USER_PIN_LOCKED:
        return PinState.LOCKED
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
}


def pin_state_text(state: PinState) -> str:
    """The English (translatable, context "errors") sentence shown for a PIN state; "" for OK."""
    return _PIN_STATE_TEXT[state]


def pin_state_error(state: PinState) -> SealDeskError | None:
    """The error that stops a login before the PIN is even tried (None: trying is allowed)."""
    if state is PinState.LOCKED:
        return PinLocked()
    return None


def pin_incorrect(state: PinState, detail: str = "") -> PinIncorrect | PinLocked:
    """The error for a wrong PIN, given the state read right after the failure."""
    if state is PinState.LOCKED:
        return PinLocked(detail)
    warning = pin_state_text(state) if state in (PinState.COUNT_LOW, PinState.FINAL_TRY) else ""
    return PinIncorrect(detail, pin_state=state, warning=warning)



# --- value objects --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModuleInfo:
    """A PKCS#11 module SealDesk tried to load."""

    path: str
    """File of the module."""
    name: str
    """Catalog name (or file name for modules not in the catalog)."""
    loaded: bool
    """True when the module loaded and initialised."""
    error: SealDeskError | None
    """ModuleLoadFailed when `loaded` is False."""


@dataclass(frozen=True)
class TokenInfo:
    """A snapshot of one present token; `key` identifies it across polls and slot renumbering."""

    module_path: str
    """Module that serves the token."""
    module_name: str
    """Name of that module."""
    slot_id: int
    """Slot at the time of the snapshot (SoftHSM renumbers slots; use `key` to compare tokens)."""
    label: str
    """Token label, decoded tolerantly (UTF-8, else GB18030, else hex)."""
    serial: str
    """Serial number."""
    manufacturer: str
    """Manufacturer ID."""
    model: str
    """Model."""
    pin_state: PinState
    """User PIN state when the snapshot was taken."""
    flags: int
    """Raw CK_TOKEN_INFO.flags."""

    @property
    def key(self) -> tuple[str, str]:
        """(module_path, serial): the identity the watcher compares."""
        return (self.module_path, self.serial)


@dataclass(frozen=True)
class KeyEntry:
    """A private key on the token and the certificate with the same CKA_ID (if any)."""

    key_id: bytes
    """CKA_ID shared by key, certificate and seals."""
    label: str
    """CKA_LABEL of the private key."""
    key_type: str
    """"rsa" or "ec"."""
    certificate: bytes | None
    """DER of the X.509 certificate with the same CKA_ID."""


@dataclass(frozen=True)
class StoredSeal:
    """A seal (DER SESeal) kept on the token next to its signing key."""

    key_id: bytes
    """CKA_ID of the signing key the seal belongs to."""
    label: str
    """Seal name (CKA_LABEL)."""
    der: bytes
    """The DER-encoded SESeal (CKA_VALUE)."""


def decode_text(raw: bytes) -> str:
    """Decode a label from a token: UTF-8, else GB18030 (older Chinese keys write GBK), else hex."""
    raw = raw.rstrip(b"\0").rstrip(b" ")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.hex()


def _make_mapper() -> Any:
    """An attribute mapper whose text attributes decode tolerantly and accept bytes when writing."""
    from pkcs11 import Attribute
    from pkcs11.attributes import AttributeMapper

    mapper = AttributeMapper()

    def pack(value: str | bytes) -> bytes:
        return value if isinstance(value, bytes) else value.encode("utf-8")

    for attr in (Attribute.LABEL, Attribute.APPLICATION):
        mapper.register_handler(attr, pack, lambda b: decode_text(bytes(b)))
    return mapper


def _tag(pin: bytes) -> bytes:
    return hmac.new(_PIN_TAG_KEY, pin, hashlib.sha256).digest()


# --- module registry (process-wide: one worker per module file) ----------------------------------
class _Module:
    """A loaded module: its worker thread, python-pkcs11 lib, raw access and our open sessions."""

    def __init__(self, candidate: ModuleCandidate, worker: ModuleWorker, lib: Any, raw: RawModule) -> None:
        self.path = candidate.path
        self.spec: ModuleSpec = candidate.spec
        self.worker = worker
        self.lib = lib
        self.raw = raw
        self.users = 0
        self.sessions: set[KeySession] = set()
        self.login_tags: dict[str, bytes] = {}  # serial -> tag of the PIN of the current login
        self.lock = threading.Lock()

    def session_count(self, serial: str | None = None) -> int:
        with self.lock:
            return sum(1 for s in self.sessions if serial is None or s.token.serial == serial)


_REGISTRY: dict[str, _Module] = {}
_REGISTRY_LOCK = threading.Lock()


def _load(candidate: ModuleCandidate) -> _Module:
    """Load (or reuse) a module; raises ModuleLoadFailed."""
    with _REGISTRY_LOCK:
        existing = _REGISTRY.get(candidate.path)
        if existing is not None:
            existing.users += 1
            return existing
        worker = ModuleWorker(candidate.spec.name)

        def load() -> tuple[Any, RawModule]:
            import pkcs11

            if candidate.spec.id == "softhsm2" or "softhsm" in candidate.path.lower():
                softhsm.ensure_config()
            lib = pkcs11.lib(candidate.path)
            return lib, RawModule(candidate.path)

        try:
            lib, raw = worker.call(load)
        except Exception as exc:  # any loader failure: OSError, PKCS11Error, AttributeError (no symbol)
            worker.stop()
            hint = load_failure_hint(candidate.path)
            raise ModuleLoadFailed(f"{hint}: {type(exc).__name__} {exc}", module=candidate.spec.name) from None
        module = _Module(candidate, worker, lib, raw)
        module.users = 1
        _REGISTRY[candidate.path] = module
        return module


def _release(module: _Module) -> None:
    with _REGISTRY_LOCK:
        module.users -= 1
        if module.users > 0 or module.session_count():
            return
        _REGISTRY.pop(module.path, None)
    module.worker.stop()


# --- error mapping --------------------------------------------------------------------------------
def _pkcs11_exc() -> Any:
    import pkcs11.exceptions as exc

    return exc


def _is_removal(error: BaseException) -> bool:
    exc = _pkcs11_exc()
    return isinstance(
        error,
        exc.DeviceRemoved
        | exc.TokenNotPresent
        | exc.TokenNotRecognised
        | exc.SessionHandleInvalid
        | exc.SessionClosed
        | exc.SlotIDInvalid,
    )


def _name(error: BaseException) -> str:
    return type(error).__name__


# --- manager --------------------------------------------------------------------------------------
def _pin_bytes(pin: object) -> bytes:
    """The PIN as UTF-8; anything else is refused without showing any of it (no chained exception)."""
    if not isinstance(pin, str):
        raise PinInvalid("PIN is not text", rule="text")
    try:
        return pin.encode("utf-8")
    except UnicodeError:
        raise PinInvalid("PIN is not valid text", rule="text") from None


class TokenManager:
    """Loads the modules and hands out tokens and logged-in sessions."""

    def __init__(self, extra_modules: Sequence[str] = (), use_catalog: bool = True) -> None:
        self._infos: list[ModuleInfo] = []
        self._modules: dict[str, _Module] = {}
        self._sessions: set[KeySession] = set()
        self._closed = False
        for candidate in discover(list(extra_modules), use_catalog=use_catalog):
            try:
                module = _load(candidate)
            except ModuleLoadFailed as err:
                log.warning("PKCS#11 module %s not loaded: %s", candidate.path, err.detail)
                self._infos.append(ModuleInfo(candidate.path, candidate.spec.name, False, err))
                continue
            self._modules[candidate.path] = module
            self._infos.append(ModuleInfo(candidate.path, candidate.spec.name, True, None))
            if module.spec.needs_reinit:
                self._try_reinit(module)  # a cached module would miss tokens created since it loaded

    # -- modules
    def modules(self) -> list[ModuleInfo]:
        """Every module tried, loaded or not."""
        return list(self._infos)

    def _module(self, path: str) -> _Module:
        module = self._modules.get(path)
        if module is None:
            raise TokenNotFound(f"module {path} is not loaded", token=path)
        return module

    def _try_reinit(self, module: _Module) -> bool:
        if module.session_count():
            return False
        try:
            module.worker.call(module.lib.reinitialize)
        except Exception as exc:  # noqa: BLE001 - a module that cannot reinitialise keeps its view
            log.warning("re-initialising %s failed: %s", module.path, _name(exc))
            return False
        return True

    def reinitialize(self, module_path: str) -> None:
        """C_Finalize + C_Initialize, so the module sees tokens inserted since it loaded.

        Refused while sessions on the module are open: finalising would invalidate them.
        """
        module = self._module(module_path)
        if module.session_count():
            raise TokenError(f"{module.session_count()} session(s) open on {module.spec.name}; not re-initialised")
        try:
            module.worker.call(module.lib.reinitialize)
        except Exception as exc:
            raise TokenError(f"re-initialising {module.spec.name} failed: {_name(exc)}") from None

    def needs_reinit(self, module_path: str) -> bool:
        """Whether the catalog says this module only sees tokens present at initialisation."""
        return self._module(module_path).spec.needs_reinit

    def open_session_count(self, module_path: str) -> int:
        """Sessions SealDesk holds on this module (all managers in the process)."""
        return self._module(module_path).session_count()

    # -- tokens
    def _list(self, module: _Module) -> list[TokenInfo]:
        def run() -> list[TokenInfo]:
            found = []
            for slot in module.lib.get_slots(token_present=True):
                rv, raw = module.raw.token_info(slot.slot_id)
                if rv != CKR_OK or raw is None or not raw.flags & CKF_TOKEN_INITIALIZED:
                    continue  # gone between the two calls, unreadable, or blank
                found.append(_token_info(module, slot.slot_id, raw))
            return found

        try:
            return module.worker.call(run)
        except Exception as exc:  # noqa: BLE001 - one broken module must not hide the others
            log.warning("listing tokens of %s failed: %s", module.path, _name(exc))
            return []

    def tokens(self) -> list[TokenInfo]:
        """The initialised tokens present now, with a freshly read PIN state."""
        if self._closed:
            raise TokenError("token manager closed")
        result: list[TokenInfo] = []
        for module in self._modules.values():
            result.extend(self._list(module))
        return result

    def find_token(self, *, serial: str | None = None, label: str | None = None) -> TokenInfo:
        """The token with this serial and/or label (NoTokenPresent when no token at all)."""

        def match(tokens: list[TokenInfo]) -> TokenInfo | None:
            for tok in tokens:
                if (serial is None or tok.serial == serial) and (label is None or tok.label == label):
                    return tok
            return None

        tokens = self.tokens()
        found = match(tokens)
        if found is None:
            reinit = [m for m in self._modules.values() if m.spec.needs_reinit]
            if any([self._try_reinit(m) for m in reinit]):
                tokens = self.tokens()
                found = match(tokens)
        if found is not None:
            return found
        if not tokens:
            raise NoTokenPresent()
        raise TokenNotFound(token=serial or label or "")

    def _locate(self, module: _Module, token: TokenInfo) -> tuple[int, RawTokenInfo]:
        """(slot_id, raw info) of the token now; worker thread only. Raises TokenRemoved."""
        rv, raw = module.raw.token_info(token.slot_id)
        if rv == CKR_OK and raw is not None and decode_text(raw.serial) == token.serial:
            return token.slot_id, raw
        try:
            slots = module.lib.get_slots(token_present=True)
        except Exception:  # noqa: BLE001
            slots = []
        for slot in slots:
            rv, raw = module.raw.token_info(slot.slot_id)
            if rv == CKR_OK and raw is not None and decode_text(raw.serial) == token.serial:
                return slot.slot_id, raw
        raise TokenRemoved(f"token {token.serial} not present")

    def refresh_token(self, token: TokenInfo) -> TokenInfo:
        """The same token with its current flags and PIN state; TokenRemoved if it is gone."""
        module = self._module(token.module_path)

        def run() -> TokenInfo:
            slot_id, raw = self._locate(module, token)
            return _token_info(module, slot_id, raw)

        return module.worker.call(run)

    def open_session(self, token: TokenInfo, pin: str) -> KeySession:
        """Log in once with `pin` (never retried) and return the session; closes it on any failure."""
        module = self._module(token.module_path)
        pin_bytes = _pin_bytes(pin)

        def run() -> KeySession:
            slot_id, raw = self._locate(module, token)
            before = pin_state_from_flags(raw.flags)
            blocked = pin_state_error(before)
            if blocked is not None:
                raise blocked
            _check_pin_length(pin_bytes, raw)
            p11_token = _slot(module, slot_id).get_token()
            session = _open_rw(p11_token)
            try:
                rv = module.raw.login_user(session.handle, pin_bytes)
                if rv == CKR_USER_ALREADY_LOGGED_IN:
                    # Another session of this process is logged in; the module did not check the PIN.
                    with module.lock:
                        expected = module.login_tags.get(token.serial)
                    if expected is None:  # logged in by something else in this process: cannot check
                        raise TokenError("the token is logged in by another part of this process")
                    if not hmac.compare_digest(expected, _tag(pin_bytes)):
                        raise pin_incorrect(before, "PIN differs from the PIN of the open session")
                elif rv != CKR_OK:
                    raise self._login_error(module, slot_id, token, rv)
                else:
                    with module.lock:  # only a PIN the module verified becomes the reference
                        module.login_tags[token.serial] = _tag(pin_bytes)
                state = pin_state_from_flags(_flags_now(module, slot_id, raw.flags))
                if state is PinState.MUST_CHANGE:
                    raise PinMustChange("CKF_USER_PIN_TO_BE_CHANGED after login")
            except BaseException:
                _close_quietly(session)
                raise
            info = _token_info(module, slot_id, module.raw.token_info(slot_id)[1] or raw)
            opened = KeySession(self, module, info, session)
            with module.lock:  # registered before any other call can close a sibling and drop the tag
                module.sessions.add(opened)
            return opened

        key_session = module.worker.call(run)
        self._sessions.add(key_session)
        return key_session

    def _login_error(self, module: _Module, slot_id: int, token: TokenInfo, rv: int) -> SealDeskError:
        """Map a failed C_Login (worker thread). The PIN state is read right after the failure."""
        detail = f"C_Login returned 0x{rv:x}"
        rv2, raw = module.raw.token_info(slot_id)
        if rv in _REMOVAL_RVS or rv2 != CKR_OK or raw is None or decode_text(raw.serial) != token.serial:
            return TokenRemoved(detail)
        state = pin_state_from_flags(raw.flags)
        if rv == _RV_PIN_LOCKED:
            return PinLocked(detail)
        if rv == _RV_PIN_EXPIRED:
            return PinMustChange(detail)
        if rv in (_RV_PIN_INVALID, _RV_PIN_LEN_RANGE):
            return PinInvalid(detail, rule=_length_rule(raw))
        if rv == _RV_PIN_INCORRECT or rv == _RV_GENERAL_ERROR:
            # some cheap keys answer CKR_GENERAL_ERROR to a wrong PIN
            return pin_incorrect(state, detail)
        if rv == _RV_USER_PIN_NOT_INITIALIZED:
            return PinMustChange(detail)
        if rv == _RV_DEVICE_ERROR:
            return TokenError(detail)
        return TokenError(detail)

    def change_pin(self, token: TokenInfo, old_pin: str, new_pin: str) -> None:
        """C_SetPIN for the user PIN (in a R/W session, which acts for the user)."""
        module = self._module(token.module_path)
        exc = _pkcs11_exc()
        old_bytes, new_bytes = _pin_bytes(old_pin), _pin_bytes(new_pin)

        def run() -> None:
            slot_id, raw = self._locate(module, token)
            blocked = pin_state_error(pin_state_from_flags(raw.flags))
            if blocked is not None:
                raise blocked
            _check_pin_length(old_bytes, raw)
            _check_pin_length(new_bytes, raw)
            session = _open_rw(_slot(module, slot_id).get_token())
            try:
                session.set_pin(old_pin, new_pin)
            except exc.PKCS11Error as err:
                _, after = module.raw.token_info(slot_id)
                if _is_removal(err) or after is None:
                    raise TokenRemoved(_name(err)) from None
                state = pin_state_from_flags(after.flags)
                if isinstance(err, exc.PinIncorrect):
                    raise pin_incorrect(state, "C_SetPIN: old PIN incorrect") from None
                if isinstance(err, exc.PinLocked):
                    raise PinLocked("C_SetPIN") from None
                if isinstance(err, exc.PinLenRange | exc.PinInvalid | exc.PinTooWeak):
                    raise PinInvalid(f"C_SetPIN: {_name(err)}", rule=_length_rule(after)) from None
                raise TokenError(f"C_SetPIN: {_name(err)}") from None
            finally:
                _close_quietly(session)
            with module.lock:
                if token.serial in module.login_tags:  # our logged-in sessions now hold the new PIN
                    module.login_tags[token.serial] = _tag(new_pin.encode("utf-8"))

        module.worker.call(run)

    def _session_closed(self, key_session: KeySession) -> None:
        module = key_session._module
        with module.lock:
            module.sessions.discard(key_session)
            if not any(s.token.serial == key_session.token.serial for s in module.sessions):
                module.login_tags.pop(key_session.token.serial, None)
        self._sessions.discard(key_session)

    def close(self) -> None:
        """Close this manager's sessions and release its modules (workers stop when unused)."""
        if self._closed:
            return
        for key_session in list(self._sessions):
            key_session.close()
        self._closed = True
        for module in self._modules.values():
            _release(module)

    def __enter__(self) -> TokenManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- helpers (worker thread) ----------------------------------------------------------------------
def _token_info(module: _Module, slot_id: int, raw: RawTokenInfo) -> TokenInfo:
    return TokenInfo(
        module_path=module.path,
        module_name=module.spec.name,
        slot_id=slot_id,
        label=decode_text(raw.label),
        serial=decode_text(raw.serial),
        manufacturer=decode_text(raw.manufacturer),
        model=decode_text(raw.model),
        pin_state=pin_state_from_flags(raw.flags),
        flags=raw.flags,
    )


def _slot(module: _Module, slot_id: int) -> Any:
    for slot in module.lib.get_slots(token_present=True):
        if slot.slot_id == slot_id:
            return slot
    raise TokenRemoved(f"slot {slot_id} gone")


def _open_rw(p11_token: Any) -> Any:
    exc = _pkcs11_exc()
    try:
        return p11_token.open(rw=True, attribute_mapper=_make_mapper())
    except exc.TokenWriteProtected:
        return p11_token.open(rw=False, attribute_mapper=_make_mapper())
    except exc.PKCS11Error as err:
        if _is_removal(err):
            raise TokenRemoved(f"C_OpenSession: {_name(err)}") from None
        raise TokenError(f"C_OpenSession: {_name(err)}") from None


def _close_quietly(session: Any) -> None:
    try:
        session.close()  # opened without a PIN: python-pkcs11 only calls C_CloseSession
    except Exception as exc:  # noqa: BLE001 - closing a session of a removed token
        log.debug("closing session failed: %s", _name(exc))


def _flags_now(module: _Module, slot_id: int, fallback: int) -> int:
    rv, raw = module.raw.token_info(slot_id)
    return raw.flags if rv == CKR_OK and raw is not None else fallback


def _length_rule(raw: RawTokenInfo) -> str:
    if raw.max_pin_len and raw.max_pin_len < 1 << 16:
        return f"{raw.min_pin_len}–{raw.max_pin_len} characters"
    return f"at least {raw.min_pin_len} characters"


def _check_pin_length(pin: bytes, raw: RawTokenInfo) -> None:
    """Refuse a PIN the token cannot accept before trying it (a try would cost a retry on most keys).

    SoftHSM answers CKR_PIN_INCORRECT (not CKR_PIN_LEN_RANGE) to an empty or short PIN.
    """
    too_long = raw.max_pin_len and raw.max_pin_len < 1 << 16 and len(pin) > raw.max_pin_len
    if not pin or len(pin) < raw.min_pin_len or too_long:
        raise PinInvalid("PIN length outside the token's range", rule=_length_rule(raw))


# --- sessions -------------------------------------------------------------------------------------
class KeySession:
    """A logged-in session on one token. Every PKCS#11 call runs on the module's worker thread."""

    def __init__(self, manager: TokenManager, module: _Module, token: TokenInfo, session: Any) -> None:
        self.token = token
        self._manager = manager
        self._module = module
        self._session = session
        self._closed = False
        self._mechanisms: set[int] | None = None

    def __enter__(self) -> KeySession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other

    @property
    def closed(self) -> bool:
        return self._closed

    # -- plumbing
    def _present(self) -> bool:
        """Whether the token of this session is still there (worker thread)."""
        rv, raw = self._module.raw.token_info(self.token.slot_id)
        return rv == CKR_OK and raw is not None and decode_text(raw.serial) == self.token.serial

    def _run(self, fn: Callable[[], Any], on_error: Callable[[BaseException], SealDeskError]) -> Any:
        if self._closed:
            raise TokenError("session closed")
        exc = _pkcs11_exc()

        def guarded() -> Any:
            try:
                return fn()
            except exc.PKCS11Error as err:
                if _is_removal(err) or not self._present():
                    raise TokenRemoved(_name(err)) from None
                raise on_error(err) from None
            except KeyNotFound:
                if not self._present():
                    raise TokenRemoved("key vanished with the token") from None
                raise

        return self._module.worker.call(guarded)

    @staticmethod
    def _generic(what: str) -> Callable[[BaseException], SealDeskError]:
        return lambda err: TokenError(f"{what}: {_name(err)}")

    def _private_key(self, key_id: bytes) -> Any:
        from pkcs11 import Attribute, ObjectClass

        for obj in self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: key_id}):
            return obj
        raise KeyNotFound(f"no private key with CKA_ID {key_id.hex()}")

    def _certificates(self, key_id: bytes | None = None) -> list[Any]:
        from pkcs11 import Attribute, CertificateType, ObjectClass

        template: dict[Any, Any] = {
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        }
        if key_id is not None:
            template[Attribute.ID] = key_id
        return list(self._session.get_objects(template))

    def _seal_objects(self) -> list[Any]:
        from pkcs11 import Attribute, ObjectClass

        return list(
            self._session.get_objects({Attribute.CLASS: ObjectClass.DATA, Attribute.APPLICATION: SEAL_APPLICATION})
        )

    @staticmethod
    def _seal_key_id(obj: Any) -> bytes:
        from pkcs11 import Attribute

        for attr in (Attribute.OBJECT_ID, Attribute.ID):
            try:
                value = bytes(obj[attr])
            except Exception:  # noqa: BLE001 - attribute absent on this token
                continue
            if value:
                return value
        return b""

    def _mechanism_set(self) -> set[int]:
        if self._mechanisms is None:
            try:
                self._mechanisms = {int(m) for m in _slot(self._module, self.token.slot_id).get_mechanisms()}
            except Exception:  # noqa: BLE001 - no list: use the raw mechanisms only
                self._mechanisms = set()
        return self._mechanisms

    @staticmethod
    def _key_type(obj: Any) -> str:
        from pkcs11 import Attribute, KeyType

        key_type = obj[Attribute.KEY_TYPE]
        if key_type == KeyType.RSA:
            return "rsa"
        if key_type == KeyType.EC:
            return "ec"
        raise MechanismUnsupported(f"key type {key_type!r}", mechanism=str(key_type))

    # -- reading
    def keys(self) -> list[KeyEntry]:
        """The private keys with their certificates, sorted by label."""
        from pkcs11 import Attribute, ObjectClass

        def run() -> list[KeyEntry]:
            certs: dict[bytes, bytes] = {}
            for cert in self._certificates():
                certs.setdefault(bytes(cert[Attribute.ID]), bytes(cert[Attribute.VALUE]))
            entries = []
            for obj in self._session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}):
                key_id = bytes(obj[Attribute.ID])
                try:
                    key_type = self._key_type(obj)
                except MechanismUnsupported:
                    continue  # SM2 or other key types we cannot sign with yet
                entries.append(KeyEntry(key_id, obj[Attribute.LABEL], key_type, certs.get(key_id)))
            if not entries and not self._present():
                raise TokenRemoved("token vanished while listing keys")
            return sorted(entries, key=lambda e: (e.label, e.key_id))

        return self._run(run, self._generic("listing keys"))

    def seals(self) -> list[StoredSeal]:
        """The seals stored on the token (CKO_DATA, CKA_APPLICATION = SEAL_APPLICATION)."""
        from pkcs11 import Attribute

        def run() -> list[StoredSeal]:
            seals = [
                StoredSeal(self._seal_key_id(obj), obj[Attribute.LABEL], bytes(obj[Attribute.VALUE]))
                for obj in self._seal_objects()
            ]
            if not seals and not self._present():
                raise TokenRemoved("token vanished while listing seals")
            return sorted(seals, key=lambda s: (s.label, s.key_id))

        return self._run(run, self._generic("listing seals"))

    def certificate(self, key_id: bytes) -> bytes:
        """DER of the certificate with this CKA_ID (KeyNotFound when there is none)."""
        from pkcs11 import Attribute

        def run() -> bytes:
            for cert in self._certificates(key_id):
                return bytes(cert[Attribute.VALUE])
            raise KeyNotFound(f"no certificate with CKA_ID {key_id.hex()}")

        return self._run(run, self._generic("reading certificate"))

    # -- signing
    def _resolve_scheme(self, key_type: str, scheme: str | None) -> str:
        scheme = scheme or DEFAULT_SCHEME[key_type]
        if scheme not in SCHEMES[key_type]:
            raise MechanismUnsupported(f"{scheme} with a {key_type} key", mechanism=scheme)
        return scheme

    @staticmethod
    def _sign_error(mechanism: str) -> Callable[[BaseException], SealDeskError]:
        def mapper(err: BaseException) -> SealDeskError:
            exc = _pkcs11_exc()
            unsupported = (
                exc.MechanismInvalid,
                exc.MechanismParamInvalid,
                exc.KeyTypeInconsistent,
                exc.ArgumentsBad,
                exc.FunctionNotSupported,
            )
            if isinstance(err, unsupported):
                return MechanismUnsupported(_name(err), mechanism=mechanism)
            return SigningFailed(f"{mechanism}: {_name(err)}")

        return mapper

    def sign_digest(self, key_id: bytes, digest: bytes, hash_name: str, scheme: str | None = None) -> bytes:
        """Sign a precomputed digest. RSA: PKCS#1 v1.5 (DigestInfo) or PSS; EC: DER ECDSA-Sig-Value."""
        from pkcs11 import MGF, Mechanism

        size = HASH_SIZES.get(hash_name)
        if size is None:
            raise MechanismUnsupported(f"hash {hash_name}", mechanism=hash_name)
        if len(digest) != size:
            raise InvalidArgument(f"{hash_name} digest of {len(digest)} bytes", what="digest")
        label = f"{hash_name}/{scheme or 'default'}"

        def run() -> bytes:
            key = self._private_key(key_id)
            key_type = self._key_type(key)
            chosen = self._resolve_scheme(key_type, scheme)
            if chosen == "pkcs1v15":
                return bytes(key.sign(_DIGEST_INFO_PREFIX[hash_name] + digest, mechanism=Mechanism.RSA_PKCS))
            if chosen == "pss":
                hash_mech, mgf = _PSS_PARAMS[hash_name](Mechanism, MGF)
                return bytes(key.sign(digest, mechanism=Mechanism.RSA_PKCS_PSS, mechanism_param=(hash_mech, mgf, size)))
            return _ecdsa_der(bytes(key.sign(digest, mechanism=Mechanism.ECDSA)))

        return self._run(run, self._sign_error(label))

    def sign_data(self, key_id: bytes, data: bytes, hash_name: str = "sha256", scheme: str | None = None) -> bytes:
        """Sign data; uses the token's hashed mechanism when it lists one, else hashes in software."""
        from pkcs11 import MGF, Mechanism

        if hash_name not in HASH_SIZES:
            raise MechanismUnsupported(f"hash {hash_name}", mechanism=hash_name)
        exc = _pkcs11_exc()
        no_hashed_ecdsa = bool(self._module.spec.quirks.get("no_hashed_ecdsa"))

        def run() -> bytes | None:
            key = self._private_key(key_id)
            key_type = self._key_type(key)
            chosen = self._resolve_scheme(key_type, scheme)
            suffix = hash_name.upper()
            if chosen == "pkcs1v15":
                mech, param = getattr(Mechanism, f"{suffix}_RSA_PKCS"), None
            elif chosen == "pss":
                mech = getattr(Mechanism, f"{suffix}_RSA_PKCS_PSS")
                hash_mech, mgf = _PSS_PARAMS[hash_name](Mechanism, MGF)
                param = (hash_mech, mgf, HASH_SIZES[hash_name])
            else:
                if no_hashed_ecdsa:
                    return None
                mech, param = getattr(Mechanism, f"ECDSA_{suffix}"), None
            if int(mech) not in self._mechanism_set():
                return None
            try:
                signature = bytes(key.sign(data, mechanism=mech, mechanism_param=param))
            except exc.MechanismInvalid:
                return None  # listed but refused: fall back to software hashing
            return _ecdsa_der(signature) if chosen == "ecdsa" else signature

        signature = self._run(run, self._sign_error(f"{hash_name}/{scheme or 'default'}"))
        if signature is not None:
            return signature
        digest = hashlib.new(hash_name, data).digest()
        return self.sign_digest(key_id, digest, hash_name, scheme)

    def digest_signer(self, key_id: bytes, scheme: str | None = None) -> TokenDigestSigner:
        """A signer bound to one key and its certificate (what PDF signing and the usage log use)."""
        from pkcs11 import Attribute

        def run() -> tuple[str, bytes]:
            key = self._private_key(key_id)
            key_type = self._key_type(key)
            for cert in self._certificates(key_id):
                return key_type, bytes(cert[Attribute.VALUE])
            raise KeyNotFound(f"no certificate with CKA_ID {key_id.hex()}")

        key_type, cert = self._run(run, self._generic("preparing signer"))
        chosen = self._resolve_scheme(key_type, scheme)
        return TokenDigestSigner(self, key_id, cert, key_type, chosen)

    # -- provisioning
    def generate_key_pair(self, key_type: str, key_id: bytes, label: str) -> PublicKeyTypes:
        """Generate a token key pair ("rsa2048" | "ec-p256"); returns the `cryptography` public key.

        The private key is CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not extractable, sign-only.
        """
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag
        from pkcs11.util.ec import encode_named_curve_parameters

        if key_type not in ("rsa2048", "ec-p256"):
            raise MechanismUnsupported(f"key type {key_type}", mechanism=key_type)
        private_template = {
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.PRIVATE: True,
            Attribute.SIGN: True,
            Attribute.DECRYPT: False,
            Attribute.UNWRAP: False,
            Attribute.DERIVE: False,
        }
        public_template: dict[Any, Any] = {Attribute.VERIFY: True, Attribute.PRIVATE: False}
        capabilities = MechanismFlag.SIGN | MechanismFlag.VERIFY

        def run() -> tuple[str, Any]:
            if key_type == "rsa2048":
                pub, _ = self._session.generate_keypair(
                    KeyType.RSA, 2048, id=key_id, label=label, store=True, capabilities=capabilities,
                    public_template=public_template, private_template=private_template,
                )  # fmt: skip
                return "rsa", (bytes(pub[Attribute.MODULUS]), bytes(pub[Attribute.PUBLIC_EXPONENT]))
            public_template[Attribute.EC_PARAMS] = encode_named_curve_parameters("secp256r1")
            pub, _ = self._session.generate_keypair(
                KeyType.EC, id=key_id, label=label, store=True, capabilities=capabilities,
                mechanism=Mechanism.EC_KEY_PAIR_GEN,
                public_template=public_template, private_template=private_template,
            )  # fmt: skip
            return "ec", bytes(pub[Attribute.EC_POINT])

        kind, value = self._run(run, self._sign_error(f"generating {key_type}"))
        if kind == "rsa":
            modulus, exponent = value
            return rsa.RSAPublicNumbers(int.from_bytes(exponent, "big"), int.from_bytes(modulus, "big")).public_key()
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unwrap_ec_point(value))

    def put_certificate(self, key_id: bytes, label: str, cert_der: bytes) -> None:
        """Store an X.509 certificate under the key's CKA_ID (replacing one with the same CKA_ID)."""
        from asn1crypto import core
        from cryptography import x509
        from pkcs11 import Attribute, CertificateType, ObjectClass

        try:
            cert = x509.load_der_x509_certificate(cert_der)
        except ValueError as err:
            raise CertificateInvalid(str(err)) from None
        template = {
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: False,
            Attribute.ID: key_id,
            Attribute.LABEL: label,
            Attribute.SUBJECT: cert.subject.public_bytes(),
            Attribute.ISSUER: cert.issuer.public_bytes(),
            Attribute.SERIAL_NUMBER: core.Integer(cert.serial_number).dump(),
            Attribute.VALUE: cert_der,
        }

        def run() -> None:
            for old in self._certificates(key_id):
                old.destroy()
            self._session.create_object(template)

        self._run(run, self._generic("storing certificate"))

    def put_seal(self, key_id: bytes, label: str, seal_der: bytes) -> None:
        """Store a seal for the key (replacing a seal with the same key and label)."""
        from pkcs11 import Attribute, ObjectClass

        if not seal_der:
            raise InvalidArgument("empty seal", what="seal")
        template = {
            Attribute.CLASS: ObjectClass.DATA,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: False,
            Attribute.MODIFIABLE: False,
            Attribute.APPLICATION: SEAL_APPLICATION,
            Attribute.OBJECT_ID: key_id,
            Attribute.LABEL: label,
            Attribute.VALUE: seal_der,
        }

        def run() -> None:
            for obj in self._seal_objects():
                if self._seal_key_id(obj) == key_id and obj[Attribute.LABEL] == label:
                    obj.destroy()
            self._session.create_object(template)

        self._run(run, self._generic("storing seal"))

    def delete_seal(self, key_id: bytes, label: str) -> None:
        """Delete the seal with this key and label (SealNotFound when absent)."""
        from pkcs11 import Attribute

        def run() -> None:
            found = [
                obj
                for obj in self._seal_objects()
                if self._seal_key_id(obj) == key_id and obj[Attribute.LABEL] == label
            ]
            if not found:
                if not self._present():
                    raise TokenRemoved("token vanished")
                raise SealNotFound(seal=label)
            for obj in found:
                obj.destroy()

        self._run(run, self._generic("deleting seal"))

    def close(self) -> None:
        """Close the session (the module logs out when the process's last session on the token closes)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._module.worker.call(lambda: _close_quietly(self._session))
        finally:
            self._manager._session_closed(self)


_PSS_PARAMS: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "sha256": lambda M, G: (M.SHA256, G.SHA256),
    "sha384": lambda M, G: (M.SHA384, G.SHA384),
    "sha512": lambda M, G: (M.SHA512, G.SHA512),
}


def _ecdsa_der(raw: bytes) -> bytes:
    """PKCS#11 returns r||s; X.509/CMS want the DER Ecdsa-Sig-Value."""
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big"))


def _unwrap_ec_point(value: bytes) -> bytes:
    """CKA_EC_POINT is a DER OCTET STRING on conforming tokens, the bare point on some others."""
    from asn1crypto import core

    if value[:1] == b"\x04" and len(value) > 2:
        try:
            inner = core.OctetString.load(value).native
        except ValueError:
            return value
        if isinstance(inner, bytes) and inner[:1] in (b"\x02", b"\x03", b"\x04"):
            return inner
    return value


@dataclass
class TokenDigestSigner:
    """Signs digests with one key of an open KeySession (thread-safe: calls go to the worker)."""

    session: KeySession
    key_id: bytes
    certificate: bytes
    key_type: str
    scheme: str
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes:
        """Signature over `digest` (DER ECDSA-Sig-Value for EC keys)."""
        return self.session.sign_digest(self.key_id, digest, hash_name, self.scheme)


# --- watcher --------------------------------------------------------------------------------------
class TokenWatcher:
    """Reports inserted and removed tokens by polling (slot events are unusable; see token-layout.md)."""

    def __init__(
        self,
        manager: TokenManager,
        on_inserted: Callable[[TokenInfo], None],
        on_removed: Callable[[TokenInfo], None],
        interval: float = 1.0,
    ) -> None:
        self._manager = manager
        self._on_inserted = on_inserted
        self._on_removed = on_removed
        self._interval = interval
        self._known: dict[tuple[str, str], TokenInfo] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._poll_lock = threading.Lock()

    def poll_once(self) -> None:
        """Compare the present tokens with the last poll; the first poll reports every token as inserted.

        Modules that only see tokens present at initialisation (SoftHSM) are re-initialised first,
        but only while none of their sessions is open.
        """
        with self._poll_lock:
            for info in self._manager.modules():
                if info.loaded and self._manager.needs_reinit(info.path):
                    if not self._manager.open_session_count(info.path):
                        self._manager._try_reinit(self._manager._module(info.path))
            present = {tok.key: tok for tok in self._manager.tokens()}
            removed = [tok for key, tok in self._known.items() if key not in present]
            inserted = [tok for key, tok in present.items() if key not in self._known]
            self._known = present
        for tok in removed:
            self._notify(self._on_removed, tok)
        for tok in inserted:
            self._notify(self._on_inserted, tok)

    @staticmethod
    def _notify(callback: Callable[[TokenInfo], None], token: TokenInfo) -> None:
        try:
            callback(token)
        except Exception:  # a faulty listener must not stop the watcher
            log.exception("token watcher callback failed")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - keep polling
                log.exception("token poll failed")
            self._stop.wait(self._interval)

    def start(self) -> None:
        """Poll in a background thread until stop()."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="token-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(5.0, self._interval * 3))
            self._thread = None


# --- public objects without login -----------------------------------------------------------------
# MINIMAL VERSION for the GUI branch: the "keys" engineer adds `TokenManager.public_objects(token)` in the
# split key layer; the integrator keeps theirs and points app/core/application.py at it.
@dataclass(frozen=True)
class PublicObjects:
    """What a key shows before any PIN: its certificates and its seals (both CKA_PRIVATE false)."""

    certificates: tuple[tuple[bytes, bytes], ...]
    """(CKA_ID, DER) of each X.509 certificate."""
    seals: tuple[StoredSeal, ...]


def public_objects(manager: TokenManager, token: TokenInfo) -> PublicObjects:
    """Read certificates and seals in a session that never logs in (a seal is a public object)."""
    from pkcs11 import Attribute, CertificateType, ObjectClass

    module = manager._module(token.module_path)

    def run() -> PublicObjects:
        slot_id, _raw = manager._locate(module, token)
        try:
            session = _slot(module, slot_id).get_token().open(attribute_mapper=_make_mapper())
        except _pkcs11_exc().PKCS11Error as err:
            raise (TokenRemoved if _is_removal(err) else TokenError)(f"C_OpenSession: {_name(err)}") from None
        try:
            certs = tuple(
                (bytes(obj[Attribute.ID]), bytes(obj[Attribute.VALUE]))
                for obj in session.get_objects(
                    {Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509}
                )
            )
            seals = tuple(
                sorted(
                    (
                        StoredSeal(KeySession._seal_key_id(obj), obj[Attribute.LABEL], bytes(obj[Attribute.VALUE]))
                        for obj in session.get_objects(
                            {Attribute.CLASS: ObjectClass.DATA, Attribute.APPLICATION: SEAL_APPLICATION}
                        )
                    ),
                    key=lambda s: (s.label, s.key_id),
                )
            )
        except _pkcs11_exc().PKCS11Error as err:
            error = TokenRemoved if _is_removal(err) else TokenError
            raise error(f"reading public objects: {_name(err)}") from None
        finally:
            _close_quietly(session)
        return PublicObjects(certs, seals)

    return module.worker.call(run)

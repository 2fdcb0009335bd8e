"""Finding tokens and opening sessions on them: the one entry point of the key layer.

TokenManager loads the modules (through the process-wide registry), lists and locates tokens by
serial (slots get renumbered), logs in and changes PINs (login.py does the PIN work), reads a
token's public objects without a PIN, and knows the open sessions of each token so that a removed
token invalidates them at once (`token_removed`: called by the watcher, and whenever the manager
itself finds a token gone). Everything it exposes is plain data or a KeySession; TokenWatcher uses
only its public methods.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..errors import ModuleLoadFailed, NoTokenPresent, TokenError, TokenNotFound, TokenRemoved
from . import p11
from .catalog import discover
from .login import login, set_pin
from .model import ModuleInfo, PublicObjects, TokenInfo, decode_text
from .objects import read_certificates, read_seals
from .pin import CKF_TOKEN_INITIALIZED, PinBuffer
from .registry import LoadedModule, load, release
from .session import KeySession
from .worker import CKR_OK

log = logging.getLogger(__name__)


class TokenManager:
    """Loads the modules and hands out tokens and logged-in sessions."""

    def __init__(self, extra_modules: Sequence[str] = (), use_catalog: bool = True) -> None:
        self._infos: list[ModuleInfo] = []
        self._modules: dict[str, LoadedModule] = {}
        self._sessions: set[KeySession] = set()
        self._closed = False
        for candidate in discover(list(extra_modules), use_catalog=use_catalog):
            try:
                module = load(candidate)
            except ModuleLoadFailed as err:
                log.warning("PKCS#11 module %s not loaded: %s", candidate.path, err.detail)
                self._infos.append(ModuleInfo(candidate.path, candidate.spec.name, False, err))
                continue
            self._modules[candidate.path] = module
            self._infos.append(ModuleInfo(candidate.path, candidate.spec.name, True, None))
            if module.spec.needs_reinit:
                self.try_reinitialize(candidate.path)  # a cached module would miss tokens created since it loaded

    # -- modules
    def modules(self) -> list[ModuleInfo]:
        """Every module tried, loaded or not."""
        return list(self._infos)

    def _module(self, path: str) -> LoadedModule:
        module = self._modules.get(path)
        if module is None:
            raise TokenNotFound(f"module {path} is not loaded", token=path)
        return module

    def needs_reinit(self, module_path: str) -> bool:
        """Whether the catalog says this module only sees tokens present at initialisation."""
        return self._module(module_path).spec.needs_reinit

    def open_session_count(self, module_path: str) -> int:
        """Sessions SealDesk holds on this module (all managers in the process)."""
        return self._module(module_path).session_count()

    def try_reinitialize(self, module_path: str) -> bool:
        """Re-initialise the module if no session is open on it; False when skipped or failed."""
        module = self._module(module_path)
        if module.session_count():
            return False
        try:
            module.worker.call(module.lib.reinitialize)
        except Exception as exc:  # noqa: BLE001 - a module that cannot reinitialise keeps its view
            log.warning("re-initialising %s failed: %s", module.path, p11.name(exc))
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
            raise TokenError(f"re-initialising {module.spec.name} failed: {p11.name(exc)}") from None

    def initialise_token(self, module_path: str, label: str, so_pin: str, user_pin: str) -> None:
        """C_InitToken on the slot whose token has this label, else on the first blank one, then C_InitPIN.

        For modules SealDesk provisions itself (the SM2 test module: python-pkcs11 has no C_InitToken);
        SoftHSM tokens are made with softhsm2-util (softhsm.py).
        """
        module = self._module(module_path)

        def run() -> None:
            chosen = blank = None
            for slot in module.lib.get_slots(token_present=True):
                rv, raw = module.raw.token_info(slot.slot_id)
                if rv != CKR_OK or raw is None:
                    continue
                if raw.flags & CKF_TOKEN_INITIALIZED and decode_text(raw.label) == label:
                    chosen = slot
                    break
                if blank is None and not raw.flags & CKF_TOKEN_INITIALIZED:
                    blank = slot
            chosen = chosen or blank
            if chosen is None:
                raise TokenError(f"no blank slot on {module.spec.name}")
            rv = module.raw.init_token(chosen.slot_id, so_pin.encode("utf-8"), label)
            if rv != CKR_OK:
                raise TokenError(f"C_InitToken: CKR 0x{rv:x}")
            session = chosen.get_token().open(rw=True, so_pin=so_pin)
            try:
                rv = module.raw.init_pin(session.handle, user_pin.encode("utf-8"))
            finally:
                session.close()
            if rv != CKR_OK:
                raise TokenError(f"C_InitPIN: CKR 0x{rv:x}")

        try:
            module.worker.call(run)
        except p11.pkcs11_exc().PKCS11Error as exc:
            raise TokenError(f"initialising a token on {module.spec.name}: {p11.name(exc)}") from None

    # -- tokens
    def _list(self, module: LoadedModule) -> list[TokenInfo]:
        def run() -> list[TokenInfo]:
            found = []
            for slot in module.lib.get_slots(token_present=True):
                rv, raw = module.raw.token_info(slot.slot_id)
                if rv != CKR_OK or raw is None or not raw.flags & CKF_TOKEN_INITIALIZED:
                    continue  # gone between the two calls, unreadable, or blank
                found.append(module.token_info(slot.slot_id, raw))
            return found

        try:
            return module.worker.call(run)
        except Exception as exc:  # noqa: BLE001 - one broken module must not hide the others
            log.warning("listing tokens of %s failed: %s", module.path, p11.name(exc))
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
            reinit = [path for path, m in self._modules.items() if m.spec.needs_reinit]
            if any([self.try_reinitialize(path) for path in reinit]):
                tokens = self.tokens()
                found = match(tokens)
        if found is not None:
            return found
        if not tokens:
            raise NoTokenPresent()
        raise TokenNotFound(token=serial or label or "")

    def refresh_token(self, token: TokenInfo) -> TokenInfo:
        """The same token with its current flags and PIN state; TokenRemoved if it is gone."""
        module = self._module(token.module_path)

        def run() -> TokenInfo:
            slot_id, raw = module.locate(token)
            return module.token_info(slot_id, raw)

        try:
            return module.worker.call(run)
        except TokenRemoved:
            self.token_removed(token)
            raise

    # -- sessions of a token, and its removal
    def sessions(self, token: TokenInfo) -> list[KeySession]:
        """The open sessions of this manager on the token."""
        return [s for s in self._sessions if s.token.key == token.key and not s.closed and not s.removed]

    def token_removed(self, token: TokenInfo) -> int:
        """The token is gone: every session on it (in this process) is invalidated at once.

        Their PKCS#11 sessions are closed and each further call raises TokenRemoved. Returns how many
        sessions were invalidated.
        """
        module = self._modules.get(token.module_path)
        if module is None:
            return 0
        taken = module.take_sessions(token.serial)
        for session in taken:
            session.mark_removed()
        return len(taken)

    # -- PIN-less reading
    def public_objects(self, token: TokenInfo) -> PublicObjects:
        """The certificates and seals of the token, read without a PIN (they are CKA_PRIVATE false).

        Lets the GUI show a key's seals before asking for its PIN. TokenRemoved when the token is gone.
        """
        module = self._module(token.module_path)
        exc = p11.pkcs11_exc()

        def run() -> PublicObjects:
            slot_id, raw = module.locate(token)
            session = p11.open_session(p11.find_slot(module.lib, slot_id).get_token(), rw=False)
            try:
                certificates, seals = read_certificates(session), read_seals(session)
            except exc.PKCS11Error as err:
                if p11.is_removal(err):
                    raise TokenRemoved(p11.name(err)) from None
                raise TokenError(f"reading public objects: {p11.name(err)}") from None
            finally:
                p11.close_quietly(session)
            if not certificates and not seals:
                slot_id, raw = module.locate(token)  # an empty answer from a vanished token
            return PublicObjects(module.token_info(slot_id, raw), tuple(certificates), tuple(seals))

        try:
            return module.worker.call(run)
        except TokenRemoved:
            self.token_removed(token)
            raise

    # -- login
    def open_session(self, token: TokenInfo, pin: str) -> KeySession:
        """Log in once with `pin` (never retried) and return the session; closes it on any failure.

        The PIN is copied once into a PinBuffer that is zeroed when the login returns; only its HMAC
        tag is kept (to refuse a different PIN for a second session of this process).
        """
        module = self._module(token.module_path)
        buffer = PinBuffer(pin)
        del pin  # no frame of this call (nor a traceback through it) refers to the caller's string
        try:
            key_session = module.worker.call(lambda: login(module, token, buffer, self._session_closed))
        finally:
            buffer.wipe()
        self._sessions.add(key_session)
        return key_session

    def change_pin(self, token: TokenInfo, old_pin: str, new_pin: str) -> None:
        """C_SetPIN for the user PIN (in a R/W session, which acts for the user)."""
        module = self._module(token.module_path)
        old, new = PinBuffer(old_pin), PinBuffer(new_pin)
        del old_pin, new_pin  # as in open_session: only the buffers, zeroed below, are referenced
        try:
            module.worker.call(lambda: set_pin(module, token, old, new))
        finally:
            old.wipe()
            new.wipe()

    def _session_closed(self, key_session: KeySession) -> None:
        self._sessions.discard(key_session)

    def close(self) -> None:
        """Close this manager's sessions and release its modules (workers stop when unused)."""
        if self._closed:
            return
        for key_session in list(self._sessions):
            key_session.close()
        self._closed = True
        for module in self._modules.values():
            release(module)

    def __enter__(self) -> TokenManager:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

"""The PKCS#11 modules loaded in this process: one worker thread, one library handle each.

A module may be initialised only once per process, and every TokenManager of the process shares it,
so the registry is process-wide and reference-counted. It also knows the sessions SealDesk holds on
each token: a module is only re-initialised when it has none, and a removed token takes its sessions
with it (`take_sessions`). Anything specific to one module (SoftHSM's store, its lock) comes from the
catalog entry (`prepare`, `store_lock`), never from code here.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any, Protocol

from ..errors import ModuleLoadFailed, TokenRemoved
from ..paths import data_dir
from .catalog import ModuleCandidate, ModuleSpec, load_failure_hint
from .model import TokenInfo, decode_text
from .pin import pin_state_from_flags
from .store_lock import StoreLock
from .worker import CKR_OK, ModuleWorker, RawModule, RawTokenInfo

log = logging.getLogger(__name__)


class OpenSession(Protocol):
    """What the registry needs of a logged-in session."""

    token: TokenInfo

    def mark_removed(self) -> None:
        """The token is gone: close the PKCS#11 session, make every further call raise TokenRemoved."""


class LoadedModule:
    """A loaded module: its worker thread, python-pkcs11 lib, raw access and SealDesk's open sessions."""

    def __init__(self, candidate: ModuleCandidate, worker: ModuleWorker, lib: Any, raw: RawModule) -> None:
        self.path = candidate.path
        self.spec: ModuleSpec = candidate.spec
        self.worker = worker
        self.lib = lib
        self.raw = raw
        self.users = 0
        self.login_tags: dict[str, bytes] = {}
        """serial -> HMAC tag of the PIN of the current login (pin.PinBuffer.tag)."""
        self._sessions: set[OpenSession] = set()
        self.lock = threading.Lock()

    def session_count(self, serial: str | None = None) -> int:
        """Open sessions on the module, or on one token of it."""
        with self.lock:
            return sum(1 for s in self._sessions if serial is None or s.token.serial == serial)

    def sessions(self, serial: str) -> list[OpenSession]:
        """The open sessions on one token."""
        with self.lock:
            return [s for s in self._sessions if s.token.serial == serial]

    def register(self, session: OpenSession, tag: bytes | None) -> None:
        """Record a session that just logged in (`tag`: the PIN's tag when the module verified it)."""
        with self.lock:
            self._sessions.add(session)
            if tag is not None:
                self.login_tags[session.token.serial] = tag

    def unregister(self, session: OpenSession) -> None:
        """Forget a closed session; the token's login ends with its last session, and so does the tag."""
        with self.lock:
            self._sessions.discard(session)
            serial = session.token.serial
            if not any(s.token.serial == serial for s in self._sessions):
                self.login_tags.pop(serial, None)

    def take_sessions(self, serial: str) -> list[OpenSession]:
        """Remove and return every session of a token that is gone (its login went with it)."""
        with self.lock:
            taken = [s for s in self._sessions if s.token.serial == serial]
            self._sessions.difference_update(taken)
            self.login_tags.pop(serial, None)
        return taken

    def token_info(self, slot_id: int, raw: RawTokenInfo) -> TokenInfo:
        """The value object for a token of this module."""
        return TokenInfo(
            module_path=self.path,
            module_name=self.spec.name,
            slot_id=slot_id,
            label=decode_text(raw.label),
            serial=decode_text(raw.serial),
            manufacturer=decode_text(raw.manufacturer),
            model=decode_text(raw.model),
            pin_state=pin_state_from_flags(raw.flags),
            flags=raw.flags,
        )

    def locate(self, token: TokenInfo) -> tuple[int, RawTokenInfo]:
        """(slot_id, raw info) of the token now, found by serial (worker thread). Raises TokenRemoved."""
        rv, raw = self.raw.token_info(token.slot_id)
        if rv == CKR_OK and raw is not None and decode_text(raw.serial) == token.serial:
            return token.slot_id, raw
        try:
            slots = self.lib.get_slots(token_present=True)
        except Exception:  # noqa: BLE001 - an unreadable slot list: the token is not there for us
            slots = []
        for slot in slots:
            rv, raw = self.raw.token_info(slot.slot_id)
            if rv == CKR_OK and raw is not None and decode_text(raw.serial) == token.serial:
                return slot.slot_id, raw
        raise TokenRemoved(f"token {token.serial} not present")

    def flags_now(self, slot_id: int, fallback: int) -> int:
        """CK_TOKEN_INFO.flags right now (worker thread), `fallback` when unreadable."""
        rv, raw = self.raw.token_info(slot_id)
        return raw.flags if rv == CKR_OK and raw is not None else fallback


_REGISTRY: dict[str, LoadedModule] = {}
_REGISTRY_LOCK = threading.Lock()


def _prepare(spec: ModuleSpec) -> None:
    """Run the catalog's `prepare` hook (e.g. SoftHSM: use SealDesk's own token store)."""
    if not spec.prepare:
        return
    module_name, _, function = spec.prepare.partition(":")
    if not (module_name == "app" or module_name.startswith("app.")) or not function:
        raise ValueError(f"prepare hook {spec.prepare!r} is not a function of SealDesk")
    getattr(importlib.import_module(module_name), function)()


def _store_lock(spec: ModuleSpec) -> StoreLock | None:
    if not spec.store_lock:
        return None
    return StoreLock(lambda: data_dir() / "locks" / f"pkcs11-{spec.id}.lock")


def load(candidate: ModuleCandidate) -> LoadedModule:
    """Load (or reuse) a module; raises ModuleLoadFailed."""
    with _REGISTRY_LOCK:
        existing = _REGISTRY.get(candidate.path)
        if existing is not None:
            existing.users += 1
            return existing
        store_lock = _store_lock(candidate.spec)
        worker = ModuleWorker(candidate.spec.name, guard=store_lock.hold if store_lock else None)

        def run() -> tuple[Any, RawModule]:
            import pkcs11

            _prepare(candidate.spec)
            lib = pkcs11.lib(candidate.path)
            return lib, RawModule(candidate.path)

        try:
            lib, raw = worker.call(run)
        except Exception as exc:  # any loader failure: OSError, PKCS11Error, AttributeError (no symbol)
            worker.stop()
            hint = load_failure_hint(candidate.path)
            raise ModuleLoadFailed(f"{hint}: {type(exc).__name__} {exc}", module=candidate.spec.name) from None
        module = LoadedModule(candidate, worker, lib, raw)
        module.users = 1
        _REGISTRY[candidate.path] = module
        return module


def release(module: LoadedModule) -> None:
    """Drop one user; the worker stops when no manager and no session uses the module any more."""
    with _REGISTRY_LOCK:
        module.users -= 1
        if module.users > 0 or module.session_count():
            return
        _REGISTRY.pop(module.path, None)
    module.worker.stop()

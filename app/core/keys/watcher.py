"""Hot-plug: reports inserted and removed tokens to the owner, and ends removed tokens' sessions.

python-pkcs11's slot events are unusable and SoftHSM has none (docs/token-layout.md), so the watcher
polls. On removal it first tells the manager (`token_removed`: the token's sessions are invalidated
at once), then calls the owner's callbacks — on the watcher thread: the GUI marshals them to its own
thread. The watcher uses only the manager's public methods.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .manager import TokenManager
from .model import TokenInfo

log = logging.getLogger(__name__)


class TokenWatcher:
    """Reports inserted and removed tokens by polling the manager."""

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
        but only while none of their sessions is open. A removed token's sessions are invalidated
        before the owner hears of the removal.
        """
        with self._poll_lock:
            for info in self._manager.modules():
                if info.loaded and self._manager.needs_reinit(info.path):
                    self._manager.try_reinitialize(info.path)  # skipped while a session is open
            present = {tok.key: tok for tok in self._manager.tokens()}
            removed = [tok for key, tok in self._known.items() if key not in present]
            inserted = [tok for key, tok in present.items() if key not in self._known]
            self._known = present
            for tok in removed:
                self._manager.token_removed(tok)
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

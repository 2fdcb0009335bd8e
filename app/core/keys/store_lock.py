"""A cross-process lock for PKCS#11 modules that keep their tokens in files (SoftHSM).

SoftHSM 2.6 rewrites a token's `token.object` on every successful C_Login (it clears
CKF_USER_PIN_COUNT_LOW), and strace shows the order: F_WRLCK, `ftruncate(0)`, F_UNLCK, *then* the
write. Another process that reads the file in that window (C_Initialize, C_GetTokenInfo, any object
search that refreshes the token) finds it empty and reports the token as absent: "no key" or "key
removed" when several SealDesk processes start at once on the demo key (3 of 24 runs here). SealDesk
therefore runs every call of such a module under one exclusive lock per data folder: `flock` on Unix,
`msvcrt.locking` on Windows. Calls are short (one PKCS#11 step each), so the lock is never held
across user interaction.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..paths import private_dir

log = logging.getLogger(__name__)


class StoreLock:
    """An exclusive lock on a file, shared by every SealDesk process that uses the same data folder."""

    def __init__(self, path: Path | Callable[[], Path]) -> None:
        self._where = path if callable(path) else (lambda: path)
        self.path = self._where()
        self._fd: int | None = None
        self._local = threading.Lock()  # flock is per open file: threads of this process queue here

    def _open(self) -> int | None:
        # The data folder is looked up at each use: a module stays loaded across Applications, and the lock
        # must be the one other processes of the *current* data folder take (tests change SEALDESK_HOME).
        path = self._where()
        if self._fd is not None and path != self.path:
            os.close(self._fd)
            self._fd = None
        self.path = path
        if self._fd is None:
            try:
                private_dir(self.path.parent)
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:  # read-only data folder: run unlocked rather than not at all
                log.warning("lock file %s unusable (%s); running without the cross-process lock", self.path, exc)
                return None
        return self._fd

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the duration of the block (blocks until other processes release it)."""
        with self._local:
            fd = self._open()
            if fd is None:
                yield
                return
            _lock(fd)
            try:
                yield
            finally:
                _unlock(fd)


if sys.platform.startswith("win"):
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for ~10 s, then raises
                return
            except OSError:
                continue

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

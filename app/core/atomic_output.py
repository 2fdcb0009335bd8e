"""Write a file so that it either appears complete or not at all — even if the process is killed.

On Linux the data goes to an anonymous O_TMPFILE in the target folder (it has no name, so a crash or a kill
leaves nothing behind) and is linked into place at the end. Elsewhere a hidden temporary file in the target
folder is used and removed on any error (closed before it is linked or renamed: Windows cannot delete or
rename an open file). In both cases the final step never replaces an existing file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError, OutputExists, OutputFolderError, os_reason


class AtomicOutput:
    """`with AtomicOutput(target) as out: out.file.write(...); out.commit()` — no commit, no file."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self.file: BinaryIO
        self._tmp_path: Path | None = None
        self._committed = False

    def __enter__(self) -> AtomicOutput:
        folder = self.target.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = -1
            if hasattr(os, "O_TMPFILE"):
                with contextlib.suppress(OSError):
                    fd = os.open(folder, os.O_TMPFILE | os.O_RDWR, 0o644)
            if fd < 0:
                fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".part", dir=folder)
                self._tmp_path = Path(name)
        except OSError as exc:
            raise output_error(exc, self.target) from exc
        self.file = os.fdopen(fd, "w+b")
        return self

    def commit(self) -> None:
        """fsync the data, then give it the target name (fails if the target exists)."""
        self.file.flush()
        os.fsync(self.file.fileno())
        if self._tmp_path is None:
            # a dir fd makes CPython use linkat(…, AT_SYMLINK_FOLLOW), which links the anonymous file itself
            root = os.open("/", os.O_RDONLY)
            try:
                os.link(f"/proc/self/fd/{self.file.fileno()}", self.target, src_dir_fd=root, follow_symlinks=True)
            finally:
                os.close(root)
        else:
            # closed first: Windows refuses to delete or rename a file that is still open (no
            # FILE_SHARE_DELETE), which would leave the output written but reported as failed
            self.file.close()
            _link_or_rename(self._tmp_path, self.target)
            self._tmp_path = None
        self._committed = True
        _fsync_dir(self.target.parent)

    def __exit__(self, exc_type, exc, traceback) -> None:
        try:
            with contextlib.suppress(OSError):  # committed data was fsynced; uncommitted data is dropped
                self.file.close()
        finally:
            if self._tmp_path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self._tmp_path.unlink()
        if isinstance(exc, OSError):  # a write or link the OS refused (ENOSPC while pyHanko writes, EIO …)
            raise output_error(exc, self.target) from exc


def ensure_new_target(target: Path) -> None:
    """Refuse early when `target` exists, or when its folder cannot even be looked into (no permission).
    A missing folder is fine: `AtomicOutput` creates it."""
    try:
        os.lstat(target)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise output_error(exc, target) from exc
    raise OutputExists(f"{target} exists", path=str(target))


def output_error(exc: OSError, target: Path) -> OutputError:
    """The typed error for an OS refusal while writing `target`: exists, or folder + reason."""
    if isinstance(exc, FileExistsError):
        return OutputExists(str(exc), path=str(target))
    return OutputFolderError(f"{target}: {exc}", folder=str(Path(target).parent), reason=os_reason(exc))


def _link_or_rename(tmp: Path, target: Path) -> None:
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links (FAT/exFAT USB sticks)
        # claim the name first (O_EXCL fails if anyone has it), then replace only our own empty claim
        claim = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.close(claim)
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

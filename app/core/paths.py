"""Where SealDesk keeps user data: platformdirs' user data dir, overridden by `SEALDESK_HOME`.

Settings, the demo key's SoftHSM store, the trust store and the usage log all live below this one folder, so
a test, a script or a portable install can move everything with one environment variable.

The folder is private: it is created 0700 and everything SealDesk creates in it is created 0600 (folders
0700) from the start — `private_dir`, `write_private` and `create_private_file` pass the mode to the system
call itself, so there is no moment in which another user could open a file before a chmod. The process
umask is left alone: it would also apply to the signed PDFs the user asked for (see docs/decisions.md).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

APP_NAME = "SealDesk"
HOME_ENV = "SEALDESK_HOME"
DIR_MODE = 0o700
FILE_MODE = 0o600


def data_dir() -> Path:
    """The user data folder (created 0700 on first use; an older, looser one is tightened once)."""
    override = os.environ.get(HOME_ENV)
    if override:
        path = Path(override).expanduser()
    else:
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)  # the user's own folders (~/.local/share): their modes
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:
            pass
    _tighten(path)
    return path


POSIX_MODES = os.name == "posix"
"""Unix permission bits exist. On Windows os.chmod only flips the read-only flag and a folder always reads as
0o777, so the tightening below would walk the whole data folder on every call and change nothing; the
per-user %LOCALAPPDATA% folder is already private through its ACL (docs/install.md, "Windows")."""


def _tighten(root: Path) -> None:
    """Make a data folder left by an older SealDesk (0755 folder, 0644 files) private, once."""
    if not POSIX_MODES:
        return
    try:
        if stat.S_IMODE(root.stat().st_mode) & 0o077 == 0:
            return
        for folder, dirs, files in os.walk(root):
            for names, mode in ((dirs, DIR_MODE), (files, FILE_MODE)):
                for name in names:
                    target = os.path.join(folder, name)
                    if not os.path.islink(target):  # never follow a link out of the folder
                        os.chmod(target, mode)
        os.chmod(root, DIR_MODE)
    except OSError:
        pass  # a file system without Unix modes (FAT on a USB stick, Windows): nothing to tighten


def private_dir(path: Path) -> Path:
    """Create `path` and its missing parents below an existing folder, each with mode 0700."""
    path = Path(path)
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, DIR_MODE)
        except FileExistsError:
            pass
    return path


def create_private_file(path: Path) -> bool:
    """Create `path` empty with mode 0600 if it does not exist (for files another library fills, like
    SQLite's database, whose -wal and -shm files then take the same mode). True when it was created."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def write_private(path: Path, data: bytes) -> None:
    """Write `path` atomically with mode 0600: a new temp file (O_EXCL, 0600) in the same folder, then rename.

    Readers see the old content or the new one, never half a file, and never a moment of wider access.
    """
    import secrets

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _shipped(name: str) -> Path:
    """A folder shipped with the program: inside the package in a wheel (`app/_data/<name>`, setup.py maps it),
    else beside the `app` package — a source checkout or editable install (the repository root) and the
    PyInstaller bundle (its `_internal` folder, build.spec)."""
    package = Path(__file__).resolve().parent.parent
    inside = package / "_data" / name
    if inside.is_dir():
        return inside
    return package.parent / name


def resources_dir() -> Path:
    """The read-only resources shipped with the program (translations, icons, API spec)."""
    return _shipped("resources")


def drivers_dir() -> Path:
    """The PKCS#11 module catalog and driver templates shipped with the program."""
    return _shipped("drivers")

"""Crash reports: what a bug left behind, written where the user can find it and send it to us.

A report goes to `crash/` in the data folder, readable only by the user (0600), and holds what a developer
needs — the command's name, versions, the traceback's frames and exception types — and nothing a user may
not want to share: no exception messages (they can quote a document's text or an input value), no
command-line values (a PIN given on the command line, file names), no environment.
"""

from __future__ import annotations

import os
import platform
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from .paths import data_dir

CRASH_DIR = "crash"
_PACKAGES = ("pyhanko", "pyhanko-certvalidator", "python-pkcs11", "asn1crypto", "cryptography", "pymupdf")


def _versions() -> list[str]:
    from importlib import metadata

    from .. import __version__

    lines = [f"SealDesk {__version__}", f"Python {sys.version.split()[0]} ({platform.platform()})"]
    for name in _PACKAGES:
        try:
            lines.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            lines.append(f"{name} -")
    return lines


def _frames(exc: BaseException) -> list[str]:
    """The traceback of `exc` and its causes without any exception message."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        block = [f"{type(current).__module__}.{type(current).__qualname__}"]
        for frame in traceback.extract_tb(current.__traceback__):
            block.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                block.append(f"    {frame.line.strip()}")
        lines = block + (["", "(the exception above led to the one below)"] + lines if lines else [])
        current = current.__cause__ or current.__context__
    return lines


def write_crash_report(command: str, exc: BaseException) -> Path:
    """Write a report for `exc` raised by `command` (a sub-command name, never its arguments); returns its
    path. Raises OSError when the data folder is not writable (the caller then says so)."""
    folder = data_dir() / CRASH_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    moment = datetime.now(UTC)
    path = folder / f"crash-{moment.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.txt"
    text = "\n".join(
        [
            "SealDesk crash report",
            f"time: {moment.isoformat(timespec='seconds')}",
            f"command: {command}",
            *_versions(),
            "",
            "traceback (most recent call last; exception messages are left out on purpose):",
            *_frames(exc),
            "",
        ]
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    return path

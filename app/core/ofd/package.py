"""The OFD container: a zip whose parts are read by name, with the limits that keep hostile files harmless.

Everything is checked on open, before any part is inflated: the entry count, the declared uncompressed
sizes (total and per entry), the compression ratio, and every entry name (no "..", no absolute names, no
backslashes, no drive letters). Part bytes are then read lazily and cut off at the declared size, so a
lying header cannot inflate more than it announced. Paths inside the package are normalised to the
form without a leading slash ("Doc_0/Document.xml"); `resolve()` turns the absolute ("/Doc_0/…") and
relative ("Pages/…") forms OFD files use into that form.
"""

from __future__ import annotations

import io
import posixpath
import threading
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .. import errors
from ..i18n_marks import QT_TRANSLATE_NOOP


@dataclass(frozen=True)
class ZipLimits:
    """Ceilings for an OFD package; generous for real documents (a 1000-page invoice batch fits)."""

    max_entries: int = 20_000
    max_total_bytes: int = 1 << 30
    """Sum of the declared uncompressed sizes (1 GiB)."""
    max_entry_bytes: int = 256 << 20
    max_ratio: float = 200.0
    """Uncompressed/compressed size of an entry above 1 MiB; zip bombs reach thousands."""


DEFAULT_LIMITS = ZipLimits()

ZIP_BOMB = QT_TRANSLATE_NOOP("errors", "it would unpack to far more data than it holds (a zip bomb)")
TOO_MANY_PARTS = QT_TRANSLATE_NOOP("errors", "it has too many parts")
BAD_PART_NAME = QT_TRANSLATE_NOOP("errors", "a part name points outside the package")
NOT_A_ZIP = QT_TRANSLATE_NOOP("errors", "it is not an OFD package (not a zip file)")
ENCRYPTED_PART = QT_TRANSLATE_NOOP("errors", "a part is encrypted")
PART_UNREADABLE = QT_TRANSLATE_NOOP("errors", "a part cannot be unpacked")


def _normalise_entry(name: str) -> str | None:
    """The entry's canonical name, or None when it is unsafe (traversal, absolute, backslash, drive)."""
    if "\\" in name or "\x00" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    return "/".join(parts)


class OfdPackage:
    """Read-only access to the parts of one OFD zip. Thread-safe: one lock around the zip handle."""

    def __init__(self, path: Path, limits: ZipLimits = DEFAULT_LIMITS, data: bytes | None = None) -> None:
        """Open the zip at `path`, or the zip in `data` (an OFD seal picture) named `path.name`."""
        self.path = path
        self.name = path.name
        self._lock = threading.Lock()
        try:
            self._zip = zipfile.ZipFile(path if data is None else io.BytesIO(data))
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise errors.OfdDamaged(f"{type(exc).__name__}: {exc}", name=self.name, problem=NOT_A_ZIP) from exc
        try:
            self._entries = self._check(limits)
        except BaseException:
            self._zip.close()
            raise

    def _check(self, limits: ZipLimits) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        if len(infos) > limits.max_entries:
            raise errors.OfdUnsafe(f"{len(infos)} entries", name=self.name, problem=TOO_MANY_PARTS)
        entries: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            key = _normalise_entry(info.filename)
            if key is None:
                raise errors.OfdUnsafe(f"entry {info.filename!r}", name=self.name, problem=BAD_PART_NAME)
            if not key or info.filename.endswith("/"):
                continue
            if info.flag_bits & 0x1:
                raise errors.OfdDamaged(f"entry {key}", name=self.name, problem=ENCRYPTED_PART)
            total += info.file_size
            ratio = info.file_size / max(1, info.compress_size)
            if (
                info.file_size > limits.max_entry_bytes
                or total > limits.max_total_bytes
                or (info.file_size > (1 << 20) and ratio > limits.max_ratio)
            ):
                raise errors.OfdUnsafe(
                    f"{key}: {info.file_size} bytes from {info.compress_size}", name=self.name, problem=ZIP_BOMB
                )
            entries[key] = info
        self.total_bytes = total
        return entries

    def names(self) -> list[str]:
        """Every file part, normalised, in zip order."""
        return list(self._entries)

    def has(self, part: str) -> bool:
        return part in self._entries

    def read(self, part: str) -> bytes:
        """The bytes of `part` (normalised name). Missing → OfdPartMissing naming it."""
        info = self._entries.get(part)
        if info is None:
            raise errors.OfdPartMissing(f"{part} not in {self.name}", name=self.name, part=part)
        with self._lock:
            if self._zip is None:
                raise errors.InvalidArgument(what=QT_TRANSLATE_NOOP("errors", "the document is closed"), detail=part)
            try:
                with self._zip.open(info) as stream:
                    data = stream.read(info.file_size + 1)  # never more than declared (+1 to notice a lie)
            except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError,
                    RuntimeError) as exc:
                raise errors.OfdDamaged(f"{part}: {type(exc).__name__}: {exc}", name=self.name,
                                        problem=PART_UNREADABLE) from exc
        if len(data) > info.file_size:
            raise errors.OfdUnsafe(f"{part} longer than declared", name=self.name, problem=ZIP_BOMB)
        return data

    def resolve(self, location: str, base_dir: str = "") -> str:
        """A BaseLoc/FileLoc as a part name: "/x/y" from the package root, "y" relative to `base_dir`.

        Locations that climb out of the package are refused (OfdUnsafe).
        """
        location = (location or "").strip()
        if not location or "\\" in location or "\x00" in location:
            raise errors.OfdUnsafe(f"location {location!r}", name=self.name, problem=BAD_PART_NAME)
        joined = location[1:] if location.startswith("/") else posixpath.join(base_dir, location)
        parts: list[str] = []
        for piece in joined.split("/"):
            if piece in ("", "."):
                continue
            if piece == "..":
                if not parts:
                    raise errors.OfdUnsafe(f"location {location!r}", name=self.name, problem=BAD_PART_NAME)
                parts.pop()
            else:
                parts.append(piece)
        if not parts:
            raise errors.OfdUnsafe(f"location {location!r}", name=self.name, problem=BAD_PART_NAME)
        return "/".join(parts)

    def close(self) -> None:
        with self._lock:
            if self._zip is not None:
                self._zip.close()
                self._zip = None  # type: ignore[assignment]


def directory_of(part: str) -> str:
    """The folder a part lies in ("" at the root): the base of its relative locations."""
    return posixpath.dirname(part)

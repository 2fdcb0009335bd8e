"""Which PKCS#11 modules to load: the shipped catalog, the environment and the user's settings.

The catalog (drivers/modules.toml) names the modules of the USB keys SealDesk knows; a module is only
a candidate when its file exists. A module that cannot be loaded must never stop the others, so the
architecture check here only explains failures (a 32-bit vendor DLL in a 64-bit SealDesk is the most
common cause on Windows).
"""

from __future__ import annotations

import os
import struct
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..paths import drivers_dir

MODULE_ENV = "SEALDESK_PKCS11_MODULE"
CATALOG_FILE = "modules.toml"


@dataclass(frozen=True)
class ModuleSpec:
    """One catalog entry (or an ad-hoc module from the environment or settings)."""

    id: str
    """Stable identifier, e.g. "softhsm2"; "custom" for modules not in the catalog."""
    name: str
    """Name shown to the user."""
    candidates: tuple[str, ...] = ()
    """File names or absolute paths for this OS."""
    confirmed: bool = True
    """False when the file name is only a hint from third-party code."""
    needs_reinit: bool = False
    """The module sees only tokens present when it was initialised."""
    store_lock: bool = False
    """Calls must hold SealDesk's cross-process lock: the module keeps tokens in files that another
    process may be rewriting (SoftHSM rewrites its token file on every login, see store_lock.py)."""
    prepare: str = ""
    """"package.module:function" run before the module is loaded (SoftHSM: point it at SealDesk's store).
    Only functions inside the `app` package are accepted; the catalog ships with SealDesk."""
    quirks: dict[str, Any] = field(default_factory=dict)
    """Known deviations, e.g. {"no_hashed_ecdsa": True}."""
    sm2: dict[str, Any] = field(default_factory=dict)
    """Vendor SM2 profile ([module.sm2]: key type, mechanism numbers, style, signature format, ID);
    read by keys/sm2.py. Empty: the module's SM2 keys are listed but cannot sign."""


@dataclass(frozen=True)
class ModuleCandidate:
    """A module file to load, with what the catalog knows about it."""

    path: str
    """Absolute path of the module file (or the name given by the user when it does not exist)."""
    spec: ModuleSpec
    """The catalog entry; a generic one for custom modules."""


def _os_key() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


def _library_dirs() -> list[Path]:
    os_key = _os_key()
    if os_key == "windows":
        root = Path(os.environ.get("SystemRoot", r"C:\Windows"))
        return [root / "System32", root / "SysWOW64"]
    if os_key == "macos":
        return [Path("/usr/local/lib"), Path("/opt/homebrew/lib"), Path("/usr/lib")]
    return [
        Path("/usr/lib"),
        Path("/usr/local/lib"),
        Path("/usr/lib/x86_64-linux-gnu"),
        Path("/usr/lib/aarch64-linux-gnu"),
        Path("/usr/lib64"),
    ]


def load_catalog(path: Path | None = None) -> list[ModuleSpec]:
    """The module entries of the catalog for this OS (an unreadable catalog yields no entries)."""
    catalog = path or drivers_dir() / CATALOG_FILE
    try:
        data = tomllib.loads(catalog.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return []
    tables = data.get("sm2", {})
    os_key = _os_key()
    specs = []
    for entry in data.get("module", []):
        candidates = tuple(str(p) for p in entry.get(os_key, []))
        if entry.get("project_relative"):  # a module built inside the source tree (the SM2 test module)
            candidates = tuple(str(drivers_dir().parent / p) if not Path(p).is_absolute() else p for p in candidates)
        specs.append(
            ModuleSpec(
                id=str(entry.get("id", "")),
                name=str(entry.get("name", entry.get("id", ""))),
                candidates=candidates,
                confirmed=bool(entry.get("confirmed", True)),
                needs_reinit=bool(entry.get("needs_reinit", False)),
                store_lock=bool(entry.get("store_lock", False)),
                prepare=str(entry.get("prepare", "")),
                quirks=dict(entry.get("quirks", {})),
                sm2=_sm2_entry(entry.get("sm2"), tables),
            )
        )
    return specs


def _sm2_entry(entry: Any, tables: dict[str, Any]) -> dict[str, Any]:
    """A module's SM2 profile: its own [module.sm2] table, starting from a shared numbering table when it
    names one (`numbers = "sansec"`); a bare string names a shared table only (older catalogs)."""
    if isinstance(entry, str):
        entry = {"numbers": entry}
    if not isinstance(entry, dict):
        return {}
    merged: dict[str, Any] = {}
    shared = tables.get(entry.get("numbers", ""), {})
    if isinstance(shared, dict):
        merged.update(shared)
    merged.update({k: v for k, v in entry.items() if k != "numbers"})
    return merged


def resolve(candidate: str) -> Path | None:
    """The existing file for a catalog candidate (absolute path or bare library name), or None."""
    path = Path(candidate)
    if path.is_absolute() or os.sep in candidate or (os.altsep and os.altsep in candidate):
        return path if path.is_file() else None
    for folder in _library_dirs():
        found = folder / candidate
        if found.is_file():
            return found
    return None


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def spec_for(path: str, catalog: list[ModuleSpec]) -> ModuleSpec:
    """The catalog entry whose candidate is this file (matched by path or file name)."""
    base = os.path.basename(path).lower()
    for spec in catalog:
        for cand in spec.candidates:
            if os.path.basename(cand).lower() == base:
                return spec
            resolved = resolve(cand)
            if resolved is not None and _same_file(str(resolved), path):
                return spec
    return ModuleSpec(id="custom", name=os.path.basename(path) or path)


def discover(extra_modules: tuple[str, ...] | list[str] = (), use_catalog: bool = True) -> list[ModuleCandidate]:
    """Modules to load: existing catalog files, then `SEALDESK_PKCS11_MODULE`, then `extra_modules`.

    Duplicates (same file) are dropped; explicit paths that do not exist are kept so the caller can
    report them as failed instead of ignoring a setting silently.
    """
    catalog = load_catalog()
    found: list[ModuleCandidate] = []

    def add(path: str, spec: ModuleSpec) -> None:
        for existing in found:
            if _same_file(existing.path, path):
                return
        found.append(ModuleCandidate(path=path, spec=spec))

    if use_catalog:
        for spec in catalog:
            for cand in spec.candidates:
                resolved = resolve(cand)
                if resolved is not None:
                    add(str(resolved), spec)
                    break
    explicit = [p for p in os.environ.get(MODULE_ENV, "").split(os.pathsep) if p.strip()]
    explicit += [p for p in extra_modules if p and p.strip()]
    for raw in explicit:
        path = str(Path(raw.strip()).expanduser())
        resolved = resolve(path) if not Path(path).is_absolute() else None
        add(str(resolved) if resolved else path, spec_for(path, catalog))
    return found


# --- architecture hints ---------------------------------------------------------------------------
_PE_MACHINES = {0x014C: 32, 0x8664: 64, 0xAA64: 64, 0x01C4: 32}


def binary_bits(path: str) -> int | None:
    """32 or 64 for an ELF / PE / Mach-O file, None when the format is not recognised."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None
    if head[:4] == b"\x7fELF" and len(head) > 4:
        return {1: 32, 2: 64}.get(head[4])
    if head[:2] == b"MZ" and len(head) >= 0x40:
        (pe_offset,) = struct.unpack_from("<I", head, 0x3C)
        if pe_offset + 6 <= len(head) and head[pe_offset : pe_offset + 4] == b"PE\0\0":
            (machine,) = struct.unpack_from("<H", head, pe_offset + 4)
            return _PE_MACHINES.get(machine)
        return None
    magic = head[:4]
    if magic in (b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xce"):
        return 32
    if magic in (b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf"):
        return 64
    if magic == b"\xca\xfe\xba\xbe":  # universal binary: contains several architectures
        return None
    return None


def python_bits() -> int:
    """Whether this Python (hence SealDesk) is a 32- or 64-bit process."""
    return struct.calcsize("P") * 8


def load_failure_hint(path: str) -> str:
    """A technical explanation for a module that would not load (for `ModuleLoadFailed.detail`)."""
    if not os.path.exists(path):
        return "file not found"
    if not os.path.isfile(path):
        return "not a file"
    bits = binary_bits(path)
    if bits is None:
        return "not a shared library this system can load"
    if bits != python_bits():
        return f"{bits}-bit module, but SealDesk runs as a {python_bits()}-bit process"
    return f"{bits}-bit module matches this {python_bits()}-bit process; the module itself failed"

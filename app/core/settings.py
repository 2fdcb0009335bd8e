"""User settings: a JSON file in the user data dir, read into a frozen dataclass.

Never holds a PIN. The city-system API token lives in the OS keyring (see `city_token`), not here.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InvalidArgument
from .paths import data_dir

SETTINGS_FILE = "settings.json"
KEYRING_SERVICE = "SealDesk city system"


@dataclass(frozen=True)
class Settings:
    language: str = ""
    """UI language ("zh_CN", "en"); empty = default (zh_CN) unless SEALDESK_LANG is set."""
    extra_modules: tuple[str, ...] = ()
    """PKCS#11 module paths the user added (besides drivers/modules.toml and SEALDESK_PKCS11_MODULE)."""
    trust_roots: tuple[str, ...] = ()
    """Paths of PEM/DER root certificates trusted when verifying signed documents."""
    tsa_url: str = ""
    """RFC 3161 timestamp authority; when set, signatures are PAdES B-T instead of B-B."""
    require_approval_for_official: bool = True
    """Official seals (公章 kinds) need an approval reference before they stamp."""
    city_url: str = ""
    """Base URL of the city e-seal system (用印登记)."""
    hash_name: str = "sha256"
    """Digest for PDF signatures."""
    output_folder: str = ""
    """Folder for signed copies; empty = beside the input document."""
    output_suffix: str = ".signed"
    """Added to the input's name for the signed copy (`contract.pdf` → `contract.signed.pdf`)."""
    extra: dict = field(default_factory=dict, compare=False)
    """Keys this version does not know, kept so an older client does not drop a newer one's settings."""


def settings_path() -> Path:
    return data_dir() / SETTINGS_FILE


def load_settings(path: Path | None = None) -> Settings:
    """Read the settings file; a missing file gives defaults, a damaged one a clear error."""
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("top level is not an object")
    except (OSError, ValueError) as exc:
        raise InvalidArgument(f"{path}: {exc}", what=str(path)) from exc
    known = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
    values = {key: _checked(path, key, raw[key]) for key in known & raw.keys()}
    return Settings(**values, extra={k: v for k, v in raw.items() if k not in known})


_TYPES = {
    "language": str,
    "extra_modules": tuple,
    "trust_roots": tuple,
    "tsa_url": str,
    "require_approval_for_official": bool,
    "city_url": str,
    "hash_name": str,
    "output_folder": str,
    "output_suffix": str,
}
"""The JSON type each setting must have (lists become tuples of strings)."""


def _checked(path: Path, key: str, value):
    """The value in the dataclass's type, or a clear error naming the setting (never a silent surprise:
    "false" as a string would be true, a string where a list belongs would be read letter by letter)."""
    expected = _TYPES[key]
    if expected is tuple:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
    elif isinstance(value, expected):
        return value
    raise InvalidArgument(f"{path}: {key} = {value!r}", what=f"settings.json: {key}")


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a settings file."""
    path = path or settings_path()
    data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(settings).items()}
    data.pop("extra")
    data = {**settings.extra, **data}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)

"""User settings: a JSON file in the user data dir, read into a frozen dataclass.

Never holds a PIN. The city-system API token lives in the OS keyring (service "sealdesk-city", user = the
base URL; see app/core/usage/sync.py), never here.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import SettingsInvalid, os_reason
from .i18n_marks import QT_TRANSLATE_NOOP
from .paths import data_dir, write_private

SETTINGS_FILE = "settings.json"
KEYRING_SERVICE = "sealdesk-city"
"""The keyring service of the city system's API token (the username is the city base URL)."""


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
    """Base URL of the city e-seal system (用印登记), e.g. https://city.example/; empty = no city system:
    no status check, no sync, no network. http:// only to this computer (127.0.0.1, ::1, localhost)."""
    city_ca_bundle: str = ""
    """PEM file of the CA(s) the city system's TLS certificate must chain to; empty = the system's trust."""
    city_unreachable_policy: str = "allow"
    """When the seal status cannot be checked before stamping: "allow" (stamp; the record is marked
    "status unchecked" in the sync table) or "refuse"."""
    city_status_ttl_s: int = 600
    """How long (seconds) a seal status answer of the city system is reused before asking again."""
    city_sync_interval_min: int = 5
    """The GUI sends pending usage records in the background every this many minutes (0 = only after
    stamping and on "sync now")."""
    city_holders: dict = field(default_factory=dict, compare=False)
    """Holder id the city system gave at registration, per usage-log chain ("<key serial>:<cert serial>")."""
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
    """Read the settings file; a missing file gives defaults, a damaged one a clear error (SettingsInvalid
    naming the file and, for bad JSON, the line and column). Unknown keys are kept in `extra`; the CLI names
    them in a warning."""
    path = path or settings_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except UnicodeDecodeError as exc:
        raise SettingsInvalid(f"{path}: {exc}", path=str(path), problem=_NOT_UTF8) from exc
    except OSError as exc:
        raise SettingsInvalid(f"{path}: {exc}", path=str(path), problem=os_reason(exc)) from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsInvalid(
            f"{path}: {exc}", path=str(path), problem=_BAD_JSON, line=exc.lineno, column=exc.colno
        ) from exc
    except RecursionError as exc:  # thousands of nested brackets
        raise SettingsInvalid(f"{path}: nested too deeply", path=str(path), problem=_TOO_DEEP) from exc
    if not isinstance(raw, dict):
        raise SettingsInvalid(f"{path}: top level is {type(raw).__name__}", path=str(path), problem=_NOT_OBJECT)
    known = {f.name for f in dataclasses.fields(Settings)} - {"extra"}
    values = {key: _checked(path, key, raw[key]) for key in known & raw.keys()}
    return Settings(**values, extra={k: v for k, v in raw.items() if k not in known})


_NOT_UTF8 = QT_TRANSLATE_NOOP("errors", "it is not UTF-8 text")
_BAD_JSON = QT_TRANSLATE_NOOP("errors", "it is not valid JSON (line {line}, column {column})")
_TOO_DEEP = QT_TRANSLATE_NOOP("errors", "it is nested too deeply")
_NOT_OBJECT = QT_TRANSLATE_NOOP("errors", "its top level must be a JSON object (settings in curly brackets)")
_EXPECTED = {
    str: QT_TRANSLATE_NOOP("errors", "the setting “{key}” must be a text in quotes"),
    bool: QT_TRANSLATE_NOOP("errors", "the setting “{key}” must be true or false (without quotes)"),
    tuple: QT_TRANSLATE_NOOP("errors", "the setting “{key}” must be a list of texts, like [\"a\", \"b\"]"),
    int: QT_TRANSLATE_NOOP("errors", "the setting “{key}” must be a whole number of 0 or more (without quotes)"),
    dict: QT_TRANSLATE_NOOP("errors", "the setting “{key}” must be an object of texts, like {{\"a\": \"b\"}}"),
}
UNREACHABLE_POLICIES = ("allow", "refuse")
_POLICY = QT_TRANSLATE_NOOP("errors", "the setting “{key}” must be allow or refuse")

HASH_NAMES = ("sha256", "sha384", "sha512")
_HASH = QT_TRANSLATE_NOOP("errors", "the setting “{key}” (the digest of PDF signatures) must be sha256, sha384 or sha512")

_TYPES = {
    "language": str,
    "extra_modules": tuple,
    "trust_roots": tuple,
    "tsa_url": str,
    "require_approval_for_official": bool,
    "city_url": str,
    "city_ca_bundle": str,
    "city_unreachable_policy": str,
    "city_status_ttl_s": int,
    "city_sync_interval_min": int,
    "city_holders": dict,
    "hash_name": str,
    "output_folder": str,
    "output_suffix": str,
}
"""The JSON type each setting must have (lists become tuples of strings)."""


def _checked(path: Path, key: str, value):
    """The value in the dataclass's type, or a clear error naming the setting (never a silent surprise:
    "false" as a string would be true, a string where a list belongs would be read letter by letter)."""
    expected = _TYPES[key]
    if key == "hash_name" and isinstance(value, str) and value not in HASH_NAMES:
        raise SettingsInvalid(f"{path}: hash_name {value!r}", path=str(path), problem=_HASH, key=key)
    if key == "city_unreachable_policy" and isinstance(value, str) and value not in UNREACHABLE_POLICIES:
        raise SettingsInvalid(f"{path}: {key} {value!r}", path=str(path), problem=_POLICY, key=key)
    if expected is int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    elif expected is dict:
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return dict(value)
    elif expected is tuple:
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
    elif isinstance(value, expected):
        return value
    raise SettingsInvalid(f"{path}: {key} has a {type(value).__name__}", path=str(path), problem=_EXPECTED[expected], key=key)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a settings file; mode 0600."""
    path = path or settings_path()
    data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(settings).items()}
    data.pop("extra")
    data = {**settings.extra, **data}
    write_private(path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"))

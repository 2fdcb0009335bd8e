"""SealDesk's SM2 test module (tests/p11sm2, built by `make setup`): where it is and where its tokens live.

No packaged soft token implements SM2, so SealDesk builds a small one. Like SoftHSM (softhsm.py) it keeps
its tokens in SealDesk's data folder: the catalog's `prepare` hook (`ensure_config`) writes its
configuration there and points `SEALDESK_SM2_TEST_CONF` at it before the module is loaded. The numbers in
the configuration are the catalog's (`[module.sm2]` of `sealdesk-sm2-test`), so SealDesk and the module
agree; tests write other configurations to mimic other vendors.
"""

from __future__ import annotations

import os
from pathlib import Path

from .keys.catalog import load_catalog, resolve
from .paths import data_dir, private_dir, write_private

CONF_ENV = "SEALDESK_SM2_TEST_CONF"
MODULE_ID = "sealdesk-sm2-test"
BUILD_PATH = "build/p11sm2/libsealdesk_sm2_test.so"
"""Where `make setup` builds the module, relative to the source tree."""


def module_path() -> str | None:
    """The built SM2 test module, or None when it was not built (no `make setup`, or not Linux)."""
    for spec in load_catalog():
        if spec.id == MODULE_ID:
            for candidate in spec.candidates:
                found = resolve(candidate)
                if found is not None:
                    return str(found)
    return None


def store_dir() -> Path:
    """The folder holding the module's configuration and token files."""
    return data_dir() / "sm2-test"


def config_text(store: Path, **overrides: str | int) -> str:
    """A configuration for the module with the catalog's numbers (overrides: any `key = value`)."""
    from .keys.sm2 import profile_of

    sm2: dict = next((s.sm2 for s in load_catalog() if s.id == MODULE_ID), {})
    profile = profile_of(sm2)
    values: dict[str, str | int] = {
        "store": str(store),
        "slots": 2,
        "max_pin_tries": 6,
        "mech_sm2_raw": f"0x{profile.mech_sm2_raw or 0x80008104:x}",
        "mech_sm3_sm2": f"0x{profile.mech_sm3_sm2 or 0x80008100:x}",
        "mech_sm2_keygen": f"0x{profile.mech_keygen or 0x80008001:x}",
        "key_type_sm2": f"0x{profile.key_type or 0x80000004:x}",
        "signature_format": "raw",
    }
    values.update(overrides)
    return "".join(f"{key} = {value}\n" for key, value in values.items())


def ensure_config() -> Path:
    """Write the module's configuration into the data folder (if missing) and point `SEALDESK_SM2_TEST_CONF`
    at it; a configuration already named in the environment is respected (tests, other stores)."""
    existing = os.environ.get(CONF_ENV)
    if existing:
        return Path(existing)
    store = store_dir()
    tokens = private_dir(store / "tokens")
    conf = store / "module.conf"
    if not conf.exists():
        write_private(conf, config_text(tokens).encode("utf-8"))
    os.environ[CONF_ENV] = str(conf)
    return conf

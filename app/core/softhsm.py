"""SealDesk's own SoftHSM store: the demo key and the test tokens live here, never in the system store.

SoftHSM reads `SOFTHSM2_CONF` once, when the module is initialised, so `ensure_config()` must run before
the SoftHSM module is loaded in this process. Tokens are created and deleted with `softhsm2-util`
(python-pkcs11 cannot initialise tokens), then the loaded module must be re-initialised to see them.

The store is private like the rest of the data folder: its folders are made 0700 and the configuration
0600 by SealDesk, and `softhsm2-util` runs with umask 077. SoftHSM itself creates token folders 0700 and
object files 0600 whatever the umask (checked by tests/test_private_files.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import InvalidArgument, ModuleLoadFailed
from .paths import data_dir, drivers_dir, private_dir, write_private

CONF_ENV = "SOFTHSM2_CONF"

_MODULE_CANDIDATES = {
    "linux": [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/local/lib/softhsm/libsofthsm2.so",
    ],
    "darwin": ["/opt/homebrew/lib/softhsm/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so"],
    "win32": [r"C:\SoftHSM2\lib\softhsm2-x64.dll"],
}


def module_path() -> str | None:
    """The SoftHSM PKCS#11 module on this machine, or None when SoftHSM is not installed."""
    for candidate in _MODULE_CANDIDATES.get(sys.platform, _MODULE_CANDIDATES["linux"]):
        if Path(candidate).is_file():
            return candidate
    return None


def store_dir() -> Path:
    """The folder holding SealDesk's SoftHSM configuration and token directory."""
    return data_dir() / "softhsm"


def ensure_config() -> Path:
    """Write SealDesk's softhsm2.conf (if missing) and point `SOFTHSM2_CONF` at it.

    A `SOFTHSM2_CONF` the user already set is respected: they chose their own store.
    """
    existing = os.environ.get(CONF_ENV)
    if existing:
        return Path(existing)
    store = store_dir()
    tokens = store / "tokens"
    private_dir(tokens)
    conf = store / "softhsm2.conf"
    if not conf.exists():
        template = (drivers_dir() / "softhsm2.conf.template").read_text(encoding="utf-8")
        write_private(conf, template.format(tokendir=tokens).encode("utf-8"))
    os.environ[CONF_ENV] = str(conf)
    return conf


def _util() -> str:
    util = shutil.which("softhsm2-util")
    if util is None:
        raise ModuleLoadFailed("softhsm2-util not found; install the softhsm2 package", module="SoftHSM")
    return util


def _run(args: list[str]) -> str:
    conf = ensure_config()
    env = dict(os.environ, **{CONF_ENV: str(conf)})
    umask = {} if sys.platform == "win32" else {"umask": 0o077}
    proc = subprocess.run([_util(), *args], capture_output=True, text=True, env=env, check=False, **umask)
    if proc.returncode != 0:
        # softhsm2-util echoes no PINs in its errors; the command line is not included here.
        raise InvalidArgument(proc.stderr.strip() or proc.stdout.strip(), what="SoftHSM token")
    return proc.stdout


def init_token(label: str, user_pin: str, so_pin: str) -> None:
    """Create a token in the first free slot of SealDesk's store."""
    _run(["--init-token", "--free", "--label", label, "--pin", user_pin, "--so-pin", so_pin])


def delete_token(label: str) -> None:
    """Delete the token with this label from SealDesk's store."""
    _run(["--delete-token", "--token", label])


def token_labels() -> list[str]:
    """Labels of the initialised tokens in SealDesk's store."""
    labels = []
    for line in _run(["--show-slots"]).splitlines():
        line = line.strip()
        if line.startswith("Label:"):
            label = line.split(":", 1)[1].strip()
            if label:
                labels.append(label)
    return labels

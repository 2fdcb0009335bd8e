"""The demo city (`make run`, `sealdesk-gui --demo-city`): citysim on 127.0.0.1 beside the window, with the demo
key registered, so a newcomer watches a usage record go from "waiting" to "sent".

citysim runs as a child process on a free loopback port, its database in the data folder (`demo-city/`,
so registrations survive restarts), trusting the demo key's root, with a fresh API token per run handed to
this process only (SEALDESK_CITY_TOKEN: never in the keyring, the settings or a file). The address is set in
the running Application only; the settings file keeps the user's own city address. The demo key is
registered without asking only when it was created by this start (its PIN is then the factory PIN); else the
window opens the registration dialog and the user types the PIN (a changed PIN is never guessed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEMO_CITY_FLAG = "--demo-city"
DEMO_HOLDER = "演示持有人"
"""The holder name of the automatic registration (the organisation is the demo key's)."""


@dataclass
class DemoCity:
    url: str
    folder: Path
    root_cert: Path
    process: subprocess.Popen

    def stop(self, timeout_s: float = 10.0) -> None:
        """End the child process (SIGTERM, then SIGKILL); its database stays for the next run."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout_s)

    # -- registration state of the demo key at this city
    def _marker(self) -> Path:
        return self.folder / "registered.json"

    def _identity(self, key_serial: str) -> str:
        """The demo key and its root: a re-created demo key (new serial, new root) must register again."""
        root = hashlib.sha256(self.root_cert.read_bytes()).hexdigest()
        return f"{key_serial}:{root}"

    def registered(self, key_serial: str) -> bool:
        try:
            return self._identity(key_serial) in json.loads(self._marker().read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return False

    def remember(self, key_serial: str) -> None:
        try:
            known = json.loads(self._marker().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = []
        self._marker().write_text(json.dumps([*known, self._identity(key_serial)]), encoding="utf-8")

    def attach(self, application, *, fresh_key: bool) -> bool:
        """Point `application` at this city (in memory); register the demo key when its PIN is known to be
        the factory PIN. True when the demo key is registered here (now or before)."""
        from app.core import demo
        from app.core.errors import SealDeskError
        from app.core.settings import load_settings

        on_disk = load_settings().city_url  # the user's own address (the running one may be ours already)
        application.settings = dataclasses.replace(application.settings, city_url=self.url)
        key = next((k for k in application.keys() if k.label == demo.DEMO_LABEL), None)
        if key is None:
            return False
        if self.registered(key.serial):
            return True
        if not fresh_key:
            return False
        try:
            application.register_holder(demo.DEMO_PIN, key, DEMO_HOLDER, demo.DEMO_ORG)
        except SealDeskError:
            return False
        finally:
            # register_holder saved the settings (holder ids): keep the user's own city address on disk
            application.save_settings(dataclasses.replace(application.settings, city_url=on_disk))
            application.settings = dataclasses.replace(application.settings, city_url=self.url)
        self.remember(key.serial)
        return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_demo_city(root_cert: Path | None = None, folder: Path | None = None, timeout_s: float = 30.0) -> DemoCity:
    """Start citysim on 127.0.0.1 and set this process's API token; RuntimeError when it does not come up."""
    from app.core import demo
    from app.core.paths import data_dir
    from app.core.usage.sync import TOKEN_ENV

    root_cert = Path(root_cert or demo.root_cert_path())
    folder = Path(folder or data_dir() / "demo-city")
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    port = _free_port()
    args = [sys.executable, "-m", "citysim", "--host", "127.0.0.1", "--port", str(port),
            "--db", str(folder / "city.sqlite3"), "--trust-root", str(root_cert), "--token", token]
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(repo), os.environ.get("PYTHONPATH"))))}
    with open(folder / "citysim.log", "ab") as log:
        process = subprocess.Popen(args, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"citysim ended at start (see {folder / 'citysim.log'})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("citysim did not start in time") from None
            time.sleep(0.1)
    os.environ[TOKEN_ENV] = token
    return DemoCity(f"http://127.0.0.1:{port}", folder, root_cert, process)

"""Several SealDesk processes on one SoftHSM key at the same moment (store_lock.py explains the race).

Without the cross-process lock, 8 `sealdesk seals` started together on the demo key failed now and
then with "no key" / "key removed" (SoftHSM empties and rewrites token.object on every login).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from app.core import demo
from app.core.errors import TokenRemoved
from app.core.keys import TokenManager
from app.core.keys.catalog import discover
from app.core.keys.store_lock import StoreLock

ROOT = Path(__file__).resolve().parent.parent


def test_store_lock_excludes_another_process(tmp_path: Path):
    lock_file = tmp_path / "locks" / "x.lock"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from app.core.keys.store_lock import StoreLock\n"
            "with StoreLock(Path(sys.argv[1])).hold():\n"
            "    print('held', flush=True); time.sleep(1.0)\n",
            str(lock_file),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        start = time.monotonic()
        with StoreLock(lock_file).hold():
            waited = time.monotonic() - start
        assert waited > 0.5  # blocked until the other process let go
    finally:
        child.wait(timeout=30)
    assert child.returncode == 0
    with StoreLock(lock_file).hold():  # and free again
        pass


def test_softhsm_is_locked_by_the_catalog(softhsm_module: str):
    (candidate,) = discover([softhsm_module], use_catalog=False)
    assert candidate.spec.store_lock and candidate.spec.prepare == "app.core.softhsm:ensure_config"


_LOGIN_LOOP = """
import sys, time
from app.core.keys import TokenManager
manager = TokenManager(extra_modules=[sys.argv[1]], use_catalog=False)
token = manager.find_token(label=sys.argv[2])
print("ready", flush=True)
end, logins = time.monotonic() + float(sys.argv[3]), 0
while time.monotonic() < end:
    manager.open_session(token, sys.argv[4]).close()
    logins += 1
print(logins, flush=True)
manager.close()
"""


def test_logins_in_another_process_never_hide_the_key(softhsm_module: str, fresh_token: str):
    """The race itself, made likely: each login of the child rewrites token.object while we read it.

    Without the lock this loses the key hundreds of times in two seconds (measured: 1435 of 5968 reads).
    """
    from testdata import USER_PIN

    with TokenManager(extra_modules=[softhsm_module], use_catalog=False) as manager:
        token = manager.find_token(label=fresh_token)
        child = subprocess.Popen(
            [sys.executable, "-c", _LOGIN_LOOP, softhsm_module, fresh_token, "2", USER_PIN],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )  # fmt: skip
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            reads, misses = 0, 0
            end = time.monotonic() + 2
            while time.monotonic() < end:
                reads += 1
                try:
                    manager.refresh_token(token)
                except TokenRemoved:
                    misses += 1
            logins = int(child.stdout.readline())
        finally:
            child.wait(timeout=60)
    assert child.returncode == 0 and logins > 10 and reads > 10
    assert misses == 0


def test_eight_processes_at_once_on_the_demo_key(demo_key):
    env = dict(os.environ, SEALDESK_LANG="en", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "app.cli", "seals", "--token", demo_key.serial, "--pin-stdin", "--json"]
    expected = sorted(s.es_id for s in demo_key.seals)
    for _round in range(3):
        procs = [
            subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=env, cwd=ROOT,
            )  # fmt: skip
            for _ in range(8)
        ]
        results = [proc.communicate(demo.DEMO_PIN + "\n", timeout=300) for proc in procs]
        failures = [(p.returncode, err.strip()[-300:]) for p, (_, err) in zip(procs, results, strict=True) if p.returncode]
        assert failures == []
        for out, _ in results:
            assert sorted(seal["seal_id"] for seal in json.loads(out)) == expected

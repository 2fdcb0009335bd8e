"""The data folder holds no authority key and nothing readable by other users.

The demo key is made in a fresh SEALDESK_HOME by the CLI in its own process (umask 022, the usual default),
so the walk sees exactly what SealDesk and SoftHSM create: no file may contain or parse as a private key,
every folder is 0700 and every file 0600 — after provisioning, stamping (usage log with its -wal/-shm
files) and trust store writes.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from documents import make_pdf

from app.core import demo, paths, settings
from app.core.usage import UsageLog

ROOT = Path(__file__).resolve().parent.parent


def _cli(home: Path, args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SOFTHSM2_CONF"}
    env.update(SEALDESK_HOME=str(home), SEALDESK_LANG="en", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        umask=0o022,
        check=False,
    )


def _parses_as_private_key(data: bytes) -> bool:
    for load in (serialization.load_pem_private_key, serialization.load_der_private_key):
        try:
            load(data, password=None)
            return True
        except TypeError:
            return True  # an encrypted private key is still a private key
        except (ValueError, Exception):  # noqa: BLE001 - anything else: not a key
            continue
    return False


def _walk(home: Path) -> tuple[list[Path], list[Path]]:
    folders, files = [home], []
    for folder, dirs, names in os.walk(home):
        folders += [Path(folder, d) for d in dirs]
        files += [Path(folder, n) for n in names]
    return folders, files


def _assert_private(home: Path) -> list[Path]:
    folders, files = _walk(home)
    loose = [f"{p} {oct(stat.S_IMODE(p.stat().st_mode))}" for p in folders if stat.S_IMODE(p.stat().st_mode) != 0o700]
    loose += [f"{p} {oct(stat.S_IMODE(p.stat().st_mode))}" for p in files if stat.S_IMODE(p.stat().st_mode) != 0o600]
    assert not loose, loose
    return files


def _assert_no_private_key(files: list[Path]) -> None:
    for path in files:
        data = path.read_bytes()
        assert b"PRIVATE KEY" not in data, path
        assert not _parses_as_private_key(data), path


def _demo_root(home: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate((home / "demo" / "demo-root-ca.pem").read_bytes())


def test_demo_key_stores_no_authority_key_and_only_private_files(tmp_path: Path, softhsm_module: str):
    home = tmp_path / "home"
    made = _cli(home, ["demo-key"])
    assert made.returncode == 0, made.stderr
    files = _assert_private(home)
    _assert_no_private_key(files)
    names = {p.name for p in files}
    assert "demo-root-ca.pem" in names and not any(n.endswith(".key") for n in names)
    assert any(p.suffix == ".object" for p in files)  # the SoftHSM token really is in the walk
    first_root = _demo_root(home)

    # stamp once: the usage log (+ -wal/-shm) appears in the data folder
    tokens = json.loads(_cli(home, ["tokens", "--json"]).stdout)["tokens"]
    serial = next(t["serial"] for t in tokens if t["label"] == demo.DEMO_LABEL)
    listed = _cli(home, ["seals", "--token", serial, "--pin-stdin", "--json"], demo.DEMO_PIN + "\n")
    assert listed.returncode == 0, listed.stderr
    seal = next(r["seal_id"] for r in json.loads(listed.stdout) if r.get("kind") == "personal")
    source = make_pdf(tmp_path / "doc.pdf", pages=1)
    stamped = _cli(
        home,
        ["stamp", str(source), "--seal", seal, "--at", "100,100", "--token", serial, "--pin-stdin", "--json"],
        demo.DEMO_PIN + "\n",
    )
    assert stamped.returncode == 0, stamped.stderr
    trusted = _cli(home, ["trust", "add", str(home / "demo" / "demo-root-ca.pem")])
    assert trusted.returncode == 0, trusted.stderr
    logged = _cli(home, ["log", "verify", "--json"])
    assert logged.returncode == 0 and json.loads(logged.stdout)["ok"], logged.stdout + logged.stderr
    old_umask = os.umask(0o022)
    try:  # SQLite removes -wal and -shm when the last connection closes: look while one is open
        with UsageLog(home / "usage.sqlite3") as log:
            assert len(log.records()) == 1
            names = {p.name for p in _walk(home)[1]}
            assert {"usage.sqlite3", "usage.sqlite3-wal", "usage.sqlite3-shm"} <= names, names
            _assert_no_private_key(_assert_private(home))
    finally:
        os.umask(old_umask)

    # an older SealDesk's stored root key: deleted, its root untrusted, and a new root made
    legacy = home / "demo" / demo.LEGACY_ROOT_KEY
    legacy.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    remade = _cli(home, ["start"])
    assert remade.returncode == 0, remade.stderr
    assert not legacy.exists()
    second_root = _demo_root(home)
    assert second_root.public_key() != first_root.public_key() and second_root != first_root
    assert json.loads(_cli(home, ["trust", "list", "--json"]).stdout) == []  # the exposed root is untrusted
    _assert_no_private_key(_assert_private(home))


def test_recreating_the_demo_key_makes_a_new_root(tmp_path: Path, softhsm_module: str):
    home = tmp_path / "home"
    assert _cli(home, ["demo-key"]).returncode == 0
    first = _demo_root(home)
    assert _cli(home, ["demo-key"]).returncode == 0
    second = _demo_root(home)
    assert first.fingerprint(first.signature_hash_algorithm) != second.fingerprint(second.signature_hash_algorithm)
    assert first.public_key() != second.public_key()


def test_settings_and_trust_store_files_are_created_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ca):
    from app.core import truststore

    home = tmp_path / "fresh"
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    old = os.umask(0o022)
    try:
        settings.save_settings(settings.Settings(tsa_url="http://127.0.0.1:1/tsa"))
        root = tmp_path / "root.pem"
        root.write_bytes(x509.load_der_x509_certificate(ca.root_der).public_bytes(serialization.Encoding.PEM))
        truststore.add_root(root)
    finally:
        os.umask(old)
    files = _assert_private(home)
    assert {p.parent.name for p in files} == {"fresh", "trust"}
    assert settings.load_settings().tsa_url == "http://127.0.0.1:1/tsa"


def test_an_older_loose_data_folder_is_tightened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path / "old"
    (home / "trust").mkdir(parents=True)
    (home / "settings.json").write_text("{}")
    for path, mode in ((home, 0o755), (home / "trust", 0o755), (home / "settings.json", 0o644)):
        path.chmod(mode)
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours")
    outside.chmod(0o644)
    (home / "link").symlink_to(outside)
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    assert paths.data_dir() == home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "trust").stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "settings.json").stat().st_mode) == 0o600
    assert stat.S_IMODE(outside.stat().st_mode) == 0o644  # links are not followed out of the folder

"""The Windows code paths, exercised on Linux where the branch itself can run (docs/install.md, "Windows: what
was checked"): the catalog's Windows module names and library folders, the named-temp-file output (no
O_TMPFILE), and data-folder modes on a system without Unix modes."""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

import pytest

from app.core import atomic_output, paths
from app.core.atomic_output import AtomicOutput
from app.core.errors import OutputExists
from app.core.keys import catalog


@pytest.fixture
def windows(monkeypatch, tmp_path):
    """sys.platform says win32 and %SystemRoot% is a folder of ours with System32 and SysWOW64."""
    root = tmp_path / "Windows"
    (root / "System32").mkdir(parents=True)
    (root / "SysWOW64").mkdir()
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("SystemRoot", str(root))
    monkeypatch.delenv(catalog.MODULE_ENV, raising=False)
    return root


def test_catalog_windows_names_are_dlls_in_the_library_folders(windows):
    specs = catalog.load_catalog()
    assert {s.id for s in specs} >= {"softhsm2", "opensc", "longmai-gm3000", "feitian-epass3003"}
    raw = tomllib.loads((paths.drivers_dir() / catalog.CATALOG_FILE).read_text(encoding="utf-8"))
    for entry, spec in zip(raw["module"], specs, strict=True):
        assert spec.candidates == tuple(entry["windows"])
        for name in spec.candidates:
            assert name.lower().endswith(".dll"), name
            if "\\" in name:  # absolute Windows paths survive TOML intact (literal strings, no escapes)
                assert name[1:3] == ":\\" and "\\\\" not in name, name
    assert catalog._library_dirs() == [windows / "System32", windows / "SysWOW64"]

    # a vendor driver installed into System32 (64-bit) and one only in SysWOW64 (32-bit): both are found,
    # System32 first; a 32-bit one is then explained by the load failure hint
    (windows / "System32" / "gm3000_pkcs11.dll").write_bytes(b"MZ")
    (windows / "SysWOW64" / "ZJCAePass3000gm.dll").write_bytes(b"MZ")
    (windows / "SysWOW64" / "gm3000_pkcs11.dll").write_bytes(b"MZ")
    found = {c.spec.id: c.path for c in catalog.discover()}
    assert found["longmai-gm3000"] == str(windows / "System32" / "gm3000_pkcs11.dll")
    assert found["feitian-epass3000gm"] == str(windows / "SysWOW64" / "ZJCAePass3000gm.dll")
    assert "softhsm2" not in found  # C:\SoftHSM2 does not exist here


def test_output_without_o_tmpfile_is_closed_before_it_is_linked(monkeypatch, tmp_path):
    """Windows has no O_TMPFILE: a hidden named temp file is used, closed before link/rename (Windows cannot
    delete or rename an open file), and nothing is left behind either way."""
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    target = tmp_path / "out.pdf"
    with AtomicOutput(target) as out:
        out.file.write(b"whole")
        assert out._tmp_path is not None and out._tmp_path.parent == tmp_path
        out.commit()
        assert out.file.closed
    assert target.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [target]
    with pytest.raises(OutputExists), AtomicOutput(target) as out:
        out.file.write(b"other")
        out.commit()
    assert target.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [target]


def test_output_on_a_file_system_without_hard_links(monkeypatch, tmp_path):
    """FAT/exFAT USB sticks (common on Windows desktops): no hard links, so the name is claimed with O_EXCL
    and the temp file renamed over the claim with os.replace."""
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)

    def no_links(*_args, **_kwargs):
        raise OSError(1, "Operation not permitted")  # what link(2) says on vfat

    monkeypatch.setattr(atomic_output.os, "link", no_links)
    target = tmp_path / "out.pdf"
    with AtomicOutput(target) as out:
        out.file.write(b"whole")
        out.commit()
    assert target.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [target]
    with pytest.raises(OutputExists), AtomicOutput(target) as out:
        out.file.write(b"other")
        out.commit()
    assert target.read_bytes() == b"whole" and list(tmp_path.iterdir()) == [target]


def test_data_folder_modes_are_left_alone_without_unix_modes(monkeypatch, tmp_path):
    """On Windows every folder reads as 0o777: the tightening must not walk the folder on every call."""
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    (home / "settings.json").write_text("{}")
    os.chmod(home / "settings.json", 0o644)
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    monkeypatch.setattr(paths, "POSIX_MODES", False)
    assert paths.data_dir() == home
    assert stat.S_IMODE(home.stat().st_mode) == 0o755
    assert stat.S_IMODE((home / "settings.json").stat().st_mode) == 0o644
    monkeypatch.setattr(paths, "POSIX_MODES", True)  # the same folder on Linux is made private
    paths.data_dir()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "settings.json").stat().st_mode) == 0o600


def test_shipped_folders_found_beside_the_package(tmp_path):
    """Checkout and PyInstaller bundle: resources/ and drivers/ beside `app` (the wheel's app/_data is tested
    in test_packaging.py)."""
    root = Path(paths.__file__).resolve().parent.parent.parent
    assert paths.resources_dir() == root / "resources"
    assert paths.drivers_dir() == root / "drivers"

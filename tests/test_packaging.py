"""Packaging: `sealdesk --version`, the wheel (resources and the driver catalog inside it, run from it), the
About box, and the files the .deb installs (udev rules, desktop entry). The bundle and the .deb themselves are
built and run by CI (installer/ci-dist.sh, `make test-dist`): building them takes minutes."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from app import __version__, cli
from app.core import about
from app.core.keys.catalog import MODULE_ENV
from app.i18n import translate

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "installer" / "linux"


def _version_lines(capsys) -> list[str]:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    return capsys.readouterr().out.splitlines()


def test_version_names_sealdesk_components_and_found_modules(capsys, monkeypatch, softhsm_module, tmp_path):
    extra = tmp_path / "vendor_pkcs11.so"  # a module the user named: listed even though it is not loadable
    monkeypatch.setenv(MODULE_ENV, str(extra))
    lines = _version_lines(capsys)
    assert lines[0] == f"SealDesk {__version__}"
    assert lines[1].startswith("Python 3.")
    text = "\n".join(lines)
    for name, _dist, _alt in about.COMPONENTS:
        assert re.search(rf"^{re.escape(name)} \d+\.\d+", text, re.M), name
    assert f"{translate('about', 'Running from')}: {translate('about', 'source checkout')}, {ROOT / 'app'}" in lines
    assert translate("about", "PKCS#11 modules found (loaded when a key is used):") in lines
    assert f"  SoftHSM 2: {softhsm_module}" in lines
    assert any(line.endswith(str(extra)) for line in lines)


def test_version_loads_no_module_and_no_heavy_library(tmp_path):
    """--version answers from metadata: no PKCS#11 module, Qt, pyHanko or PyMuPDF is loaded."""
    probe = (
        "import sys\n"
        "from app import cli\n"
        "try:\n    cli.main(['--version'])\nexcept SystemExit as stop:\n    assert stop.code == 0\n"
        "heavy = [m for m in ('PySide6', 'pyhanko', 'pymupdf', 'fitz', 'pkcs11._pkcs11') if m in sys.modules]\n"
        "maps = open('/proc/self/maps').read()\n"
        "assert not heavy and 'softhsm' not in maps, (heavy, 'softhsm' in maps)\n"
        "print('clean')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SEALDESK_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "SoftHSM 2:" in result.stdout and result.stdout.rstrip().endswith("clean")


def test_version_in_chinese(capsys, monkeypatch):
    monkeypatch.setenv("SEALDESK_LANG", "zh_CN")
    text = "\n".join(_version_lines(capsys))
    assert "运行位置" in text and "数据文件夹" in text


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from this checkout as pip and `python -m build` build it (an isolated build env)."""
    out = tmp_path_factory.mktemp("wheel")
    work = tmp_path_factory.mktemp("wheel-build")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TMPDIR": str(work)},
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("sealdesk-*.whl")
    return built


def test_wheel_holds_resources_drivers_and_entry_points(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "resources", "drivers"], cwd=ROOT, capture_output=True, text=True)
    shipped = [line for line in tracked.stdout.splitlines() if line] or [
        str(p.relative_to(ROOT)) for d in ("resources", "drivers") for p in (ROOT / d).rglob("*") if p.is_file()
    ]
    assert shipped
    for path in shipped:  # every file of the two folders, whatever is added later
        assert f"app/_data/{path}" in names, path
    for needed in (
        "app/_data/resources/i18n/sealdesk_zh_CN.ts",
        "app/_data/resources/icons/sealdesk.svg",
        "app/_data/resources/icons/sealdesk-64.png",
        "app/_data/drivers/modules.toml",
        "app/_data/drivers/softhsm2.conf.template",
        "app/core/about.py",
        "app/gui/about_dialog.py",
    ):
        assert needed in names, needed
    assert not any(name.startswith(("tests/", "installer/", "benchmarks/")) for name in names)
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "sealdesk = app.cli:run" in text and "sealdesk-gui = app.__main__:main" in text


def test_installed_wheel_finds_its_resources_and_runs(wheel, tmp_path, softhsm_module):
    """Unpacked like pip installs it, away from the checkout: the catalog, the translations and the SoftHSM
    template come from inside the package; --version and demo-key run from there."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site), "SEALDESK_HOME": str(tmp_path / "home"), "SEALDESK_LANG": "zh_CN"}
    env.pop(MODULE_ENV, None)
    env.pop("SOFTHSM2_CONF", None)  # the session's store (conftest): the demo key made here goes to tmp_path
    probe = (
        "from app.core.paths import resources_dir, drivers_dir\n"
        "from app.core.keys.catalog import load_catalog\n"
        "from app.i18n import translate\n"
        "print(resources_dir()); print(drivers_dir()); print(len(load_catalog()))\n"
        "print(translate('about', 'Data folder'))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    resources, drivers, entries, data_folder = result.stdout.splitlines()
    assert Path(resources) == site / "app" / "_data" / "resources"
    assert Path(drivers) == site / "app" / "_data" / "drivers"
    assert int(entries) >= 3
    assert data_folder == "数据文件夹"

    version = subprocess.run([sys.executable, "-m", "app.cli", "--version"], capture_output=True, text=True,
                             env=env, cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert f"运行位置: Python 软件包, {site / 'app'}" in version.stdout
    assert f"  SoftHSM 2: {softhsm_module}" in version.stdout
    demo = subprocess.run([sys.executable, "-m", "app.cli", "demo-key"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "home" / "softhsm" / "softhsm2.conf").is_file()  # written from the wheel's template


def test_sdist_holds_what_the_wheel_is_built_from():
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
    assert "graft resources" in manifest and "graft drivers" in manifest


# -- the files of the .deb ---------------------------------------------------------------------------------
def test_udev_rules_give_seat_access_to_sourced_vendors_only():
    text = (LINUX / "70-sealdesk-usb-keys.rules").read_text(encoding="utf-8")
    lines = text.splitlines()
    rules = [(i, line) for i, line in enumerate(lines) if "idVendor" in line and not line.startswith("#")]
    assert rules
    usb_ids = Path("/usr/share/misc/usb.ids")
    known = usb_ids.read_text(encoding="utf-8", errors="replace") if usb_ids.is_file() else ""
    for index, line in rules:
        vendor = re.fullmatch(r'ATTRS\{idVendor\}=="([0-9a-f]{4})", TAG\+="uaccess"', line)
        assert vendor, line
        comment = []  # the comment block right above the rule names the source of this vendor ID
        j = index - 1
        while j >= 0 and lines[j].startswith("#"):
            comment.insert(0, lines[j])
            j -= 1
        source = " ".join(comment)
        assert vendor.group(1) in source and ("usb.ids" in source or "libccid" in source), line
        if "usb.ids" in source and known:
            assert re.search(rf"^{vendor.group(1)}  ", known, re.M), vendor.group(1)
    assert 'GOTO="sealdesk_usb_keys_end"' in text and 'LABEL="sealdesk_usb_keys_end"' in text
    assert "unconfirmed" in text


def test_desktop_entry_opens_pdf_and_ofd():
    entry = configparser.ConfigParser(interpolation=None, strict=True)
    entry.optionxform = str
    entry.read(LINUX / "sealdesk.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Exec"] == "sealdesk-gui %f" and section["Icon"] == "sealdesk"
    assert set(section["MimeType"].rstrip(";").split(";")) == {"application/pdf", "application/ofd"}
    assert "Name[zh_CN]" in section and "Comment[zh_CN]" in section


def test_icons_for_every_hicolor_size_the_package_installs():
    script = (LINUX / "build-deb.sh").read_text(encoding="utf-8")
    sizes = re.search(r"for size in ([\d ]+); do", script).group(1).split()
    for size in sizes:
        png = ROOT / "resources" / "icons" / f"sealdesk-{size}.png"
        header = png.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert int.from_bytes(header[16:20], "big") == int(size) == int.from_bytes(header[20:24], "big")

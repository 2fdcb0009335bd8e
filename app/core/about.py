"""What `sealdesk --version` and the GUI's About box show: SealDesk's version, the versions of the parts a
signature depends on, where the program runs from and the PKCS#11 modules.

Support questions start with "which version of what": a holder copies this text into a ticket. Nothing here
loads a PKCS#11 module or imports Qt, pyHanko or PyMuPDF — versions come from the installed distributions'
metadata (the PyInstaller bundle ships that metadata, build.spec) — so `--version` answers at once.
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .. import __version__
from .i18n_marks import QT_TRANSLATE_NOOP

COMPONENTS = (
    ("PySide6 (Qt)", "PySide6_Essentials", "PySide6"),
    ("pyHanko", "pyHanko", ""),
    ("pyhanko-certvalidator", "pyhanko-certvalidator", ""),
    ("python-pkcs11", "python-pkcs11", ""),
    ("PyMuPDF", "PyMuPDF", ""),
    ("cryptography", "cryptography", ""),
    ("asn1crypto", "asn1crypto", ""),
)
"""Name shown, distribution name, alternative distribution name (PySide6 may be the full wheel)."""

_TEXTS = (
    QT_TRANSLATE_NOOP("about", "Running from"),
    QT_TRANSLATE_NOOP("about", "Data folder"),
    QT_TRANSLATE_NOOP("about", "PKCS#11 modules found (loaded when a key is used):"),
    QT_TRANSLATE_NOOP("about", "PKCS#11 modules:"),
    QT_TRANSLATE_NOOP("about", "(none found: install your key vendor's PKCS#11 driver, or softhsm2 for the demo key)"),
    QT_TRANSLATE_NOOP("about", "not installed"),
    QT_TRANSLATE_NOOP("about", "bundle"),
    QT_TRANSLATE_NOOP("about", "Python package"),
    QT_TRANSLATE_NOOP("about", "source checkout"),
    QT_TRANSLATE_NOOP("about", "loaded"),
    QT_TRANSLATE_NOOP("about", "not loaded"),
)


@dataclass(frozen=True)
class ModuleLine:
    """A PKCS#11 module as the About text lists it."""

    name: str
    path: str
    loaded: bool | None = None
    """None: only found on disk (`--version` loads nothing); True/False: what the running program did."""


def distribution_version(*names: str) -> str:
    """The installed version of the first of `names` that is installed, "" when none is."""
    for name in names:
        if not name:
            continue
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return ""


def component_versions() -> list[tuple[str, str]]:
    """(name, version) of Python and the libraries a signature goes through; "" = not installed."""
    python = f"{platform.python_version()} ({platform.python_implementation()}, {platform.system()} {platform.machine()})"
    return [("Python", python)] + [(shown, distribution_version(dist, alt)) for shown, dist, alt in COMPONENTS]


def install_kind() -> str:
    """How this SealDesk was installed: "bundle" (PyInstaller), "Python package" (wheel) or "source checkout"."""
    if getattr(sys, "frozen", False):
        return "bundle"
    package = Path(__file__).resolve().parent.parent
    if (package.parent / "pyproject.toml").is_file():
        return "source checkout"
    return "Python package"


def program_location() -> str:
    """The folder of the bundle (its executables) or of the `app` package."""
    if getattr(sys, "frozen", False):
        return str(Path(sys.executable).resolve().parent)
    return str(Path(__file__).resolve().parent.parent)


def found_modules() -> list[ModuleLine]:
    """The modules SealDesk would load now (catalog files that exist, SEALDESK_PKCS11_MODULE, settings),
    without loading any: loading SoftHSM or a vendor driver takes time and may touch the key."""
    from .keys.catalog import discover

    extra: tuple[str, ...] = ()
    try:
        from .settings import load_settings

        extra = tuple(load_settings().extra_modules)
    except Exception:  # noqa: BLE001 - a damaged settings file is reported by the commands that need it
        extra = ()
    return [ModuleLine(candidate.spec.name, candidate.path) for candidate in discover(list(extra))]


def about_text(
    translate, modules: list[ModuleLine] | None = None, extra: list[tuple[str, str]] | None = None
) -> str:
    """The whole text, translated with `translate(context, text)`.

    `modules` defaults to `found_modules()`; the GUI passes the modules it actually loaded. `extra` adds
    (name, version) lines after the components (the GUI adds the Qt version it runs on).
    """
    from .paths import data_dir

    lines = [f"SealDesk {__version__}"]
    for name, version in component_versions() + list(extra or []):
        lines.append(f"{name} {version or translate('about', 'not installed')}")
    lines.append(f"{translate('about', 'Running from')}: {translate('about', install_kind())}, {program_location()}")
    try:
        lines.append(f"{translate('about', 'Data folder')}: {data_dir()}")
    except OSError:
        pass  # an unusable data folder: the commands that need it say so
    found_only = modules is None
    modules = found_modules() if modules is None else modules
    heading = "PKCS#11 modules found (loaded when a key is used):" if found_only else "PKCS#11 modules:"
    lines.append(translate("about", heading))
    if not modules:
        lines.append("  " + translate(
            "about", "(none found: install your key vendor's PKCS#11 driver, or softhsm2 for the demo key)"
        ))
    for module in modules:
        state = "" if module.loaded is None else f" ({translate('about', 'loaded' if module.loaded else 'not loaded')})"
        lines.append(f"  {module.name}: {module.path}{state}")
    return "\n".join(lines)

"""Maintainer tool (`make i18n`): refresh the Qt Linguist catalogues from the source and compile them.

Runs `pyside6-lupdate` over `app/` (it recognises `self.tr`, `translate(context, text)` and
`QT_TRANSLATE_NOOP`) into resources/i18n/sealdesk_<lang>.ts, keeping existing translations, then
`pyside6-lrelease` to the .qm files the GUI loads.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .core.paths import resources_dir

LANGUAGES = ("zh_CN",)
"""Catalogues kept; English is the source language and needs none."""


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    return found


def source_files() -> list[str]:
    root = Path(__file__).resolve().parent
    return sorted(str(p) for p in root.rglob("*.py"))


def update(ts_files: list[Path] | None = None, *, no_obsolete: bool = True) -> None:
    targets = ts_files or [resources_dir() / "i18n" / f"sealdesk_{lang}.ts" for lang in LANGUAGES]
    args = [_tool("pyside6-lupdate"), *source_files(), "-locations", "none"]
    if no_obsolete:
        args.append("-no-obsolete")
    for ts in targets:
        subprocess.run([*args, "-ts", str(ts)], check=True, capture_output=True)


def release() -> None:
    for lang in LANGUAGES:
        ts = resources_dir() / "i18n" / f"sealdesk_{lang}.ts"
        subprocess.run([_tool("pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)


if __name__ == "__main__":
    update()
    release()

"""`python -m app.gui.screenshots FOLDER` run as a user would (a subprocess, offscreen, this session's demo
key): every picture of the docs is written, at its size, with real content — seals in red, the green ✔ of
the verification — and the zh_CN pictures differ from the English ones. Tests never write into docs/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from app.gui.screenshots import PICTURES

ROOT = Path(__file__).resolve().parent.parent


def _colours(path: Path) -> tuple[pymupdf.Pixmap, dict[str, int]]:
    """The picture and how many pixels are seal red, status green, and how many distinct colours it has."""
    pix = pymupdf.Pixmap(str(path))
    if pix.alpha:
        pix = pymupdf.Pixmap(pix, 0)
    samples, n = pix.samples, pix.n
    red = green = 0
    distinct = set()
    for offset in range(0, len(samples), n * 7):  # every 7th pixel is plenty
        r, g, b = samples[offset], samples[offset + 1], samples[offset + 2]
        distinct.add((r, g, b))
        red += r > 170 and g < 80 and b < 80
        green += g > 100 and r < 90 and b < 90
    return pix, {"red": red, "green": green, "distinct": len(distinct)}


@pytest.fixture(scope="module")
def pictures(demo_key, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("shots") / "pictures"
    from app.gui.screenshots import _recent_file

    recent = _recent_file()
    before = recent.read_bytes() if recent.exists() else None
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "app.gui.screenshots", str(folder)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert sorted(Path(line).name for line in run.stdout.split()) == sorted(PICTURES)
    assert (recent.read_bytes() if recent.exists() else None) == before  # the user's 最近打开 is untouched
    return folder


def test_every_picture_has_its_size_and_content(pictures: Path):
    for name, (_language, size) in PICTURES.items():
        pix, colours = _colours(pictures / name)
        if size is not None:
            assert (pix.width, pix.height) == size, name
        else:
            assert pix.width >= 300 and pix.height >= 100, name
        assert colours["distinct"] > 40, f"{name} looks blank: {colours}"


def test_seals_and_verification_marks_are_visible(pictures: Path):
    for name, least in (("main-window.png", 200), ("main-window.en.png", 200), ("verify_panel.png", 200),
                        ("batch_window.png", 30)):  # the batch window's seal is a small icon (and a red ✘)
        assert _colours(pictures / name)[1]["red"] > least, f"no seal picture in {name}"
    for name in ("verify_panel.png", "verify_panel.en.png", "usage_log.png", "batch_window.png"):
        assert _colours(pictures / name)[1]["green"] > 20, f"no green ✔ / done in {name}"


def test_chinese_and_english_pictures_differ(pictures: Path):
    for zh, en in (("main-window.png", "main-window.en.png"), ("verify_panel.png", "verify_panel.en.png")):
        assert (pictures / zh).read_bytes() != (pictures / en).read_bytes()


"""Fonts for drawing OFD text: the package's embedded font files first, then the named fonts
(宋体/楷体/黑体/仿宋, Times New Roman, …) found on this computer, then PyMuPDF's built-in CJK font
("china-s"), which every SealDesk install has. A glyph the chosen font lacks is drawn with the fallback.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

FALLBACK = "china-s"

# OFD font name (lower-case, without _GB2312 and spaces) → file names to look for, best first
_NAMED: dict[str, tuple[str, ...]] = {
    "宋体": ("simsun.ttc", "NotoSerifCJK-Regular.ttc", "NotoSerifCJKsc-Regular.otf", "SourceHanSerifSC-Regular.otf",
             "Songti.ttc", "STSong.ttf"),
    "simsun": ("simsun.ttc", "NotoSerifCJK-Regular.ttc", "Songti.ttc"),
    "黑体": ("simhei.ttf", "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "SourceHanSansSC-Regular.otf",
             "STHeiti Light.ttc", "wqy-microhei.ttc"),
    "simhei": ("simhei.ttf", "NotoSansCJK-Regular.ttc"),
    "楷体": ("simkai.ttf", "STKaiti.ttf", "Kaiti.ttc", "AR PL UKai CN.ttf", "ukai.ttc"),
    "kaiti": ("simkai.ttf", "Kaiti.ttc", "ukai.ttc"),
    "仿宋": ("simfang.ttf", "STFangsong.ttf", "FangSong.ttf"),
    "fangsong": ("simfang.ttf", "STFangsong.ttf"),
    "微软雅黑": ("msyh.ttc", "msyh.ttf", "NotoSansCJK-Regular.ttc"),
    "timesnewroman": ("times.ttf", "Times New Roman.ttf", "LiberationSerif-Regular.ttf", "DejaVuSerif.ttf"),
    "arial": ("arial.ttf", "Arial.ttf", "LiberationSans-Regular.ttf", "DejaVuSans.ttf"),
    "couriernew": ("cour.ttf", "Courier New.ttf", "LiberationMono-Regular.ttf", "DejaVuSansMono.ttf"),
}
_ALIASES = {"方正小标宋简体": "宋体", "小标宋": "宋体", "方正仿宋": "仿宋", "方正黑体": "黑体", "方正楷体": "楷体",
            "楷体_gb2312": "楷体", "仿宋_gb2312": "仿宋", "stsong": "宋体", "stkaiti": "楷体", "stfangsong": "仿宋"}


def _font_dirs() -> list[Path]:
    dirs = []
    if sys.platform == "win32":
        dirs.append(Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts")
        if local := os.environ.get("LOCALAPPDATA"):
            dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    elif sys.platform == "darwin":
        dirs += [Path("/System/Library/Fonts"), Path("/System/Library/Fonts/Supplemental"), Path("/Library/Fonts"),
                 Path.home() / "Library" / "Fonts"]
    else:
        dirs += [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts",
                 Path.home() / ".fonts"]
    return [d for d in dirs if d.is_dir()]


@functools.lru_cache(maxsize=1)
def _installed() -> dict[str, Path]:
    """Lower-cased file name → path of every font file under the usual folders (two levels deep)."""
    found: dict[str, Path] = {}
    for folder in _font_dirs():
        for pattern in ("*", "*/*", "*/*/*"):
            for path in folder.glob(pattern):
                if path.suffix.lower() in (".ttf", ".ttc", ".otf"):
                    found.setdefault(path.name.lower(), path)
    return found


def _key(name: str) -> str:
    key = name.strip().lower().replace(" ", "")
    key = _ALIASES.get(key, key)
    return key.removesuffix("_gb2312")


@functools.lru_cache(maxsize=64)
def named_font_file(name: str) -> Path | None:
    """A file on this computer for the named font, None when none is found (then FALLBACK is used)."""
    candidates = _NAMED.get(_key(name), ())
    installed = _installed()
    for candidate in candidates:
        path = installed.get(candidate.lower())
        if path is not None:
            return path
    return None

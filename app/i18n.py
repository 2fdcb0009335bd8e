"""Translations for the CLI (and anything else that runs without a QApplication).

The Qt Linguist `.ts` files in resources/i18n are the single source of truth. The GUI loads them through
QTranslator; the CLI reads the same XML here so it can speak Chinese without starting Qt.
Language: the settings' `language` (set with `set_language`), else `SEALDESK_LANG` (e.g. "en", "zh_CN"),
else zh_CN — SealDesk's default UI language.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from functools import lru_cache

from .core.paths import resources_dir

DEFAULT_LANGUAGE = "zh_CN"
SOURCE_LANGUAGE = "en"


_chosen_language = ""
"""The language from the settings (or a switch in the GUI); "" = not chosen."""


def set_language(language: str | None) -> None:
    """Choose the language explicitly (settings.json / the GUI); "" or None falls back to SEALDESK_LANG."""
    global _chosen_language
    _chosen_language = (language or "").strip()


def current_language() -> str:
    lang = _chosen_language or os.environ.get("SEALDESK_LANG", "").strip()
    return lang or DEFAULT_LANGUAGE


def ts_path(language: str):
    return resources_dir() / "i18n" / f"sealdesk_{language}.ts"


@lru_cache(maxsize=4)
def _catalog(language: str) -> dict[tuple[str, str], str]:
    if language == SOURCE_LANGUAGE:
        return {}
    path = ts_path(language)
    if not path.is_file():
        return {}
    catalog: dict[tuple[str, str], str] = {}
    root = ET.parse(path).getroot()
    for context in root.iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source")
            translation = message.find("translation")
            if source is None or translation is None or not (translation.text or "").strip():
                continue
            if translation.get("type") in ("obsolete", "vanished"):
                continue
            catalog[(name, source)] = translation.text or ""
    return catalog


def translate(context: str, text: str) -> str:
    """Translate `text` (English source) in `context` into the current language."""
    return _catalog(current_language()).get((context, text), text)

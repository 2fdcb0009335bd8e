"""Start-up resources of the GUI: the CJK font, the translations (compiled .ts → .qm into a cache)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from app import i18n
from app.core.paths import data_dir, resources_dir

log = logging.getLogger(__name__)
LANGUAGES = (("zh_CN", "中文"), ("en", "English"))
"""Languages offered in the menu: code and name in that language (never translated)."""


def register_cjk_font(app: QApplication) -> str | None:
    """Register PyMuPDF's Droid Sans Fallback so Chinese renders on machines without a CJK font, and add it
    as a fallback family of the application font. Returns the family name."""
    try:
        import pymupdf

        data = pymupdf.Font("china-s").buffer
    except Exception as exc:  # noqa: BLE001 - the GUI still works with the system fonts
        log.warning("CJK font not available: %s", exc)
        return None
    font_id = QFontDatabase.addApplicationFontFromData(QByteArray(bytes(data)))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        return None
    font = QFont(app.font())
    font.setFamilies([app.font().family(), *families])
    app.setFont(font)
    return families[0]


def compiled_translation(language: str) -> Path | None:
    """The .qm for `language`, compiled from resources/i18n/*.ts into a cache when missing or older."""
    source = resources_dir() / "i18n" / f"sealdesk_{language}.ts"
    if not source.is_file():
        return None
    beside = source.with_suffix(".qm")  # `make i18n` / a packaged build puts it here
    frozen = getattr(sys, "frozen", False)  # the bundle's .qm is built from its .ts; copies reset mtimes
    if beside.is_file() and (frozen or beside.stat().st_mtime >= source.stat().st_mtime):
        return beside
    cache = data_dir() / "cache" / "i18n"
    target = cache / beside.name
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    from app.i18n_tools import _tool

    cache.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [_tool("pyside6-lrelease"), str(source), "-qm", str(target)], check=True, capture_output=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("compiling %s failed: %s", source.name, exc)
        return None
    return target


class Languages:
    """Installs the translators of one language; switching sends LanguageChange to every widget."""

    def __init__(self, app: QCoreApplication) -> None:
        self._app = app
        self._translators: list[QTranslator] = []
        self.language = ""

    def clear(self) -> None:
        """Remove the translators and the explicit choice (back to SEALDESK_LANG / the default)."""
        self._remove()
        self.language = ""
        i18n.set_language("")

    def _remove(self) -> None:
        for translator in self._translators:
            self._app.removeTranslator(translator)
        self._translators = []

    def apply(self, language: str) -> None:
        self._remove()
        self.language = language
        i18n.set_language(language)  # core messages (app.i18n.translate) follow the same choice
        if language == i18n.SOURCE_LANGUAGE:
            QLocale.setDefault(QLocale(QLocale.English))
            self._app.sendEvent(self._app, _language_change())
            return
        QLocale.setDefault(QLocale(language))
        qm = compiled_translation(language)
        ours = QTranslator(self._app)
        if qm is not None and ours.load(str(qm)):
            self._translators.append(ours)
        qt_own = QTranslator(self._app)  # standard buttons (OK, Cancel …)
        if qt_own.load(f"qtbase_{language}", QLibraryInfo.path(QLibraryInfo.TranslationsPath)):
            self._translators.append(qt_own)
        for translator in self._translators:
            self._app.installTranslator(translator)


def _language_change():
    from PySide6.QtCore import QEvent

    return QEvent(QEvent.LanguageChange)

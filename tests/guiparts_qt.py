"""Qt helpers of the guiparts tests: the zh_CN translators, the CJK font, a responsiveness probe, screenshots."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QCoreApplication, QElapsedTimer, QEvent, QTimer, QTranslator
from PySide6.QtGui import QFont, QFontDatabase

from app import i18n
from app.core.paths import resources_dir
from app.i18n_tools import _tool

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def register_cjk_font(app) -> None:
    """PyMuPDF's Droid Sans Fallback as a fallback family, as the GUI does at start."""
    import pymupdf

    font_id = QFontDatabase.addApplicationFontFromData(QByteArray(bytes(pymupdf.Font("china-s").buffer)))
    families = QFontDatabase.applicationFontFamilies(font_id)
    font = QFont(app.font())
    font.setFamilies([app.font().family(), *families])
    app.setFont(font)


class Language:
    """Installs the compiled zh_CN catalogue (as the GUI's language switch does) and removes it again."""

    def __init__(self, app, folder: Path) -> None:
        self._app = app
        self._folder = folder
        self._translator: QTranslator | None = None

    def apply(self, language: str) -> None:
        if self._translator is not None:
            self._app.removeTranslator(self._translator)
            self._translator = None
        i18n.set_language(language)
        if language != "en":
            source = resources_dir() / "i18n" / f"sealdesk_{language}.ts"
            qm = self._folder / f"sealdesk_{language}.qm"
            subprocess.run([_tool("pyside6-lrelease"), str(source), "-qm", str(qm)], check=True, capture_output=True)
            self._translator = QTranslator()
            assert self._translator.load(str(qm))
            self._app.installTranslator(self._translator)
        else:
            QCoreApplication.sendEvent(self._app, QEvent(QEvent.LanguageChange))

    def reset(self) -> None:
        self.apply("en")
        i18n.set_language("")


class LatenessProbe:
    """A QTimer on the GUI thread every 20 ms; `worst_ms` is how late the latest tick came."""

    def __init__(self, interval_ms: int = 20) -> None:
        self.interval = interval_ms
        self.worst_ms = 0.0
        self.ticks = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self._clock.start()
        self._last = time.perf_counter()
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst_ms = max(self.worst_ms, (now - self._last) * 1000 - self.interval)
        self._last = now
        self.ticks += 1

    def stop(self) -> None:
        self._timer.stop()

"""Qt helpers of the guiparts tests: the zh_CN translators, the CJK font, a responsiveness probe.

The docs pictures are made by `python -m app.gui.screenshots` (tests/test_gui_screenshots.py runs it into a
temporary folder): tests never write into the checkout."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QElapsedTimer, QTimer
from PySide6.QtGui import QFont, QFontDatabase


def register_cjk_font(app) -> None:
    """PyMuPDF's Droid Sans Fallback as a fallback family, as the GUI does at start."""
    import pymupdf

    font_id = QFontDatabase.addApplicationFontFromData(QByteArray(bytes(pymupdf.Font("china-s").buffer)))
    families = QFontDatabase.applicationFontFamilies(font_id)
    font = QFont(app.font())
    font.setFamilies([app.font().family(), *families])
    app.setFont(font)


class Language:
    """The GUI's own language switch (app.gui.resources.Languages: SealDesk's and Qt's translators)."""

    def __init__(self, app, folder: Path) -> None:
        from app.gui.resources import Languages

        del folder
        self._languages = Languages(app)

    def apply(self, language: str) -> None:
        self._languages.apply(language)

    def reset(self) -> None:
        self._languages.apply("en")
        self._languages.clear()


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

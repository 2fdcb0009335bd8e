"""Start the GUI: `make run`, `sealdesk-gui [--demo-city] [file]`, `python -m app [file]`.

`--demo-city` (what `make run` passes) starts citysim on 127.0.0.1 with the demo key registered
(app/gui/demo_city.py) and stops it when the window closes.

Without a display (a server, an SSH session) it says so and runs the CLI's first-run flow instead.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

from .demo_city import DEMO_CITY_FLAG, DEMO_HOLDER, start_demo_city

BENCH_ENV = "SEALDESK_BENCH_EXIT_ON_SHOWN"
"""Set to 1: print `shown <seconds>` (since the process started) at the main window's first paint and quit —
the launch benchmark (benchmarks/bench_gui.py) measures start-up this way."""
SCREENSHOT_ENV = "SEALDESK_SCREENSHOT_ON_SHOWN"
"""With BENCH_ENV: also save the window as a PNG to this path at its first paint — how CI checks that the
bundled GUI really draws its main window (installer/ci-dist.sh)."""


def has_display() -> bool:
    """Whether a Qt window can be shown: Windows/macOS always; X11/Wayland when their variables are set,
    or when the user chose a platform plugin (offscreen, vnc …) with QT_QPA_PLATFORM."""
    if sys.platform in ("win32", "darwin"):
        return True
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def ensure_a_key() -> bool:
    """The first-run rule of `sealdesk start`: no key at all → create the demo key. True when created."""
    from app.core import demo
    from app.core.application import Application

    with Application() as application:  # closed first: a loaded SoftHSM would not see the new token
        needed = application.demo_key_needed()
    if not needed:
        return False
    try:
        demo.create_demo_key()
    except Exception:  # noqa: BLE001 - no SoftHSM: the window still opens and says "no key"
        return False
    return True


def process_age() -> float:
    """Seconds since this process started (Linux: /proc; elsewhere since this module was imported)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as uptime:
            return float(uptime.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic() - _IMPORTED


_IMPORTED = time.monotonic()


def _exit_on_first_paint(window, qt_app) -> None:
    """For the launch benchmark: report the first paint of the window, then quit."""
    from PySide6.QtCore import QEvent, QObject

    class FirstPaint(QObject):
        def eventFilter(self, _watched, event) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and not getattr(self, "done", False):
                self.done = True
                print(f"shown {process_age():.3f}", flush=True)
                picture = os.environ.get(SCREENSHOT_ENV)
                if picture:  # after this paint, so the picture shows the drawn window
                    from PySide6.QtCore import QTimer

                    QTimer.singleShot(0, lambda: (window.grab().save(picture), qt_app.quit()))
                    return False
                qt_app.quit()
            return False

    window._first_paint = FirstPaint(window)
    window.installEventFilter(window._first_paint)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not has_display():
        from app.cli import main as cli_main
        from app.i18n import translate

        print(translate("gui", "No display found: starting the command-line first-run flow instead."))
        return cli_main(["start"])

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.core.application import Application
    from app.core.errors import SealDeskError

    from .main_window import MainWindow
    from .resources import Languages, register_cjk_font

    if QApplication.instance() is None:  # fractional scale factors (150 %) drawn exactly, not rounded
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    qt_app = QApplication.instance() or QApplication([sys.argv[0], *[a for a in args if a.startswith("-")]])
    qt_app.setApplicationName("SealDesk")
    qt_app.setOrganizationName("SealDesk")
    register_cjk_font(qt_app)
    created = ensure_a_key()
    city = _demo_city() if DEMO_CITY_FLAG in args else None
    try:
        application = Application()
    except SealDeskError as exc:
        from PySide6.QtWidgets import QMessageBox

        from app.i18n import translate

        QMessageBox.critical(None, "SealDesk", exc.user_message(translate))
        if city is not None:
            city.stop()
        return exc.exit_code
    registered = city.attach(application, fresh_key=created) if city is not None else True
    languages = Languages(qt_app)
    languages.apply(application.language)
    window = MainWindow(application, languages)
    if os.environ.get(BENCH_ENV):
        _exit_on_first_paint(window, qt_app)
    window.show()
    files = [a for a in args if not a.startswith("-")]
    if files:
        window.open_path(files[0])
    if not registered:  # the demo key's PIN may have been changed: the user types it
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, lambda: window.open_registration(name=DEMO_HOLDER))
    try:
        return qt_app.exec()
    finally:
        application.close()
        if city is not None:
            city.stop()


def _demo_city():
    """citysim for the demo, or None after saying why not (the window opens anyway)."""
    try:
        return start_demo_city()
    except (RuntimeError, OSError) as exc:
        from app.i18n import translate

        print(translate("gui", "The demo city system did not start: {reason}").format(reason=exc), file=sys.stderr)
        return None

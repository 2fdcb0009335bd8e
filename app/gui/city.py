"""The city e-seal system (用印登记) in the window: the status bar indicator and the sync controller.

Everything that touches the network or reads the whole usage log runs on plain worker threads
(app/gui/background.py): `Application.city_status()` walks every record to count the pending ones (measured: 19 ms
with 100 records, 235 ms with 1,000), `sync_now()` blocks on HTTP with retries. Results come back to the
GUI thread through this QObject's signals. Never two syncs at once (the controller's own flag; the core's
flock guards against `sealdesk sync` in another process: its SyncBusy is shown only for "sync now").
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from app.core.application import Application, CityState, CityStatus
from app.core.errors import SealDeskError, SyncBusy
from app.core.stamping import CancelToken
from app.i18n import translate

from .background import emit, start

STATE_COLOURS = {
    CityState.NOT_CONFIGURED: "#9e9e9e",
    CityState.SYNCED: "#2e7d32",
    CityState.PENDING: "#1565c0",
    CityState.OFFLINE: "#b26a00",
    CityState.ERROR: "#c62828",
}


def state_icon(state: CityState, size: int = 12) -> QIcon:
    """A coloured dot: the state is readable at a glance (the text says it in words)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setBrush(QColor(STATE_COLOURS[state]))
    painter.setPen(Qt.NoPen)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


class CitySync(QObject):
    """Keeps the city status fresh and runs syncs on a worker thread (by hand, after stamping, on a timer)."""

    statusChanged = Signal(object)
    """CityStatus, after every refresh."""
    syncStarted = Signal(bool)
    """A sync began; True when the user asked for it ("sync now")."""
    syncProgress = Signal(object)
    """app.core.usage.sync.SyncProgress"""
    syncFinished = Signal(object, object, bool)
    """(SyncResult | None, SealDeskError | None, interactive)"""
    _statusRead = Signal(object, int)
    _syncDone = Signal(object, object, bool)

    def __init__(self, app: Application, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.status: CityStatus | None = None
        self.last_result = None
        self._sync_thread: threading.Thread | None = None
        self._status_threads: list[threading.Thread] = []
        self._status_generation = 0
        self._cancel: CancelToken | None = None
        self._closed = False
        self._statusRead.connect(self._status_read, Qt.QueuedConnection)
        self._syncDone.connect(self._sync_done, Qt.QueuedConnection)
        self.timer = QTimer(self)
        self.timer.timeout.connect(lambda: self.sync(interactive=False))
        self.apply_settings()

    # -- settings
    def apply_settings(self) -> None:
        """(Re)start the periodic sync from the settings: every `city_sync_interval_min` minutes, if set up."""
        minutes = self.app.settings.city_sync_interval_min
        if self.app.city_configured() and minutes > 0 and not self._closed:
            self.timer.start(minutes * 60_000)
        else:
            self.timer.stop()
        self.refresh()

    # -- status
    def refresh(self) -> None:
        """Read the status again on a worker thread; `statusChanged` brings it."""
        if self._closed:
            return
        self._status_generation += 1
        generation = self._status_generation
        self._status_threads = [t for t in self._status_threads if t.is_alive()]

        def job() -> None:
            try:
                status = self.app.city_status()
            except SealDeskError as exc:  # an unreadable usage log: say so in the indicator
                status = CityStatus(CityState.ERROR, True, last_error=exc, url=self.app.settings.city_url)
            emit(self._statusRead, status, generation)

        self._status_threads.append(start(job, "city-status"))

    def _status_read(self, status: CityStatus, generation: int) -> None:
        if self._closed or generation != self._status_generation:
            return  # an older read finished after a newer one was asked for
        self.status = status
        self.statusChanged.emit(status)

    # -- sync
    def is_busy(self) -> bool:
        return self._sync_thread is not None

    def sync(self, *, interactive: bool) -> bool:
        """Start a sync on the worker; False when one runs already or there is nothing to talk to.
        In the background, without a city system or an API token, nothing happens (and nothing is said)."""
        if self._closed or self._sync_thread is not None:
            return False
        if not interactive and not self.app.city_configured():
            return False
        cancel = self._cancel = CancelToken()

        def job() -> None:
            result = error = None
            try:
                if not interactive and not _token_exists(self.app):
                    emit(self._syncDone, None, None, interactive)
                    return
                result = self.app.sync_now(cancel, progress=lambda p: emit(self.syncProgress, p))
            except SealDeskError as exc:
                error = exc
            emit(self._syncDone, result, error, interactive)

        self._sync_thread = start(job, "city-sync")
        self.syncStarted.emit(interactive)
        return True

    def cancel(self) -> None:
        """Ask the running sync to stop (a retry wait is interrupted; the records stay pending)."""
        if self._cancel is not None:
            self._cancel.cancel()

    def _sync_done(self, result, error: SealDeskError | None, interactive: bool) -> None:
        if self._sync_thread is not None:
            self._sync_thread.join()  # it ends right after emitting
        self._sync_thread = None
        self._cancel = None
        if self._closed:
            return
        if result is not None:
            self.last_result = result
        self.refresh()
        if isinstance(error, SyncBusy) and not interactive:
            error = None  # `sealdesk sync` runs: the next round will do
        self.syncFinished.emit(result, error, interactive)

    def after_stamping(self, *_args) -> None:
        """A stamping or a batch wrote records (or a key was registered, so its waiting records are now
        accepted): show them as waiting and send them in the background."""
        self.refresh()
        self.sync(interactive=False)

    def stop(self, timeout_s: float = 30.0) -> None:
        """The window closes: no more rounds, the running sync cancelled and joined (no thread left)."""
        self._closed = True
        self.timer.stop()
        self.cancel()
        thread, self._sync_thread = self._sync_thread, None
        if thread is not None:
            thread.join(timeout_s)
        for reader in self._status_threads:
            reader.join(timeout_s)
        self._status_threads = []

    def threads(self) -> list[threading.Thread]:
        """The worker threads still running (tests check that closing leaves none)."""
        running = [t for t in self._status_threads if t.is_alive()]
        if self._sync_thread is not None and self._sync_thread.is_alive():
            running.append(self._sync_thread)
        return running


def _token_exists(app: Application) -> bool:
    """An API token is at hand (environment or keyring); asked on the worker: a keyring may be slow."""
    from app.core.usage.sync import normalized_base_url, read_token

    try:
        return bool(read_token(normalized_base_url(app.settings.city_url)))
    except SealDeskError:
        return False


class CityIndicator(QToolButton):
    """The status bar's city button: a coloured dot and a short text; click → sync now, last error,
    register, settings. Greyed ("no city system") when none is set up."""

    syncRequested = Signal()
    errorRequested = Signal()
    registerRequested = Signal()
    settingsRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cityIndicator")
        self.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.setAutoRaise(True)
        self.setPopupMode(QToolButton.InstantPopup)
        self.status: CityStatus | None = None
        self.busy = False
        self.menu = QMenu(self)
        self.menu.setObjectName("cityMenu")
        self.act_sync = self.menu.addAction("")
        self.act_sync.setObjectName("actCitySync")
        self.act_error = self.menu.addAction("")
        self.act_error.setObjectName("actCityError")
        self.menu.addSeparator()
        self.act_register = self.menu.addAction("")
        self.act_register.setObjectName("actCityRegister")
        self.act_settings = self.menu.addAction("")
        self.act_settings.setObjectName("actCitySettings")
        self.act_sync.triggered.connect(self.syncRequested)
        self.act_error.triggered.connect(self.errorRequested)
        self.act_register.triggered.connect(self.registerRequested)
        self.act_settings.triggered.connect(self.settingsRequested)
        self.setMenu(self.menu)
        self.show_status(CityStatus(CityState.NOT_CONFIGURED, False))

    def show_status(self, status: CityStatus) -> None:
        self.status = status
        self.retranslate()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.retranslate()

    def retranslate(self) -> None:
        status = self.status
        text = status.text(translate)
        if self.busy:
            text = self.tr("sending records…")
        self.setText(text)
        self.setIcon(state_icon(status.state))
        configured = status.configured
        colour = STATE_COLOURS[status.state] if status.state in (CityState.OFFLINE, CityState.ERROR) else ""
        self.setStyleSheet(f"QToolButton {{ color: {colour}; }}" if colour else
                           ("QToolButton { color: #9e9e9e; }" if not configured else ""))
        self.setToolTip(self.tooltip_text())
        self.act_sync.setText(self.tr("&Sync now"))
        self.act_error.setText(self.tr("Show the last &error…"))
        self.act_register.setText(self.tr("&Register this key…"))
        self.act_settings.setText(self.tr("City &settings…"))
        self.act_sync.setEnabled(configured and not self.busy)
        self.act_error.setEnabled(status.last_error is not None)
        self.act_register.setEnabled(configured)

    def tooltip_text(self) -> str:
        """The URL, the last good sync, the counts and the last error in words (translated now)."""
        status = self.status
        if not status.configured:
            return self.tr("No city e-seal system is set up: usage records stay on this computer. "
                           "Set its address in the settings.")
        lines = [self.tr("City e-seal system: {url}").format(url=status.url)]
        if status.last_sync is not None:
            moment = status.last_sync.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            lines.append(self.tr("Last sync: {time}").format(time=moment))
        else:
            lines.append(self.tr("Last sync: never"))
        lines.append(self.tr("{pending} record(s) waiting, {rejected} refused").format(
            pending=status.pending, rejected=status.rejected))
        if status.last_error is not None:
            lines.append(self.tr("Last error: {error}").format(error=status.last_error.user_message(translate)))
        return "\n".join(lines)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

"""Stamping off the GUI thread: a QObject moved to a QThread runs Application.stamp, then verifies the output.

Signals cross back to the GUI thread as queued connections; the window stays responsive throughout.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QThread, Signal

from app.core.application import Application, StampPlan, StampStatus
from app.core.errors import SealDeskError
from app.core.stamping import CancelToken


class StampWorker(QObject):
    progress = Signal(object)
    """app.core.application.ProgressEvent"""
    finished = Signal(object, object)
    """(StampOutcome, VerificationSummary | None)"""

    def __init__(self, app: Application, plan: StampPlan, pin: str) -> None:
        super().__init__()
        self._app = app
        self._plan = plan
        self._pin: str | None = pin
        self.cancel_token = CancelToken()

    def run(self) -> None:
        pin, self._pin = self._pin or "", None
        outcome = self._app.stamp(self._plan, pin, progress=self.progress.emit, cancel=self.cancel_token)
        del pin
        verification = None
        if outcome.status is StampStatus.SIGNED:
            try:
                verification = self._app.verify(outcome.result.output_path)
            except SealDeskError:
                verification = None
        self.finished.emit(outcome, verification)

    def cancel(self) -> None:
        self.cancel_token.cancel()


def start_in_thread(worker: StampWorker) -> QThread:
    """Run `worker.run` on a new QThread that ends (and is cleaned up) when the worker finishes."""
    thread = QThread()
    thread.setObjectName("stamp-worker")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit, Qt.DirectConnection)  # quit from the worker thread itself
    thread.start()
    return thread

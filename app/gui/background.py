"""Work off the GUI thread without QThread lifetimes.

A QThread owned by a widget aborts the whole process ("QThread: Destroyed while thread is still running")
when the widget goes away mid-job — a window closed by the system, a test's teardown, garbage collection.
The panels therefore run their jobs on plain Python threads; results reach the GUI thread through the
signals of a QObject that lives there (emitting from another thread makes Qt queue the call).
"""

from __future__ import annotations

import threading
from collections.abc import Callable


def start(job: Callable[[], None], name: str) -> threading.Thread:
    """Run `job` on a new daemon thread now."""
    thread = threading.Thread(target=job, name=name, daemon=True)
    thread.start()
    return thread


def emit(signal, *args) -> None:
    """Emit from a worker thread; the receiver may be gone already (its window was closed): then nothing."""
    try:
        signal.emit(*args)
    except RuntimeError:  # the QObject behind the signal was deleted
        pass

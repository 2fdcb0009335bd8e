"""Work-arounds for bugs of the Qt binding that SealDesk cannot avoid by writing its code differently.

PySide6 6.12 on CPython 3.11: every call of a binding method that returns nothing (QPainter.fillRect,
QScrollBar.setValue, …) gives back a reference to None it never took — written for Python ≥ 3.12, where
None is immortal. On 3.11 None's reference count falls by one per call, a page view makes thousands of
such calls per second, and after a while Python aborts with "Fatal Python error: none_dealloc".
`apply()` makes None, True and False practically immortal (as 3.12 does) by raising their reference
counts by 2**60; it does nothing on Python ≥ 3.12. It runs when app.gui.page_view is imported; the
application should call it before creating its QApplication as well.
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 60
_applied = False


def apply() -> None:
    """Make None, True and False immortal on CPython < 3.12 (idempotent)."""
    global _applied
    if _applied or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every object in release builds of CPython
        ctypes.c_ssize_t.from_address(id(singleton)).value += _RESERVE
    _applied = True

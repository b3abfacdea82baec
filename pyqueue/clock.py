"""Time as a parameter: every component takes a clock instead of reading the time itself.

Times are epoch milliseconds (floats) everywhere, because IndexedDB cannot store
``datetime`` and JavaScript's ``Date.now()`` speaks milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""A function returning the current time in epoch milliseconds."""


def wall_clock() -> float:
    """Return the real time in epoch milliseconds."""
    return time.time() * 1000.0

"""A deadline for a loop that waits on an event, with at most one timer pending.

Pyodide's WebLoop cannot cancel a timer: ``call_later`` hands the browser a
``create_once_callable`` proxy through ``setTimeout`` and keeps no id to clear,
so a cancelled handle still holds its proxy (and the handle) until the time it
was set for. ``asyncio.wait_for(event.wait(), 60)`` in a loop that is woken
often therefore keeps one live proxy per wake-up of the last minute: with a
task enqueued every 100 ms, 600 of them (benches/NOTES-perf.md, "Round 3").

An :class:`Alarm` keeps its pending timer when a new deadline is no earlier
than it, so a loop woken again and again re-arms nothing. The price is an
early ring: the event may be set before the deadline asked for (at the
earlier deadline still pending), which a loop that re-checks its state when
woken takes as one more look.
"""

from __future__ import annotations

import asyncio
import math


class Alarm:
    """Sets *event* at the earliest deadline asked for, through one timer at a time."""

    def __init__(self, event: asyncio.Event) -> None:
        self._event = event
        self._timer: asyncio.Handle | None = None
        self._due = math.inf
        self._loop: asyncio.AbstractEventLoop | None = None

    def ring_within(self, seconds: float) -> None:
        """Make sure the event is set at most *seconds* from now (sooner if an earlier deadline is pending)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # used again in a new event loop: the old loop's timer will never ring
            self._loop, self._timer, self._due = loop, None, math.inf
        due = loop.time() + seconds
        if self._timer is not None and self._due <= due:
            return
        if self._timer is not None:
            self._timer.cancel()  # only an earlier deadline leaves one behind, until its time
        self._timer, self._due = loop.call_at(due, self._ring), due

    def _ring(self) -> None:
        self._timer, self._due = None, math.inf
        self._event.set()

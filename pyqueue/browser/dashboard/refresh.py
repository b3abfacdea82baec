"""When the dashboard renders: soon after a change (debounced), and on a slow timer for what no event reports.

Changes come from the runner (:meth:`~pyqueue.QueueRunner.on_change`), the
queue's task events (:attr:`~pyqueue.Queue.events`: this tab's, and the other
tabs' when a :class:`~pyqueue.browser.tabs.EventRelay` relays them) and the
dashboard's own buttons.
Under load the runner reports a change every few milliseconds: a burst costs
one render, and renders are at least ``gap_s`` apart, so drawing never takes
the event loop away from the tasks. The slow timer covers the clock moving
the chart on, tabs that closed, and changes no event reports (another tab
without a relay, a purge or an import there).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .background import Background

Render = Callable[[], Awaitable[None]]

DEBOUNCE_S = 0.05
GAP_S = 0.3


class RenderSchedule:
    def __init__(
        self,
        fast: Render,
        slow: Render,
        background: Background,
        *,
        slow_every_s: float,
        debounce_s: float = DEBOUNCE_S,
        gap_s: float = GAP_S,
    ) -> None:
        self.fast = fast
        self.slow = slow
        self.background = background
        self.slow_every_s = slow_every_s
        self.debounce_s = debounce_s
        self.gap_s = gap_s
        self._due: asyncio.Task[None] | None = None
        self._last = -float("inf")
        self._timer: asyncio.Task[None] | None = None

    def request(self) -> None:
        """Render the fast part soon: once for any number of requests until it runs."""
        if self._due is None or self._due.done():
            self._due = self.background.spawn(self._soon())

    async def _soon(self) -> None:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(max(self.debounce_s, self._last + self.gap_s - loop.time()))
        await self.render_fast()

    async def render_fast(self) -> None:
        self._last = asyncio.get_running_loop().time()
        await self.fast()

    async def render_all(self) -> None:
        """The slow part, then the fast part, now."""
        await self.slow()
        await self.render_fast()

    def start(self) -> None:
        """Render everything now, then the slow part every ``slow_every_s`` (and the fast part with it)."""
        if self._timer is None:
            self._timer = self.background.spawn(self._forever())

    async def _forever(self) -> None:
        while True:
            await self.render_all()
            await asyncio.sleep(self.slow_every_s)

"""When the page re-renders: soon after a change (debounced), on a slow timer, and when the tab is shown again.

Changes come from the runner, the queue, this page's controls and other tabs
(over :class:`~pyqueue.browser.tabs.TabSignals`); the slow timer covers what no
event reports (a tab that closed, the clock moving the chart on). What a render
shows is :mod:`web.dashboard`'s business.
"""

from __future__ import annotations

import asyncio

import js  # type: ignore[import-not-found]

from pyqueue.browser.tabs import CHANGED, TabSignals

from .background import spawn
from .dashboard import Dashboard
from .dom import on
from .periodic_check import PeriodicCheck

DEBOUNCE_S = 0.05
REFRESH_GAP_S = 0.3


class Refresh:
    def __init__(self, dashboard: Dashboard, periodic: PeriodicCheck, every_ms: float) -> None:
        self.dashboard = dashboard
        self.periodic = periodic
        self.every_ms = every_ms
        self.signals: TabSignals | None = None  # set when the page starts listening to other tabs
        self._due: asyncio.Task[None] | None = None
        self._last = 0.0

    def wire(self) -> None:
        on(js.document, "visibilitychange", lambda _e: self._on_visibility())

    def request(self) -> None:
        """Re-render soon; many events in a burst cost one render, and renders are at least a gap apart.

        Under load the runner reports a change every few milliseconds; rendering
        each would take the event loop away from the tasks themselves.
        """
        if self._due is None or self._due.done():
            self._due = asyncio.ensure_future(self._soon())

    async def _soon(self) -> None:
        loop = asyncio.get_running_loop()
        wait = max(DEBOUNCE_S, self._last + REFRESH_GAP_S - loop.time())
        await asyncio.sleep(wait)
        await self.now()

    async def now(self) -> None:
        """Render the fast part now."""
        self._last = asyncio.get_running_loop().time()
        await self.dashboard.render()

    async def everything(self) -> None:
        """Render the slow part, then the fast part, now."""
        await self.dashboard.render_slow()
        await self.now()

    def post(self, kind: str) -> None:
        """Tell the other tabs that *kind* happened (once this page listens to them)."""
        if self.signals is not None:
            self.signals.post(kind)

    def changed(self) -> None:
        """This page changed the queue or the memory: re-render here, and in the other tabs."""
        self.request()
        self.post(CHANGED)

    async def forever(self) -> None:
        """The slow timer: render everything while the tab is visible; the periodic check rides along."""
        while True:
            await asyncio.sleep(self.every_ms / 1000.0)
            if js.document.visibilityState == "visible":
                await self.everything()
            await self.periodic.ensure_if_due()

    def _on_visibility(self) -> None:
        if js.document.visibilityState == "visible":
            spawn(self.periodic.ensure())
            self.request()

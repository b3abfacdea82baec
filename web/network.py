"""The browser's network state: shown in the header; network tasks come back into line when it returns."""

from __future__ import annotations

from collections.abc import Callable

import js  # type: ignore[import-not-found]

from pyqueue import Queue

from . import parking
from .background import spawn
from .dom import on
from .panel import Panel
from .periodic_check import PeriodicCheck


def online() -> bool:
    return bool(js.navigator.onLine)


class Network:
    """Follows the browser's ``online`` and ``offline`` events."""

    def __init__(self, queue: Queue, panel: Panel, periodic: PeriodicCheck, refresh: Callable[[], None]) -> None:
        self.queue = queue
        self.panel = panel
        self.periodic = periodic
        self.refresh = refresh

    def wire(self) -> None:
        on(js.window, "online", lambda _e: spawn(self._went_online()))
        on(js.window, "offline", lambda _e: spawn(self._went_offline()))

    async def _went_offline(self) -> None:
        self.panel.show_online(False)  # network tasks park themselves when they run
        self.refresh()

    async def _went_online(self) -> None:
        self.panel.show_online(True)
        await parking.unpark_offline(self.queue)  # the queue tells the runners (and other tabs) there is work
        await self.periodic.ensure()
        self.refresh()

"""When the memory view renders: soon after a change (debounced, with the dashboard's schedule), and on a timer.

A render reads the memory and which notes are being extracted right now (the
queue's processing tasks, through its public ``tasks`` call); it writes
nothing. The view itself is :class:`~web.ui.memory_view.MemoryView`.
"""

from __future__ import annotations

from collections.abc import Callable

from pyqueue import Queue, QueueError, TaskStatus
from pyqueue.browser.dashboard.background import Background
from pyqueue.browser.dashboard.refresh import RenderSchedule

from ..memory.store import MemoryBackend
from ..memory.tasks import EXTRACT
from .memory_view import MemoryView
from .panel import Panel

RUNNING_SHOWN = 50


class MemoryPanel:
    """*closed* says why the page's queue store is closed (``None`` while open): another tab's upgrade
    closes it, the page already says so, and a render then reads nothing rather than cover that with
    the store's error."""

    def __init__(
        self, queue: Queue, memory: MemoryBackend, panel: Panel, every_ms: float, closed: Callable[[], str | None]
    ) -> None:
        self.queue = queue
        self.closed = closed
        self.memory = memory
        self.panel = panel
        self.view = MemoryView()
        self._schedule = RenderSchedule(self.render, self.render, Background(), slow_every_s=every_ms / 1000.0)

    def start(self) -> None:
        self._schedule.start()

    def request(self) -> None:
        """Render soon: many changes in a burst cost one render."""
        self._schedule.request()

    async def render(self) -> None:
        if self.closed() is not None:
            return
        try:
            running = await self.queue.tasks(TaskStatus.PROCESSING, limit=RUNNING_SHOWN)
            memory = await self.memory.read()
        except QueueError as e:
            if self.closed() is None:  # closed while reading: the page says why already
                self.panel.show_message(str(e), error=True, target="app-message")
            return
        extracting = {str(t.payload.get("unit_id")) for t in running if t.type == EXTRACT}
        self.view.show(memory, extracting)

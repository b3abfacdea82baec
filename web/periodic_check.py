"""Keeping the periodic tasks' slots enqueued from this page, with the library's scheduler.

The scheduler steps when the page starts and at every slot; the page also
asks for a step when its timer may have been throttled: the tab is shown
again, the network comes back, after an import, and on the dashboard's timer
at least every :data:`PERIODIC_CHECK_S`. Each slot's unique key makes extra
steps, here or in other tabs, harmless.
"""

from __future__ import annotations

import asyncio

from pyqueue import PeriodicScheduler, Queue, schedule_due

PERIODIC_CHECK_S = 30.0


class PeriodicCheck:
    def __init__(self, queue: Queue) -> None:
        self.scheduler = PeriodicScheduler(queue)
        self._checked = 0.0

    async def ensure(self) -> list[str]:
        """Enqueue the slots in progress (if no tab has) and keep the scheduler running; return their ids."""
        self._checked = asyncio.get_running_loop().time()
        self.scheduler.start()
        return await schedule_due(self.scheduler.queue)

    def postpone(self) -> None:
        """Stop scheduling until the next :meth:`ensure` (after a clear, so its import is not raced)."""
        self._checked = asyncio.get_running_loop().time()
        self.scheduler.stop()

    async def ensure_if_due(self) -> None:
        """Check again if the last check is :data:`PERIODIC_CHECK_S` old (the dashboard's timer calls this)."""
        now = asyncio.get_running_loop().time()
        if now - self._checked >= PERIODIC_CHECK_S:  # e.g. after a clear that no import followed
            await self.ensure()

"""Keeping the periodic tasks scheduled from this page: at start, and again whenever they may have lapsed.

The page checks when it starts, when the tab is shown again, when the network
comes back, after an import, and on the dashboard's timer at least every
:data:`PERIODIC_CHECK_S` (e.g. after a clear, or a cancelled slot).
"""

from __future__ import annotations

import asyncio

from .locks import with_lock
from .memory.tasks import MemoryWorker

PERIODIC_CHECK_S = 30.0


class PeriodicCheck:
    def __init__(self, worker: MemoryWorker, db_name: str) -> None:
        self.worker = worker
        self.db_name = db_name
        self._checked = 0.0

    async def ensure(self) -> list[str]:
        """Schedule the periodic tasks' next slots if no tab has; tabs take turns, under a Web Lock.

        The lock matters at a slot boundary: two tabs starting on either side of
        it would otherwise each see nothing scheduled and enqueue different slots.
        """
        self._checked = asyncio.get_running_loop().time()
        return await with_lock(f"pyqueue:{self.db_name}:periodic", self.worker.ensure_periodic)

    def postpone(self) -> None:
        """Count as checked now: the next check on the timer comes a full interval later."""
        self._checked = asyncio.get_running_loop().time()

    async def ensure_if_due(self) -> None:
        """Check again if the last check is :data:`PERIODIC_CHECK_S` old (the dashboard's timer calls this)."""
        now = asyncio.get_running_loop().time()
        if now - self._checked >= PERIODIC_CHECK_S:  # e.g. after a clear, or a cancelled slot
            self._checked = now
            await self.ensure()

"""The dashboard's background steps (a button's queue call, a render): held until done, cancelled on unmount.

asyncio keeps only a weak reference to a running task, so a step nobody holds
could be collected before it is done; and a step still running when the
dashboard is unmounted must not write into elements that are gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("pyqueue.dashboard")


class Background:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run *coro* in the background; a failure is logged (with its traceback), not lost."""
        task = asyncio.ensure_future(coro)
        self._running.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("pyqueue dashboard: a background step failed", exc_info=task.exception())

    def close(self) -> None:
        """Cancel every step still running."""
        for task in list(self._running):
            task.cancel()
        self._running.clear()

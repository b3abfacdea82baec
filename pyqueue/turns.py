"""Asyncio primitives that cost no extra turn of the browser's event loop.

In Pyodide every ``call_soon`` is a browser macrotask, and a turn costs far
more than a short handler (100 us or more, against tens of microseconds for a
JavaScript one). Pyodide's WebLoop also adds a done callback to every future
from ``loop.create_future()`` and every task from ``loop.create_task()`` (it
counts work in progress, for Node), and each done callback is one more turn.
The runner uses these two instead, so a task that finishes without suspending
costs only the turns of its transactions (benches/NOTES-perf.md, section 1).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, Literal


class PlainEvent(asyncio.Event):
    """An ``asyncio.Event`` whose waiter is a plain ``Future``, not one from ``loop.create_future()``."""

    async def wait(self) -> Literal[True]:
        if self.is_set():
            return True
        waiter: asyncio.Future[bool] = asyncio.Future(loop=asyncio.get_running_loop())
        self._waiters.append(waiter)
        try:
            await waiter
            return True
        finally:
            self._waiters.remove(waiter)


def start_eagerly(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
    """Run *coro* as a task whose first step runs now, inside the caller, up to its first suspension.

    A coroutine that finishes without suspending is done when this returns:
    no turn to start it, none for a done callback. It is still a task of its
    own (cancellation, ``asyncio.timeout`` and ``current_task()`` work as in
    any task). Python before 3.12 has no eager start: there it starts on the
    next turn, as ``ensure_future`` would.
    """
    loop = asyncio.get_running_loop()
    if sys.version_info >= (3, 12):
        return asyncio.Task(coro, loop=loop, eager_start=True)
    return asyncio.Task(coro, loop=loop)

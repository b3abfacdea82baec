"""Task timeouts that share a handful of timers, however many tasks run.

Pyodide's WebLoop cannot cancel a timer (see :mod:`pyqueue.alarm`): each
``asyncio.timeout(60)`` left by a task that finished early keeps its timer's
proxy, its ``asyncio.Timeout`` and the finished asyncio task alive until the
60 s are up, so a tab running 20 tasks a second holds 1,200 of them.

:class:`Deadlines` enters each block's ``asyncio.Timeout`` with no deadline,
keeps the blocks in a heap by due time, and sets one timer, at the earliest
due. When it fires, every block still running whose time has come is expired
through the ``Timeout`` itself (``reschedule`` to a time already past), so
the handler sees exactly what ``asyncio.timeout`` does to it: a
``CancelledError`` that becomes ``TimeoutError`` where the block ends. Blocks
that end before their time are only marked; they leave the heap when it is
half made of them, or when they reach its top.

A timer is never cancelled (that would leave it behind, as alive as ever):
one is added only for a due earlier than every timer pending, and the one
that fires sets the next. One kind of timeout keeps one timer pending; each
shorter kind running beside it adds one.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from types import TracebackType


class Deadlines:
    """Expires the blocks entered with :meth:`timeout` at their due times, through a handful of timers."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # ties at one due go first come, first served, never compare blocks
        self._ended = 0  # blocks in the heap that ended before their time
        self._armed: list[float] = []  # when each pending timer is due, latest first

    def timeout(self, seconds: float | None) -> Deadline:
        """Like ``asyncio.timeout(seconds)``: the block raises ``TimeoutError`` if it runs longer (``None``: never)."""
        return Deadline(self, seconds)

    def _add(self, block: Deadline, due: float) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # used again in a new event loop: the old loop's timers will never fire
            self._loop, self._heap, self._ended, self._armed = loop, [], 0, []
        heapq.heappush(self._heap, (due, next(self._order), block))
        self._arm(loop, due)

    def _arm(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        """Make sure a timer fires at *due* or before it."""
        if not self._armed or due < self._armed[-1]:
            self._armed.append(due)
            loop.call_at(due, self._ring, loop, due)

    def _ended_early(self) -> None:
        self._ended += 1
        if self._ended > len(self._heap) // 2:  # keeps the heap within twice the blocks running
            self._heap = [entry for entry in self._heap if entry[2].running]
            heapq.heapify(self._heap)
            self._ended = 0

    def _ring(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        self._armed.remove(due)
        now = max(due, loop.time())  # a timer may fire a clock tick before its due
        heap = self._heap
        while heap and (heap[0][0] <= now or not heap[0][2].running):
            when, _, block = heapq.heappop(heap)
            if block.running:
                block.expire(when)
            else:
                self._ended -= 1
        if heap:
            self._arm(loop, heap[0][0])


class Deadline:
    """One block under a :class:`Deadlines`' watch: an ``asyncio.Timeout`` entered with no deadline of its own."""

    __slots__ = ("_deadlines", "_seconds", "_timeout", "running")

    def __init__(self, deadlines: Deadlines, seconds: float | None) -> None:
        self._deadlines = deadlines
        self._seconds = seconds
        self._timeout: asyncio.Timeout | None = None
        self.running = False
        """True from entering the block until it ends or its time is up."""

    async def __aenter__(self) -> asyncio.Timeout:
        timeout = self._timeout = asyncio.timeout(None)
        await timeout.__aenter__()
        if self._seconds is not None:
            self.running = True
            self._deadlines._add(self, asyncio.get_running_loop().time() + self._seconds)
        return timeout

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        timeout, self._timeout = self._timeout, None  # a block waiting in the heap holds no finished task
        assert timeout is not None, "exited without being entered"
        if self.running:
            self.running = False
            self._deadlines._ended_early()
        await timeout.__aexit__(exc_type, exc, tb)

    def expire(self, due: float) -> None:
        """End the block as its ``asyncio.Timeout`` would at *due* (now past): cancel it, to raise ``TimeoutError``."""
        assert self._timeout is not None
        self.running = False
        self._timeout.reschedule(due)

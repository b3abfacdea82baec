"""Periodic tasks: one task per time slot, across every tab of the origin, with no lock.

A periodic task type is declared on the registry with a schedule (a fixed
interval, or a cron expression). Time is cut into slots, each starting at a
time the schedule names. :func:`schedule_due` enqueues the slot that has
started last, with the unique key ``periodic:<type>:<slot start>``: every tab
that calls it during that slot names the same key, and the store keeps the
first (unique keys are atomic in every store), so each slot runs once.

Catch-up rule: only the latest started slot is ever enqueued. Slots that
passed while no page was open are not run one by one; when a page opens, the
latest of them runs once (if no tab ran it), then the schedule goes on. On a
page's first visit this means the slot in progress runs at once.

Completed tasks are what remember a slot ran: keep them (see
:mod:`pyqueue.retention`) longer than the longest gap between two slots, or a
slot whose task was purged runs again when a page opens before the next slot.

:class:`PeriodicScheduler` calls :func:`schedule_due` at start and again at
each next slot (:func:`next_slot_at`), with the clock and the sleep injected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from .clock import Clock
from .errors import QueueError
from .queue import Queue, TaskSpec
from .schedules import PeriodicTask

log = logging.getLogger("pyqueue")

Sleep = Callable[[float], Awaitable[None]]
"""``sleep(seconds)``, like :func:`asyncio.sleep`; tests pass one that moves a fake clock."""

RETRY_AFTER_MS = 5_000.0
"""When a scheduling step fails (say the store is full), the next try comes this soon, or at the next slot."""


async def schedule_due(queue: Queue, *, now: float | None = None) -> list[str]:
    """Enqueue the slot in progress of every periodic type declared on the queue's registry.

    Returns the ids of the slots' tasks (the existing one where a tab already
    enqueued the slot). Safe to call from any number of tabs at any time.
    """
    at = queue.clock() if now is None else now
    specs = []
    for periodic in queue.registry.periodic_tasks:
        start = periodic.schedule.latest_at_or_before(at)
        if start is not None:
            payload = periodic.payload_for(start)
            specs.append(TaskSpec(periodic.type, payload, run_at=start, unique_key=periodic.key(start)))
    return await queue.enqueue_many(specs)


def next_slot_at(periodic: Sequence[PeriodicTask], now: float) -> float | None:
    """When the next slot of any of *periodic* starts: when the scheduler should next wake up."""
    return min((p.schedule.next_after(now) for p in periodic), default=None)


class PeriodicScheduler:
    """Keeps one page's periodic tasks enqueued: a step at start, then one at each next slot.

    Every open page may run one: the slots' unique keys make the extra steps
    harmless. A timer in a hidden tab may fire late (browsers throttle them to
    a minute); the slot is then enqueued late, still once.
    """

    def __init__(self, queue: Queue, *, clock: Clock | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.queue = queue
        self.clock = clock or queue.clock
        self.sleep = sleep
        self._task: asyncio.Task[None] | None = None

    async def step(self) -> float | None:
        """Enqueue the slots in progress; return when to step next (epoch ms), ``None`` if never."""
        now = self.clock()
        wake = next_slot_at(self.queue.registry.periodic_tasks, now)
        try:
            await schedule_due(self.queue, now=now)
        except QueueError:
            log.exception("pyqueue: could not enqueue the periodic tasks' slots; trying again soon")
            return now + RETRY_AFTER_MS if wake is None else min(wake, now + RETRY_AFTER_MS)
        return wake

    async def run(self, *, first_at: float | None = None) -> None:
        """Step at *first_at* (epoch ms; by default now), then at every next slot, until stopped.

        Returns when nothing periodic is declared.
        """
        wake = first_at
        while True:
            if wake is not None:
                await self.sleep(max(0.0, wake - self.clock()) / 1000.0)
            if (wake := await self.step()) is None:
                return

    def start(self, *, first_at: float | None = None) -> asyncio.Task[None]:
        """Run :meth:`run` in the background (once: a second call returns the same task).

        A caller that has just called :func:`schedule_due` passes the next slot's
        start as *first_at*: a second step at once would only find the slots
        taken, and at a page's start its write transaction would come before the
        runner's first claim.
        """
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self.run(first_at=first_at))
        return self._task

    def stop(self) -> None:
        """Stop stepping; a step under way is cancelled."""
        if self._task is not None:
            self._task.cancel()
            self._task = None

"""Periodic tasks on a plain queue: one task per time slot, deduplicated by a unique key.

Time is cut into slots of ``interval_ms``; the task for slot ``n`` has the
unique key ``"{type}:{interval}:{n}"`` and runs at the slot's start. A handler
schedules the next slot when it starts, and every page ensures one at start, so
any number of tabs end up with exactly one scheduled instance: they all try to
enqueue the same key, and the store keeps the first.

Workaround until pyqueue has periodic tasks of its own (see .requests/issue5.md).
"""

from __future__ import annotations

from collections.abc import Callable

from pyqueue import Queue, Task, TaskStatus

LIVE_SCAN = 1_000
"""How many of the newest waiting tasks :func:`ensure` looks through for a live instance."""

PayloadFor = Callable[[int, float], object]
"""``payload(slot, interval_ms)`` builds the payload of the task for one slot."""


def slot_of(now: float, interval_ms: float) -> int:
    """The slot that *now* falls in."""
    return int(now // interval_ms)


def slot_key(task_type: str, interval_ms: float, slot: int) -> str:
    return f"{task_type}:{interval_ms:g}:{slot}"


async def schedule_next(
    queue: Queue, task_type: str, interval_ms: float, payload: PayloadFor, *, after_slot: int, now: float
) -> str:
    """Enqueue the task for the first slot after *after_slot* that has not started yet; return its id.

    Slots missed while no tab was open are skipped, not caught up one by one.
    """
    slot = max(after_slot, slot_of(now, interval_ms)) + 1
    return await queue.enqueue(
        task_type,
        payload(slot, interval_ms),
        run_at=slot * interval_ms,
        unique_key=slot_key(task_type, interval_ms, slot),
    )


async def live_instances(queue: Queue, task_type: str) -> list[Task]:
    """Tasks of *task_type* that are waiting or running."""
    found = []
    for status in (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.PROCESSING):
        found += [t for t in await queue.tasks(status, limit=LIVE_SCAN) if t.type == task_type]
    return found


async def ensure(queue: Queue, task_type: str, interval_ms: float, payload: PayloadFor, *, now: float) -> str | None:
    """Schedule the next slot unless an instance is already waiting or running; return the new task's id.

    Two tabs calling this at once both enqueue the same unique key, so one task results.
    """
    if await live_instances(queue, task_type):
        return None
    return await schedule_next(queue, task_type, interval_ms, payload, after_slot=slot_of(now, interval_ms), now=now)

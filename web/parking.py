"""Parking: tasks that need the network wait while the browser is offline, without failing or spinning.

A parked task is a scheduled task whose ``run_at`` is the end of time, so no
runner ever finds it due and none wakes up for it. The page parks waiting
network tasks on the ``offline`` event (and new ones are enqueued parked),
and makes them due again on the ``online`` event and at start when online.
A handler that finds itself offline mid-run parks its own task by raising
:func:`offline_retry` (that attempt counts, and its error says why).

Workaround until pyqueue parks tasks itself (see .requests/issue5.md): the
changes below go through ``queue.store.update``, atomic like the queue's own.
"""

from __future__ import annotations

from collections.abc import Collection

from pyqueue import Queue, Retry, Task, TaskStatus
from pyqueue.constants import MAX_TIME_MS

PARKED_RUN_AT = MAX_TIME_MS
PARKED_FROM = MAX_TIME_MS / 2
"""Any ``run_at`` from here on means parked (a retry delay to the end of time lands slightly off it)."""

SCAN = 1_000
OFFLINE_REASON = "offline: parked until the browser is back online"


def is_parked(task: Task) -> bool:
    return task.status is TaskStatus.SCHEDULED and task.run_at >= PARKED_FROM


def park(task: Task) -> Task:
    """A waiting task becomes parked; anything else is left as it is."""
    if task.status not in (TaskStatus.SCHEDULED, TaskStatus.PENDING) or is_parked(task):
        return task
    return task.replace(status=TaskStatus.SCHEDULED, run_at=PARKED_RUN_AT)


def unpark(task: Task, now: float) -> Task:
    """A parked task becomes due now; anything else is left as it is."""
    if not is_parked(task):
        return task
    return task.replace(status=TaskStatus.PENDING, run_at=now)


def offline_retry(now: float) -> Retry:
    """What a network handler raises when it runs offline: retry at the end of time, i.e. parked."""
    return Retry(delay_ms=PARKED_RUN_AT - now, reason=OFFLINE_REASON)


async def park_all(queue: Queue, task_types: Collection[str]) -> list[str]:
    """Park every waiting task of *task_types*; return their ids."""
    parked = []
    for status in (TaskStatus.PENDING, TaskStatus.SCHEDULED):
        for task in await queue.tasks(status, limit=SCAN):
            if task.type not in task_types or is_parked(task):
                continue
            if is_parked(await queue.store.update(task.id, park)):
                parked.append(task.id)
    return parked


async def unpark_all(queue: Queue, task_types: Collection[str], now: float) -> list[str]:
    """Make every parked task of *task_types* due now; return their ids."""
    woken = []
    for task in await queue.tasks(TaskStatus.SCHEDULED, limit=SCAN):
        if task.type in task_types and is_parked(task):
            updated = await queue.store.update(task.id, lambda t: unpark(t, now))
            if updated.status is TaskStatus.PENDING:
                woken.append(task.id)
    return woken

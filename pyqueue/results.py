"""What became of a task: await its result (:class:`TaskHandle`), or get the report of one run (:class:`ProcessResult`).

A handle trusts the stored task, never an event: an event (from this tab or
relayed from another) only says "read the task now". It subscribes before its
first read, so a task that finishes between the two is not missed, and it
reads again every ``poll_ms`` in case an event was lost (a message between
tabs, a task finished by a program that emits none).
"""

from __future__ import annotations

import asyncio
import enum
import math
from collections.abc import Generator
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from .errors import InvalidOption, QueueError, ResultTimeout, TaskCancelled, TaskFailed, TaskNotFound
from .events import FINAL_KINDS, EventBus, after_attempt
from .jsondata import JSONValue
from .storage import Storage
from .task import Task, TaskStatus

RESULT_POLL_MS = 5_000.0
"""How often a waiting :class:`TaskHandle` reads its task even when no event came: the fallback for lost events."""


class TaskHandle:
    """A task by id, whose outcome can be awaited: ``value = await handle`` (or ``await handle.result(timeout_ms=)``).

    Made by :meth:`pyqueue.Queue.handle`. Awaiting works whichever tab's
    runner runs the task (with events relayed between tabs, see
    :class:`pyqueue.browser.tabs.EventRelay`; without, within ``poll_ms``),
    and for a task that had already finished when the await began.
    """

    def __init__(self, task_id: str, store: Storage, events: EventBus, *, poll_ms: float = RESULT_POLL_MS) -> None:
        _check_ms("poll_ms", poll_ms, zero=False)
        self.id = task_id
        self._store = store
        self._events = events
        self._poll_s = poll_ms / 1000.0

    def __repr__(self) -> str:
        return f"TaskHandle({self.id!r})"

    def __await__(self) -> Generator[Any, None, JSONValue]:
        return self.result().__await__()

    async def task(self) -> Task:
        """The task as stored now, raising :class:`~pyqueue.errors.TaskNotFound` if it is gone."""
        task = await self._store.get(self.id)
        if task is None:
            raise TaskNotFound(self.id)
        return task

    async def wait(self, *, timeout_ms: float | None = None) -> Task:
        """Wait until the task is completed, failed or cancelled, and return it as stored.

        Raises :class:`~pyqueue.errors.ResultTimeout` (a ``TimeoutError``)
        after *timeout_ms* (``None``: no limit), leaving the task as it is, and
        :class:`~pyqueue.errors.TaskNotFound` if the task is deleted meanwhile.
        """
        if timeout_ms is not None:
            _check_ms("timeout_ms", timeout_ms, zero=True)
        loop = asyncio.get_running_loop()
        deadline = None if timeout_ms is None else loop.time() + timeout_ms / 1000.0
        changed = asyncio.Event()
        unsubscribe = self._events.subscribe(lambda _event: changed.set(), task_id=self.id, kinds=FINAL_KINDS)
        try:
            while True:
                changed.clear()
                task = await self.task()
                if task.status.finished:
                    return task
                wait_s = self._poll_s if deadline is None else min(self._poll_s, deadline - loop.time())
                if wait_s <= 0:
                    raise ResultTimeout(self.id, float(timeout_ms or 0.0), task.status.value)
                with suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), wait_s)
        finally:
            unsubscribe()

    async def result(self, *, timeout_ms: float | None = None) -> JSONValue:
        """Wait for the task and return its result (what the handler returned).

        Raises :class:`~pyqueue.errors.TaskFailed` or
        :class:`~pyqueue.errors.TaskCancelled`, both carrying the task, its
        last error and traceback, when it did not complete; and what
        :meth:`wait` raises.
        """
        task = await self.wait(timeout_ms=timeout_ms)
        if task.status is TaskStatus.FAILED:
            raise TaskFailed(task)
        if task.status is TaskStatus.CANCELLED:
            raise TaskCancelled(task)
        return task.result


def _check_ms(name: str, value: float, *, zero: bool) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not zero):
        raise InvalidOption(name, value, "must be a finite number of milliseconds" + (" >= 0" if zero else " > 0"))


class Finish(enum.StrEnum):
    """How one attempt run by a runner ended, as recorded (``lost``: the store refused it, see below)."""

    COMPLETED = "completed"
    RETRIED = "retried"
    PARKED = "parked"
    FAILED = "failed"
    CANCELLED = "cancelled"
    LOST = "lost"
    """Another runner holds the task now (this runner's lease ran out): the outcome was not recorded."""


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """What :meth:`pyqueue.QueueRunner.process_next` did with the one task it ran.

    ``task`` is the task as stored after the attempt (as claimed when the
    outcome was ``lost``); ``duration_ms`` runs from the claim to the record
    of the outcome, on the queue's clock; ``error`` is this attempt's error.
    """

    task: Task
    outcome: Finish
    duration_ms: float
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.outcome is Finish.COMPLETED

    @property
    def result(self) -> JSONValue:
        return self.task.result

    @classmethod
    def of(cls, claimed: Task, recorded: Task | QueueError, *, error: str | None, now: float) -> ProcessResult:
        """The report of *claimed*'s attempt, from what the store returned when its outcome was written."""
        duration = now - (claimed.started_at if claimed.started_at is not None else now)
        if isinstance(recorded, QueueError):
            return cls(claimed, Finish.LOST, duration, str(recorded))
        return cls(recorded, Finish(after_attempt(recorded).value), duration, error)

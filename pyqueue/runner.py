"""The runner: a plain coroutine that recovers, claims and dispatches tasks, and keeps its leases alive.

It never polls on a fixed interval: it sleeps until a task is enqueued (the
queue calls :meth:`QueueRunner.wake`, and so does the page when another tab
enqueues), until the next scheduled task is due, or until a running task
finishes and frees a slot.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from . import transitions
from .backoff import BackoffPolicy, exponential_backoff
from .constants import DEFAULT_LEASE_MS
from .context import TaskContext
from .errors import InvalidOption, LeaseLost, QueueError, TaskNotFound
from .execution import Outcome, run_task
from .jsondata import JSONValue
from .queue import Queue
from .storage import Claim
from .task import Task, TaskStatus

log = logging.getLogger("pyqueue")

INTERRUPTED = "interrupted: the runner stopped before the task finished"


class RunnerState(enum.StrEnum):
    """What the runner is doing, as shown on the page."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED_USER = "paused-user"
    PAUSED_HIDDEN = "paused-hidden"
    UPGRADE_PENDING = "upgrade-pending"
    STOPPING = "stopping"
    STOPPED = "stopped"


class PauseReason(enum.StrEnum):
    """Why the runner claims nothing new; it resumes when no reason is left."""

    USER = "user"
    HIDDEN = "hidden"
    UPGRADE = "upgrade"


_PAUSED_STATE = {
    PauseReason.USER: RunnerState.PAUSED_USER,
    PauseReason.UPGRADE: RunnerState.UPGRADE_PENDING,
    PauseReason.HIDDEN: RunnerState.PAUSED_HIDDEN,
}


@dataclass
class RunnerCounts:
    """What a runner did since it was created (or, from :meth:`QueueRunner.run_burst`, in that burst)."""

    recovered: int = 0
    claimed: int = 0
    completed: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    lost: int = 0

    def minus(self, before: RunnerCounts) -> RunnerCounts:
        return RunnerCounts(**{k: v - getattr(before, k) for k, v in vars(self).items()})


class QueueRunner:
    """Runs the tasks of one queue.

    ``concurrency`` tasks run at once (default 1). A claim holds a task for
    ``lease_ms``; the runner renews the leases of its running tasks every
    ``lease_ms / 3`` and recovers other runners' expired leases as often, so a
    task is never started twice while its runner lives, and a crashed tab's
    tasks come back within one lease.
    """

    def __init__(
        self,
        queue: Queue,
        *,
        concurrency: int = 1,
        lease_ms: float = DEFAULT_LEASE_MS,
        task_timeout_ms: float | None = None,
        backoff: BackoffPolicy = exponential_backoff,
        stop_grace_ms: float = 10_000.0,
        owner: str | None = None,
    ) -> None:
        if not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidOption("concurrency", concurrency, "must be a positive integer")
        if lease_ms <= 0:
            raise InvalidOption("lease_ms", lease_ms, "must be positive")
        self.queue = queue
        self.concurrency = concurrency
        self.lease_ms = lease_ms
        self.task_timeout_ms = task_timeout_ms
        self.backoff = backoff
        self.stop_grace_ms = stop_grace_ms
        self.owner = owner or f"runner-{uuid.uuid4().hex[:12]}"
        self.counts = RunnerCounts()
        self._pauses: set[PauseReason] = set()
        self._wake = asyncio.Event()
        self._inflight: dict[str, tuple[asyncio.Task[None], TaskContext]] = {}
        self._main: asyncio.Task[None] | None = None
        self._active = False
        self._stopping = False
        self._listeners: list[Callable[[], None]] = []
        self._unsubscribe = queue.on_enqueue(lambda _tasks: self.wake())

    # -- observing -------------------------------------------------------

    @property
    def state(self) -> RunnerState:
        if self._stopping:
            return RunnerState.STOPPING
        if not self._active:
            return RunnerState.STOPPED if self._main is not None else RunnerState.IDLE
        for reason in (PauseReason.USER, PauseReason.UPGRADE, PauseReason.HIDDEN):
            if reason in self._pauses:
                return _PAUSED_STATE[reason]
        return RunnerState.RUNNING

    @property
    def active(self) -> bool:
        """True while :meth:`run` or :meth:`run_burst` is executing."""
        return self._active

    @property
    def running_tasks(self) -> list[str]:
        """Ids of the tasks this runner is executing now."""
        return list(self._inflight)

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* when the state changes or a task finishes; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("pyqueue: a runner listener failed")

    # -- control ---------------------------------------------------------

    def wake(self) -> None:
        """Look for work now (called on enqueue, and by the page when another tab enqueues)."""
        self._wake.set()

    def pause(self, reason: PauseReason = PauseReason.USER) -> None:
        """Claim nothing new until :meth:`resume` with the same reason; running tasks finish."""
        self._pauses.add(reason)
        self._notify()

    def resume(self, reason: PauseReason = PauseReason.USER) -> None:
        """Drop one pause reason; the runner claims again once none is left."""
        self._pauses.discard(reason)
        self.wake()
        self._notify()

    def start(self) -> asyncio.Task[None]:
        """Run :meth:`run` in the background; calling it again returns the same loop, never a second one."""
        if self._main is None or self._main.done():
            self._stopping = False
            self._main = asyncio.ensure_future(self.run())
        return self._main

    async def stop(self, grace_ms: float | None = None) -> None:
        """Stop claiming, let running tasks finish for up to the grace period, and return when stopped.

        Tasks still running after the grace are interrupted and put back in
        line (the attempt counts): nothing is lost.
        """
        if grace_ms is not None:
            self.stop_grace_ms = grace_ms
        self._stopping = True
        self.wake()
        self._notify()
        if self._main is not None:
            await asyncio.shield(self._main)

    # -- running ---------------------------------------------------------

    async def run(self) -> None:
        """Recover expired leases, then claim and run tasks until :meth:`stop`."""
        async with self._session():
            while not self._stopping:
                self._wake.clear()
                delay = await self._fill_slots()
                if delay == 0.0:
                    continue
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), None if delay is None else delay / 1000.0)

    async def run_burst(self) -> RunnerCounts:
        """Run every task that is due now, including retries that fall due meanwhile, then return.

        For tests and inline mode: returns what this burst did.
        """
        before = RunnerCounts(**vars(self.counts))
        async with self._session():
            while True:
                claim = await self._claim(self.queue.clock(), self.concurrency)
                if not claim.tasks:
                    break
                await asyncio.gather(*(self._inflight[t.id][0] for t in claim.tasks))
        return self.counts.minus(before)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[None]:
        if self._active:
            raise RuntimeError("this runner is already running; use start(), which never runs two loops")
        self._active = True
        self._notify()
        heartbeat = asyncio.ensure_future(self._heartbeat())
        try:
            await self.recover()
            yield
        finally:
            await self._drain()
            heartbeat.cancel()
            self._active = False
            self._stopping = False
            self._notify()

    async def recover(self) -> int:
        """Put back tasks whose runner vanished (expired lease); return how many."""
        recovered = await self.queue.store.recover(now=self.queue.clock())
        if recovered:
            self.counts.recovered += len(recovered)
            log.info("pyqueue: recovered %d task(s) whose lease expired", len(recovered))
            self.wake()
            self._notify()
        return len(recovered)

    async def _fill_slots(self) -> float | None:
        """Claim into free slots; return how long to sleep (ms), 0 to loop at once, None for no deadline."""
        free = self.concurrency - len(self._inflight)
        if self._pauses or free <= 0:
            return None
        now = self.queue.clock()
        claim = await self._claim(now, free)
        if claim.tasks and len(self._inflight) < self.concurrency:
            return 0.0
        return None if claim.next_due is None else max(0.0, claim.next_due - now)

    async def _claim(self, now: float, limit: int) -> Claim:
        """Claim up to *limit* tasks and start each in its own asyncio task."""
        claim = await self.queue.store.claim(now=now, owner=self.owner, lease_ms=self.lease_ms, limit=limit)
        self.counts.claimed += len(claim.tasks)
        for task in claim.tasks:
            ctx = TaskContext(task, report=self._progress_reporter(task.id))
            job = asyncio.ensure_future(self._process(task, ctx))
            self._inflight[task.id] = (job, ctx)
        return claim

    def _progress_reporter(self, task_id: str) -> Callable[[JSONValue], Awaitable[None]]:
        async def report(value: JSONValue) -> None:
            try:
                await self.queue.store.update(
                    task_id, lambda t: transitions.report_progress(t, owner=self.owner, progress=value)
                )
            except LeaseLost:
                self._inflight[task_id][1].cancelled.set()
            self._notify()

        return report

    async def _process(self, task: Task, ctx: TaskContext) -> None:
        try:
            outcome = await run_task(
                task,
                ctx,
                registry=self.queue.registry,
                backoff=self.backoff,
                default_timeout_ms=self.task_timeout_ms,
            )
            await self._record(task, outcome)
        finally:
            self._inflight.pop(task.id, None)
            self.wake()
            self._notify()

    async def _record(self, task: Task, outcome: Outcome) -> None:
        change = outcome.change(owner=self.owner, now=self.queue.clock())
        try:
            final = await self.queue.store.update(task.id, change)
        except (LeaseLost, TaskNotFound) as e:
            self.counts.lost += 1
            log.warning("pyqueue: result of task %s dropped: %s", task.id, e)
            return
        except QueueError:
            log.exception("pyqueue: could not record the outcome of task %s; its lease will expire", task.id)
            return
        if final.status is TaskStatus.COMPLETED:
            self.counts.completed += 1
        elif final.status is TaskStatus.FAILED:
            self.counts.failed += 1
        elif final.status is TaskStatus.CANCELLED:
            self.counts.cancelled += 1
        else:
            self.counts.retried += 1

    async def _heartbeat(self) -> None:
        """Renew our leases, learn about cancels, and recover other runners' expired leases."""
        period = self.lease_ms / 3.0 / 1000.0
        while True:
            await asyncio.sleep(period)
            try:
                await self._renew()
                await self.recover()
            except QueueError:
                log.exception("pyqueue: heartbeat failed; retrying next period")

    async def _renew(self) -> None:
        if not self._inflight:
            return
        until = self.queue.clock() + self.lease_ms
        for task in await self.queue.store.renew(list(self._inflight), owner=self.owner, until=until):
            entry = self._inflight.get(task.id)
            if entry is None:
                continue
            if task.cancel_requested or task.lease_owner != self.owner:
                entry[1].cancelled.set()

    async def _drain(self) -> None:
        """Wait for running tasks up to the grace period; put back the ones still running."""
        if not self._inflight:
            return
        jobs = dict(self._inflight.values())
        _, late = await asyncio.wait(jobs, timeout=self.stop_grace_ms / 1000.0)
        for job in late:
            job.cancel()
        for job in late:
            task = jobs[job].task
            with suppress(asyncio.CancelledError):
                await job
            await self._record(task, Outcome(error=INTERRUPTED, retry_in_ms=0.0))

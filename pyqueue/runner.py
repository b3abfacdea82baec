"""The runner: a plain coroutine that recovers, claims and dispatches tasks, and keeps its leases alive.

It does not poll: it sleeps until a task is enqueued (the queue calls
:meth:`QueueRunner.wake`, and so does the page when another tab enqueues),
until the next scheduled task is due, or until a running task finishes and
frees a slot. An idle runner still looks once every
:data:`~pyqueue.constants.MAX_SLEEP_MS` (a minute), so a lost wake-up (a
BroadcastChannel message that never came, a task written by another program)
delays a task by that much at most, never forever.

Every change it records is also told to the queue's event bus
(:mod:`pyqueue.events`), after the store accepted it.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

from . import transitions
from .alarm import Alarm
from .backoff import BackoffPolicy, exponential_backoff
from .constants import DEFAULT_LEASE_MS, MAX_SLEEP_MS
from .context import TaskContext
from .deadlines import Deadlines
from .errors import InvalidOption, LeaseLost, QueueError
from .events import EventKind, TaskEvent, after_attempt
from .execution import Outcome, run_task
from .ids import random_hex
from .jsondata import JSONValue
from .limits import ClaimLimits
from .listeners import Listeners
from .queue import Queue
from .results import Finish, ProcessResult
from .storage import Change, Claim
from .task import Task, TaskStatus
from .turns import PlainEvent, start_eagerly

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
    parked: int = 0
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

    With ``batch_size`` above 1, one transaction claims up to
    ``concurrency * batch_size`` due tasks and one transaction records their
    outcomes, which saves IndexedDB round trips for short tasks. Every task of
    a batch stays leased (and renewed) until its outcome is written, so a tab
    that dies mid-batch loses nothing: the unrecorded tasks come back when
    their leases expire, and may run again (delivery is at least once).

    :meth:`start`, :meth:`stop`, :meth:`pause` and :meth:`resume` take effect
    when called, from any coroutine and in any order: the runner ends in the
    state last asked for, and never starts a task once a pause or stop has
    been asked for. A stop never costs a task an attempt (see :meth:`stop`).
    """

    location = "page"
    """Where the handlers run, for a page's dashboard: on this thread (a worker's handle says ``"worker"``)."""

    def __init__(
        self,
        queue: Queue,
        *,
        concurrency: int = 1,
        lease_ms: float = DEFAULT_LEASE_MS,
        task_timeout_ms: float | None = None,
        backoff: BackoffPolicy = exponential_backoff,
        stop_grace_ms: float = 10_000.0,
        batch_size: int = 1,
        owner: str | None = None,
    ) -> None:
        if not isinstance(concurrency, int) or concurrency < 1:
            raise InvalidOption("concurrency", concurrency, "must be a positive integer")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise InvalidOption("batch_size", batch_size, "must be a positive integer")
        if lease_ms <= 0:
            raise InvalidOption("lease_ms", lease_ms, "must be positive")
        self.queue = queue
        self.concurrency = concurrency
        self.lease_ms = lease_ms
        self.task_timeout_ms = task_timeout_ms
        self.backoff = backoff
        self.stop_grace_ms = stop_grace_ms
        self.batch_size = batch_size
        self.owner = owner or f"runner-{random_hex(6)}"
        self.counts = RunnerCounts()
        self.last_error: str | None = None
        """Why the last step failed, while the runner retries it; ``None`` when all is well."""
        self._pauses: set[PauseReason] = set()
        self._wake = PlainEvent()
        self._look_again = Alarm(self._wake)  # the re-check of an idle or waiting loop
        self._slots: set[asyncio.Task[None]] = set()  # one asyncio task per busy slot (see _work)
        self._inflight: dict[str, TaskContext] = {}  # the tasks those slots are running, by id
        self._queued: deque[Task] = deque()
        self._outcomes: list[tuple[Task, Outcome]] = []
        self._main: asyncio.Task[None] | None = None
        self._active = False
        self._wanted = False  # what start() / stop() asked for last: True while the runner should run
        self._draining = False
        self._stop_waiters: list[asyncio.Future[None]] = []
        self._beat = asyncio.Event()
        self._beat_alarm = Alarm(self._beat)
        self._deadlines = Deadlines()  # the running tasks' timeouts, through one timer
        self._budget: int | None = None  # how many more tasks this burst may claim (run_burst(max_tasks=))
        self._reports: list[ProcessResult] | None = None  # what process_next() collects
        self._listeners = Listeners("runner")
        self._unsubscribe = queue.on_enqueue(lambda _tasks: self.wake())

    # -- observing -------------------------------------------------------

    @property
    def state(self) -> RunnerState:
        if not self._active and (self._main is None or self._main.done()):
            return RunnerState.STOPPED if self._main is not None else RunnerState.IDLE
        if self._draining or not self._wanted:
            return RunnerState.STOPPING
        for reason in (PauseReason.UPGRADE, PauseReason.USER, PauseReason.HIDDEN):
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
        return self._listeners.add(listener)

    def _notify(self) -> None:
        self._listeners.notify()

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
        """Run :meth:`run` in the background; calling it again returns the same loop, never a second one.

        Start and :meth:`stop` take effect when called, in any order: the last
        one asked for wins. A start while the runner is still stopping
        overrules the stop (whoever awaits it is released), and the same loop
        runs again once the running tasks are drained.
        """
        self._wanted = True
        self._answer_stops()
        if self._main is None or self._main.done():
            self._main = asyncio.ensure_future(self._run_while_wanted())
        self.wake()
        self._notify()
        return self._main

    def stop(self, grace_ms: float | None = None) -> asyncio.Future[None]:
        """Stop claiming, let running tasks finish for up to the grace period; await it to know when stopped.

        The request holds as soon as this is called, awaited or not; the
        awaitable ends when the runner has stopped, or when a later
        :meth:`start` overrules the stop. Tasks still running after the grace
        are interrupted and put back in line without spending the attempt (a
        shutdown is not the task's failure, so not even a last attempt is
        lost); the interruption is kept in the task's errors.
        """
        if grace_ms is not None:
            self.stop_grace_ms = grace_ms
        self._wanted = False
        stopped = asyncio.get_running_loop().create_future()
        if self._active or (self._main is not None and not self._main.done()):
            self._stop_waiters.append(stopped)
        else:
            stopped.set_result(None)
        self.wake()
        self._notify()
        return stopped

    def _answer_stops(self) -> None:
        waiters, self._stop_waiters = self._stop_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def check_leases(self) -> None:
        """Renew this runner's leases now and learn which it lost: call it when the page wakes up.

        A tab that was frozen or throttled could not renew in time, and another
        tab may have taken its tasks over. A task found held by another runner
        (or cancelled) gets its handler's ``ctx.cancelled`` set, and its late
        outcome is refused by the store and counted as ``lost``; a claimed task
        not started yet is dropped unstarted. The leases still held are renewed.
        """
        self._beat.set()

    # -- running ---------------------------------------------------------

    async def run(self) -> None:
        """Recover expired leases, then claim and run tasks until :meth:`stop`."""
        self._wanted = True
        await self._run_while_wanted()

    async def _run_while_wanted(self) -> None:
        try:
            while self._wanted:  # a start() during a drain asks for one more session
                async with self._session():
                    await self._loop(burst=False)
        finally:
            self._answer_stops()

    async def run_burst(self, *, max_tasks: int | None = None) -> RunnerCounts:
        """Run every task that is due now, including retries that fall due meanwhile, then return.

        For tests, inline mode and apps that drive the queue themselves:
        returns what this burst did. With *max_tasks*, it claims at most that
        many tasks (a retry that falls due during the burst counts again) and
        returns once they are recorded. It ignores pauses (it is an explicit
        request to work now).
        """
        if max_tasks is not None and (isinstance(max_tasks, bool) or not isinstance(max_tasks, int) or max_tasks < 1):
            raise InvalidOption("max_tasks", max_tasks, "must be a positive integer or None")
        before = RunnerCounts(**vars(self.counts))
        self._budget = max_tasks
        try:
            async with self._session(burst=True):
                await self._loop(burst=True)
        finally:
            self._budget = None
        return self.counts.minus(before)

    async def process_next(self) -> ProcessResult | None:
        """Run at most one due task, now, and say what happened; ``None`` if no task was due.

        For apps that drive the queue themselves (the seed design's
        ``processNext``): the task, how its attempt ended (including
        ``lost`` when its lease ran out meanwhile) and how long it took.
        Like :meth:`run_burst`, it first recovers expired leases, renews the
        lease while the handler runs, and cannot run beside :meth:`start`.
        """
        reports: list[ProcessResult] = []
        self._reports = reports
        try:
            await self.run_burst(max_tasks=1)
        finally:
            self._reports = None
        return reports[0] if reports else None

    async def _loop(self, *, burst: bool) -> None:
        failures = 0
        while self._wanted:
            self._wake.clear()
            try:
                delay, idle = await self._step(burst)
            except QueueError as e:
                # The store refused (closed for an upgrade, quota, a browser error): say so and try
                # again later rather than ending the loop and leaving the tab's work undone.
                if burst:
                    raise
                failures += 1
                self.last_error = str(e)
                log.error("pyqueue: runner step failed (%s); retrying", e)
                self._notify()
                delay, idle = min(MAX_SLEEP_MS, 1_000.0 * 2 ** min(failures - 1, 6)), False
            else:
                if failures:
                    failures, self.last_error = 0, None
                    self._notify()
            if burst and idle:
                return
            if delay == 0.0:
                continue
            # Idle (delay None), a running loop still looks again after MAX_SLEEP_MS, in case a wake-up was lost.
            # An alarm, not wait_for: its timer outlives a wake-up, which leaves no cancelled timer behind.
            if not burst:
                self._look_again.ring_within((MAX_SLEEP_MS if delay is None else delay) / 1000.0)
            await self._wake.wait()

    def _may_start(self, burst: bool) -> bool:
        """Whether to claim and start tasks now: asked for, and not paused (a burst ignores pauses)."""
        return self._wanted and (burst or not self._pauses)

    async def _step(self, burst: bool) -> tuple[float | None, bool]:
        """Record finished work, claim into free slots, start what fits.

        Pause and stop are checked again after every await, right before the
        claim and right after it, so a request that arrives while an outcome
        is written or a claim is in flight is never followed by a start: what
        that claim took is handed back unstarted.

        Returns how long to sleep (ms; ``None``: until woken) and whether the
        runner is idle (nothing queued, running or unrecorded, nothing claimable).

        When it has outcomes to record and may claim, both are one store call
        (:meth:`~pyqueue.storage.Storage.finish_and_claim`: one transaction),
        checked for pause and stop right before it and right after it.
        """
        claim: tuple[float | None, bool] | None = None  # what a claim in this step gave: (delay, took any)
        if self._outcomes and (len(self._outcomes) >= self.batch_size or not (self._queued and self._inflight)):
            # Record now, unless more of this batch is still running; claim in the same write if there is room.
            if want := self._claim_size(burst):
                claim = await self._flush_and_claim(want)
            else:
                await self._flush()
        if claim is None and (want := self._claim_size(burst)):
            claim = await self._claim(want)
        delay, claimed = claim or (None, False)
        if self._may_start(burst):
            self._start_queued()
        else:
            await self._hand_back()
        idle = not (claimed or self._queued or self._inflight or self._outcomes)
        if self._outcomes and not self._inflight:
            return 0.0, idle  # record them before sleeping
        return delay, idle

    def _claim_size(self, burst: bool) -> int:
        """How many tasks to claim now: none while paused, stopping or holding claimed tasks, else the free room."""
        if not self._may_start(burst) or self._queued:
            return 0
        want = (self.concurrency - len(self._inflight)) * self.batch_size
        return max(0, want if self._budget is None else min(want, self._budget))

    def _limits(self) -> ClaimLimits | None:
        """The per-type limits of a claim now: the registry's rates, and caps that count the tasks running."""
        return self.queue.registry.claim_limits(Counter(ctx.task.type for ctx in self._inflight.values()))

    async def _claim(self, want: int) -> tuple[float | None, bool]:
        """Claim up to *want* tasks into the queue of tasks to start; see :meth:`_took`."""
        now = self.queue.clock()
        claim = await self.queue.store.claim(
            now=now, owner=self.owner, lease_ms=self.lease_ms, limit=want, limits=self._limits()
        )
        return self._took(claim, now)

    def _took(self, claim: Claim, now: float) -> tuple[float | None, bool]:
        """Queue what *claim* took; return in how many ms the next task falls due (or ``None``), and if it took any."""
        self.counts.claimed += len(claim.tasks)
        if self._budget is not None:
            self._budget -= len(claim.tasks)
        self._queued.extend(claim.tasks)
        delay = None if claim.next_due is None else min(MAX_SLEEP_MS, max(0.0, claim.next_due - now))
        return delay, bool(claim.tasks)

    @asynccontextmanager
    async def _session(self, *, burst: bool = False) -> AsyncIterator[None]:
        if self._active:
            raise RuntimeError("this runner is already running; use start(), which never runs two loops")
        self._active = True
        if burst:
            self._wanted = True  # a burst is a request to work now; stop() still ends it
        self._notify()
        heartbeat = asyncio.ensure_future(self._heartbeat())
        try:
            await self.recover()
            yield
        finally:
            self._draining = True
            try:
                await self._drain()
            finally:
                heartbeat.cancel()
                self._active = self._draining = False
                if not self._wanted:
                    self._answer_stops()
                self._notify()

    async def recover(self) -> int:
        """Put back tasks whose runner vanished (expired lease); return how many."""
        now = self.queue.clock()
        recovered = await self.queue.store.recover(now=now)
        if recovered:
            self.counts.recovered += len(recovered)
            for task in recovered:
                self._emit(after_attempt(task), task, now)
            self.queue.tell_dependants()
            log.info("pyqueue: recovered %d task(s) whose lease expired", len(recovered))
            self.wake()
            self._notify()
        return len(recovered)

    def _emit(self, kind: EventKind, task: Task, now: float) -> None:
        if self.queue.events.listened:  # two events per task: not built when no one listens
            self.queue.events.emit(TaskEvent.of(kind, task, now))

    def _start_queued(self) -> None:
        """Start claimed tasks in free slots, each slot's first task eagerly (:func:`~pyqueue.turns.start_eagerly`).

        A handler that finishes without suspending has run, and its outcome
        waits to be recorded, when this returns: with a no-op handler the
        step goes straight on to the flush, with no turn to start the slot,
        none for its done callback and none to wake the loop. A slot still
        running is kept in ``_slots`` for :meth:`_drain` to wait on; one that
        finished eagerly has already left it.
        """
        while len(self._inflight) < self.concurrency and (task := self._take_queued()) is not None:
            ctx = self._context(task)
            self._inflight[task.id] = ctx
            slot = start_eagerly(self._work(task, ctx))
            if not slot.done():
                self._slots.add(slot)

    def _context(self, task: Task) -> TaskContext:
        """The context of a task about to start; its ``started`` event (the claim already wrote it down)."""
        self._emit(EventKind.STARTED, task, self.queue.clock())
        return TaskContext(task, report=self._progress_reporter(task.id))

    def _take_queued(self) -> Task | None:
        """The next claimed task to start, unless its lease may be running out: then check the leases first.

        A tab frozen or throttled with claimed tasks waiting may have lost them
        to another tab; starting one would run it twice. A live runner renews
        every third of a lease, so less than that left means renewals were missed.
        """
        if not self._queued:
            return None
        lease_until = self._queued[0].lease_until
        if lease_until is not None and lease_until - self.lease_ms / 3.0 <= self.queue.clock():
            self.check_leases()
            return None
        return self._queued.popleft()

    def _progress_reporter(self, task_id: str) -> Callable[[JSONValue], Awaitable[None]]:
        async def report(value: JSONValue) -> None:
            try:
                task = await self.queue.store.update(
                    task_id, lambda t: transitions.report_progress(t, owner=self.owner, progress=value)
                )
            except LeaseLost:
                self._inflight[task_id].cancelled.set()
            else:
                self._emit(EventKind.PROGRESS, task, self.queue.clock())
            self._notify()

        return report

    async def _work(self, task: Task, ctx: TaskContext) -> None:
        """Run *task*, then, in the same asyncio task, the next claimed ones while this slot may go on.

        One asyncio task per slot rather than per task: in Pyodide every task
        start and wake-up is a turn of the browser's event loop, which costs
        more than the bookkeeping of a short handler. The slot removes itself
        from ``_slots`` when it ends (a done callback would cost one more turn).
        """
        try:
            while True:
                outcome = await run_task(
                    task,
                    ctx,
                    registry=self.queue.registry,
                    backoff=self.backoff,
                    default_timeout_ms=self.task_timeout_ms,
                    deadlines=self._deadlines,
                )
                self._outcomes.append((task, outcome))
                del self._inflight[task.id]
                if not self._wanted or self._pauses or (next_task := self._take_queued()) is None:
                    return
                task = next_task
                ctx = self._context(task)
                self._inflight[task.id] = ctx
        finally:
            self._inflight.pop(task.id, None)
            self._slots.discard(asyncio.current_task())
            self.wake()

    async def _flush(self) -> None:
        """Record buffered outcomes in one write; a task whose lease was lost is counted, not finished."""
        batch, self._outcomes = self._outcomes, []
        now = self.queue.clock()
        try:
            results = await self.queue.store.update_many(self._changes(batch, now))
        except QueueError:
            log.exception("pyqueue: could not record %d outcome(s); their leases will expire", len(batch))
            return
        self._record(batch, results, now)

    async def _flush_and_claim(self, want: int) -> tuple[float | None, bool]:
        """:meth:`_flush` then :meth:`_claim` in one store call, one transaction (the claim sees the outcomes).

        If the store refuses, the outcomes are dropped as :meth:`_flush` drops
        them (their leases will expire), and the error reaches the loop as a
        refused claim's does.
        """
        batch, self._outcomes = self._outcomes, []
        now = self.queue.clock()
        try:
            results, claim = await self.queue.store.finish_and_claim(
                self._changes(batch, now),
                now=now,
                owner=self.owner,
                lease_ms=self.lease_ms,
                limit=want,
                limits=self._limits(),
            )
        except QueueError:
            log.exception("pyqueue: could not record %d outcome(s); their leases will expire", len(batch))
            raise
        self._record(batch, results, now)
        return self._took(claim, now)

    def _changes(self, batch: list[tuple[Task, Outcome]], now: float) -> list[tuple[str, Change]]:
        return [(task.id, outcome.change(owner=self.owner, now=now)) for task, outcome in batch]

    def _record(self, batch: list[tuple[Task, Outcome]], results: list[Task | QueueError], now: float) -> None:
        for (task, outcome), result in zip(batch, results, strict=True):
            self._recorded(ProcessResult.of(task, result, error=outcome.error, now=now), now)
        self.queue.tell_dependants()
        self._notify()

    def _recorded(self, report: ProcessResult, now: float) -> None:
        """Count an attempt whose outcome was written, tell the event bus, and keep it for process_next()."""
        finish = report.outcome
        setattr(self.counts, finish.value, getattr(self.counts, finish.value) + 1)  # a count per Finish
        if finish is Finish.LOST:
            log.warning("pyqueue: result of task %s dropped: %s", report.task.id, report.error)
        else:
            self._emit(EventKind(finish.value), report.task, now)
        if self._reports is not None:
            self._reports.append(report)

    async def _hand_back(self) -> None:
        """Give claimed tasks that have not started back to the queue (pause, stop), attempts untouched."""
        if not self._queued:
            return
        tasks, self._queued = list(self._queued), deque()
        now = self.queue.clock()
        release = functools.partial(transitions.release, owner=self.owner, now=now)
        with suppress(QueueError):
            for result in await self.queue.store.update_many([(t.id, release) for t in tasks]):
                if isinstance(result, Task) and result.status is TaskStatus.CANCELLED:  # a cancel came first
                    self._emit(EventKind.CANCELLED, result, now)
            self.queue.tell_dependants()
        self.counts.claimed -= len(tasks)

    async def _heartbeat(self) -> None:
        """Renew our leases, learn about cancels, and (unless paused) recover other runners' expired leases."""
        period = self.lease_ms / 3.0 / 1000.0
        while True:
            self._beat_alarm.ring_within(period)
            await self._beat.wait()  # or at once when check_leases() asks
            self._beat.clear()
            try:
                await self._renew()
                if not self._pauses:
                    await self.recover()
            except QueueError:
                log.exception("pyqueue: heartbeat failed; retrying next period")

    async def _renew(self) -> None:
        held = [*self._inflight, *(t.id for t in self._queued), *(t.id for t, _ in self._outcomes)]
        if not held:
            return
        until = self.queue.clock() + self.lease_ms
        renewed = {t.id: t for t in await self.queue.store.renew(held, owner=self.owner, until=until)}
        for task in renewed.values():
            ctx = self._inflight.get(task.id)
            if ctx is not None and (task.cancel_requested or not self._holds(task)):
                ctx.cancelled.set()
        queued = [renewed.get(t.id, t) for t in self._queued]
        self._queued = deque(t for t in queued if self._holds(t))
        if dropped := len(queued) - len(self._queued):
            self.counts.lost += dropped
            log.warning("pyqueue: %d claimed task(s) were taken over by another runner before they started", dropped)
            self._notify()
        if queued:
            self.wake()  # claimed tasks held back for this check may start now, or free slots be filled

    def _holds(self, task: Task) -> bool:
        return task.status is TaskStatus.PROCESSING and task.lease_owner == self.owner

    async def _drain(self) -> None:
        """Wait for running tasks up to the grace period; put back the ones still running, and record all."""
        await self._hand_back()
        if self._slots:
            _, late = await asyncio.wait(self._slots, timeout=self.stop_grace_ms / 1000.0)
            # Every slot still running is inside one task's handler, and only those tasks are in _inflight.
            interrupted = [ctx.task for ctx in self._inflight.values()]
            for slot in late:
                slot.cancel()
            for slot in late:
                with suppress(asyncio.CancelledError):
                    await slot
            self._outcomes.extend((task, Outcome(error=INTERRUPTED, interrupted=True)) for task in interrupted)
        if self._outcomes:
            await self._flush()

    async def hand_back(self) -> None:
        """Give claimed tasks that have not started back to the queue now, attempts untouched.

        For a page that is going away (``pagehide``): another tab's runner can
        take them at once instead of waiting for their leases to expire.
        """
        await self._hand_back()

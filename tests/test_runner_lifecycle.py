"""The runner's life cycle under races: pause, stop and start arriving while the runner is mid-step.

A store whose writes and claims wait on a gate the test opens lets each test
put a request exactly where the race is (an outcome being written, a claim in
flight), with no timing luck involved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyqueue import (
    MemoryStore,
    PauseReason,
    Queue,
    QueueError,
    QueueRunner,
    RunnerState,
    Task,
    TaskContext,
    TaskRegistry,
    TaskStatus,
)
from pyqueue.runner import INTERRUPTED
from pyqueue.storage import Change, Claim

from .async_support import run
from .fakes import FakeClock

SETTLE_S = 0.05
"""Time for the runner to finish its step after a gate opens: what it must not do would take microseconds."""


class Gate:
    """Holds a store call until the test opens it; ``entered`` is set when the call is waiting."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()

    async def wait(self) -> None:
        self.entered.set()
        await self.opened.wait()


class GatedStore(MemoryStore):
    """A memory store whose next outcome write, or next claim, waits at a gate (as a slow IndexedDB write would)."""

    def __init__(self) -> None:
        super().__init__()
        self.write_gate: Gate | None = None
        self.claim_gate: Gate | None = None

    async def update_many(self, changes: Sequence[tuple[str, Change]]) -> list[Task | QueueError]:
        gate, self.write_gate = self.write_gate, None
        if gate is not None:
            await gate.wait()
        return await super().update_many(changes)

    async def claim(self, **kw: Any) -> Claim:
        gate, self.claim_gate = self.claim_gate, None
        if gate is not None:
            await gate.wait()
        return await super().claim(**kw)

    async def finish_and_claim(
        self, changes: Sequence[tuple[str, Change]], **kw: Any
    ) -> tuple[list[Task | QueueError], Claim]:
        """Both a write of outcomes and a claim: it waits at whichever gate is set."""
        gate = self.write_gate or self.claim_gate
        self.write_gate = self.claim_gate = None
        if gate is not None:
            await gate.wait()
        return await super().finish_and_claim(changes, **kw)


@dataclass
class Job:
    name: str


class Handlers:
    """A handler that records when each task starts; tasks named ``block`` wait until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.release = asyncio.Event()

    async def handle(self, payload: Job, ctx: TaskContext) -> str:
        self.started.append(payload.name)
        if payload.name == "block":
            await self.release.wait()
        return payload.name


def setup(*, max_attempts: int = 3, **runner: Any) -> tuple[Queue, QueueRunner, GatedStore, Handlers]:
    handlers = Handlers()
    registry = TaskRegistry()
    registry.register("job", handlers.handle, max_attempts=max_attempts)
    store = GatedStore()
    queue = Queue(store, registry)
    return queue, QueueRunner(queue, **runner), store, handlers


async def status(queue: Queue, task_id: str) -> tuple[TaskStatus, int]:
    task = await queue.get(task_id)
    return task.status, task.attempts


async def until_status(queue: Queue, task_id: str, want: TaskStatus) -> None:
    async with asyncio.timeout(3):
        while (await queue.get(task_id)).status is not want:
            await asyncio.sleep(0.005)


# -- pause and stop arriving while the previous outcome is being written ------------------------


async def writing_the_first_outcome() -> tuple[Queue, QueueRunner, Handlers, Gate, str, str]:
    """A started runner whose write of the first task's outcome waits at the gate, and a second task waiting."""
    queue, runner, store, handlers = setup()
    first = await queue.enqueue("job", Job("first"))
    second = await queue.enqueue("job", Job("second"))
    store.write_gate = gate = Gate()
    runner.start()
    await gate.entered.wait()
    return queue, runner, handlers, gate, first, second


def test_a_visibility_pause_during_the_previous_outcomes_write_starts_no_further_task() -> None:
    async def scenario() -> None:
        # Given a runner whose write of the first task's outcome is in flight, and a second task waiting
        queue, runner, handlers, gate, first, second = await writing_the_first_outcome()
        # When the page hides (pause) before that write ends
        runner.pause(PauseReason.HIDDEN)
        assert runner.state is RunnerState.PAUSED_HIDDEN
        gate.opened.set()
        await until_status(queue, first, TaskStatus.COMPLETED)
        await asyncio.sleep(SETTLE_S)
        # Then the second task was neither started nor left claimed
        assert handlers.started == ["first"]
        assert await status(queue, second) == (TaskStatus.PENDING, 0)
        assert runner.running_tasks == [] and runner.counts.claimed == 1
        # And it runs once the page is visible again
        runner.resume(PauseReason.HIDDEN)
        await until_status(queue, second, TaskStatus.COMPLETED)
        await runner.stop()

    run(scenario())


def test_a_stop_during_the_previous_outcomes_write_starts_no_further_task() -> None:
    async def scenario() -> None:
        queue, runner, handlers, gate, first, second = await writing_the_first_outcome()
        stopping = asyncio.ensure_future(runner.stop())
        await asyncio.sleep(0)
        assert runner.state is RunnerState.STOPPING
        gate.opened.set()
        await stopping
        assert runner.state is RunnerState.STOPPED
        assert handlers.started == ["first"]
        assert await status(queue, first) == (TaskStatus.COMPLETED, 1)
        assert await status(queue, second) == (TaskStatus.PENDING, 0)

    run(scenario())


def test_a_pause_while_a_claim_is_in_flight_hands_the_claimed_tasks_back_unstarted() -> None:
    async def scenario() -> None:
        queue, runner, store, handlers = setup(batch_size=2)
        ids = [await queue.enqueue("job", Job(f"t{i}")) for i in range(2)]
        store.claim_gate = gate = Gate()
        runner.start()
        await gate.entered.wait()
        runner.pause()
        gate.opened.set()
        await asyncio.sleep(SETTLE_S)
        assert handlers.started == []
        for task_id in ids:
            assert await status(queue, task_id) == (TaskStatus.PENDING, 0)
        assert runner.counts.claimed == 0
        await runner.stop()

    run(scenario())


# -- an interruption by our own shutdown is not the task's failure ------------------------------


def test_stop_interrupting_a_task_on_its_last_attempt_puts_it_back_without_using_the_attempt() -> None:
    async def scenario() -> None:
        # Given a task with a single attempt, running when the runner is stopped
        queue, runner, _, handlers = setup(max_attempts=1)
        task_id = await queue.enqueue("job", Job("block"))
        runner.start()
        await until_status(queue, task_id, TaskStatus.PROCESSING)
        # When the grace runs out
        await runner.stop(grace_ms=20)
        # Then it is back in line, its attempt not spent, and the interruption is in its history
        task = await queue.get(task_id)
        assert (task.status, task.attempts, task.lease_owner) == (TaskStatus.PENDING, 0, None)
        assert [(e.attempt, e.error) for e in task.errors] == [(1, INTERRUPTED)]
        assert runner.counts.failed == 0 and runner.counts.retried == 1
        # And the next runner runs it to completion on that same single attempt
        handlers.release.set()
        counts = await QueueRunner(queue).run_burst()
        done = await queue.get(task_id)
        assert counts.completed == 1 and (done.status, done.attempts) == (TaskStatus.COMPLETED, 1)

    run(scenario())


def test_a_task_cancelled_while_its_runner_stops_ends_cancelled_not_back_in_line() -> None:
    async def scenario() -> None:
        queue, runner, _, _ = setup()
        task_id = await queue.enqueue("job", Job("block"))
        runner.start()
        await until_status(queue, task_id, TaskStatus.PROCESSING)
        await queue.cancel(task_id)
        await runner.stop(grace_ms=20)
        assert (await queue.get(task_id)).status is TaskStatus.CANCELLED

    run(scenario())


# -- start and stop in any order end in the state last asked for --------------------------------


def test_stop_not_awaited_then_start_leaves_the_runner_running() -> None:
    async def scenario() -> None:
        queue, runner, _, _ = setup()
        runner.start()
        await asyncio.sleep(0.01)
        stopping = asyncio.ensure_future(runner.stop())
        await asyncio.sleep(0)
        runner.start()
        await stopping  # the stop was overruled: it returns instead of waiting forever
        assert runner.state is RunnerState.RUNNING
        task_id = await queue.enqueue("job", Job("after"))
        await until_status(queue, task_id, TaskStatus.COMPLETED)
        await runner.stop()
        assert runner.state is RunnerState.STOPPED

    run(scenario())


def test_start_while_the_runner_drains_runs_again_once_the_drain_ends() -> None:
    async def scenario() -> None:
        # Given a runner that left its loop and waits for a running task within the grace
        queue, runner, _, handlers = setup()
        running = await queue.enqueue("job", Job("block"))
        main = runner.start()
        await until_status(queue, running, TaskStatus.PROCESSING)
        stopping = asyncio.ensure_future(runner.stop(grace_ms=5_000))
        await asyncio.sleep(0.02)
        assert runner.state is RunnerState.STOPPING
        # When it is started again, and the running task then finishes
        assert runner.start() is main
        handlers.release.set()
        await stopping
        # Then the same loop goes on running: the task was recorded and new tasks run
        await until_status(queue, running, TaskStatus.COMPLETED)
        later = await queue.enqueue("job", Job("later"))
        await until_status(queue, later, TaskStatus.COMPLETED)
        assert runner.state is RunnerState.RUNNING and not main.done()
        await runner.stop()
        assert main.done() and runner.state is RunnerState.STOPPED

    run(scenario())


def test_start_then_stop_without_awaiting_leaves_the_runner_stopped() -> None:
    async def scenario() -> None:
        queue, runner, _, handlers = setup()
        task_id = await queue.enqueue("job", Job("never"))
        main = runner.start()
        stopping = asyncio.ensure_future(runner.stop())
        await stopping
        await main
        assert runner.state is RunnerState.STOPPED
        assert handlers.started == [] and await status(queue, task_id) == (TaskStatus.PENDING, 0)

    run(scenario())


# -- a tab that wakes up after another runner took its tasks over --------------------------------


class Sleeper:
    """A handler that works until its runner's release or a cancel, and returns which runner ran it."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str]] = []
        self.noticed_cancel: list[str] = []
        self.releases: dict[str, asyncio.Event] = {}

    def release(self, owner: str) -> None:
        self.releases.setdefault(owner, asyncio.Event()).set()

    async def handle(self, payload: Job, ctx: TaskContext) -> dict[str, Any]:
        owner = str(ctx.task.lease_owner)
        self.runs.append((payload.name, owner))
        released = self.releases.setdefault(owner, asyncio.Event())
        waits = [asyncio.ensure_future(released.wait()), asyncio.ensure_future(ctx.cancelled.wait())]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for wait in waits:
            wait.cancel()
        if ctx.cancelled.is_set():
            self.noticed_cancel.append(owner)
        return {"by": owner}


def two_runners(**runner: Any) -> tuple[Queue, QueueRunner, QueueRunner, FakeClock, Sleeper]:
    sleeper = Sleeper()
    registry = TaskRegistry()
    registry.register("job", sleeper.handle, max_attempts=3)
    clock = FakeClock()
    queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
    # 30 s leases: the heartbeats (every 10 s) never beat in these tests unless asked to
    frozen = QueueRunner(queue, owner="frozen", lease_ms=30_000, stop_grace_ms=100, **runner)
    other = QueueRunner(queue, owner="other", lease_ms=30_000)
    sleeper.release("other")
    return queue, frozen, other, clock, sleeper


async def counted_lost(runner: QueueRunner, lost: int) -> None:
    async with asyncio.timeout(3):
        while runner.counts.lost < lost:
            await asyncio.sleep(0.005)


def test_a_runner_that_wakes_after_its_task_was_taken_over_cancels_its_handler_and_its_late_outcome_is_lost() -> None:
    async def scenario() -> None:
        # Given a runner whose lease ran out while it could not renew (a frozen tab)
        queue, frozen, other, clock, sleeper = two_runners()
        task_id = await queue.enqueue("job", Job("slow"))
        frozen.start()
        await until_status(queue, task_id, TaskStatus.PROCESSING)
        clock.advance(30_000)
        # And another runner that recovered the task and completed it
        assert (await other.run_burst()).completed == 1
        # When the first one wakes up and checks its leases
        frozen.check_leases()
        await counted_lost(frozen, 1)
        # Then its handler was told to stop, its outcome was refused, and the record is the other runner's
        assert sleeper.noticed_cancel == ["frozen"]
        task = await queue.get(task_id)
        assert (task.status, task.attempts, task.result) == (TaskStatus.COMPLETED, 2, {"by": "other"})
        assert [(e.attempt, e.error.split(":")[0]) for e in task.errors] == [(1, "lease lost")]
        assert (frozen.counts.completed, frozen.counts.lost, other.counts.recovered) == (0, 1, 1)
        # And it goes on running new tasks normally
        sleeper.release("frozen")
        after = await queue.enqueue("job", Job("after"))
        await until_status(queue, after, TaskStatus.COMPLETED)
        assert (await queue.get(after)).result == {"by": "frozen"}
        await frozen.stop()

    run(scenario())


def test_a_claimed_task_whose_lease_ran_out_before_it_started_is_not_started_if_another_runner_took_it() -> None:
    async def scenario() -> None:
        # Given a runner that claimed two tasks in one batch and froze while running the first
        queue, frozen, other, clock, sleeper = two_runners(batch_size=2)
        first = await queue.enqueue("job", Job("first"))
        second = await queue.enqueue("job", Job("second"))
        frozen.start()
        await until_status(queue, second, TaskStatus.PROCESSING)
        clock.advance(30_000)
        # And another runner that recovered both and ran them
        assert (await other.run_burst()).completed == 2
        # When the first runner's handler returns, and its loop goes on
        sleeper.release("frozen")
        await counted_lost(frozen, 2)
        # Then it never started the second task, which ran once, by the other runner
        assert sleeper.runs == [("first", "frozen"), ("first", "other"), ("second", "other")]
        for task_id in (first, second):
            assert (await queue.get(task_id)).result == {"by": "other"}
        assert frozen.counts.completed == 0 and frozen.running_tasks == []
        await frozen.stop()

    run(scenario())

"""Driving the queue by hand: process_next(), run_burst(max_tasks=), and the idle runner's slow second look."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from pyqueue import (
    Finish,
    InvalidOption,
    MemoryStore,
    Queue,
    QueueRunner,
    TaskContext,
    TaskRegistry,
    TaskStatus,
)
from pyqueue.alarm import Alarm
from pyqueue.constants import MAX_SLEEP_MS

from .async_support import run
from .contract_cases import T0, make_task
from .fakes import FakeClock


@dataclass
class Work:
    name: str
    ms: float = 0.0
    fail: bool = False


def make_queue(**runner: Any) -> tuple[Queue, QueueRunner, FakeClock, list[str]]:
    clock = FakeClock()
    calls: list[str] = []
    registry = TaskRegistry()

    async def work(p: Work, ctx: TaskContext) -> str:
        calls.append(p.name)
        clock.advance(p.ms)  # the handler "takes" p.ms on the queue's clock
        if p.fail:
            raise ValueError(f"{p.name} broke")
        return p.name.upper()

    registry.register("work", work, max_attempts=2)
    queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
    return queue, QueueRunner(queue, backoff=lambda _attempt: 1_000.0, **runner), clock, calls


def test_process_next_runs_one_due_task_and_reports_its_outcome_and_duration() -> None:
    async def scenario() -> None:
        queue, runner, _, calls = make_queue()
        low = await queue.enqueue("work", Work("low", ms=5))
        high = await queue.enqueue("work", Work("high", ms=250), priority=9)
        first = await runner.process_next()
        assert first is not None and calls == ["high"]
        assert (first.task.id, first.outcome, first.success, first.result) == (high, Finish.COMPLETED, True, "HIGH")
        assert first.duration_ms == 250 and first.error is None
        assert first.task.status is TaskStatus.COMPLETED  # as stored
        assert (await queue.get(low)).status is TaskStatus.PENDING  # the other one waits
        second = await runner.process_next()
        assert second is not None and second.task.id == low and second.duration_ms == 5
        assert await runner.process_next() is None
        assert runner.counts.completed == 2

    run(scenario())


def test_process_next_reports_a_retry_then_a_failure_with_the_attempts_error() -> None:
    async def scenario() -> None:
        queue, runner, clock, _ = make_queue()
        await queue.enqueue("work", Work("bad", fail=True))
        retried = await runner.process_next()
        assert retried is not None and retried.outcome is Finish.RETRIED and not retried.success
        assert retried.error == "ValueError: bad broke" and retried.task.status is TaskStatus.SCHEDULED
        assert await runner.process_next() is None  # the retry is not due yet
        clock.advance(1_000)
        failed = await runner.process_next()
        assert failed is not None and failed.outcome is Finish.FAILED and failed.task.attempts == 2

    run(scenario())


def test_process_next_reports_lost_when_another_runner_took_the_task_meanwhile() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        registry = TaskRegistry()
        queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
        other = QueueRunner(queue, owner="other-tab")

        async def stalls(p: Work, ctx: TaskContext) -> str:
            clock.advance(31_000)  # a frozen tab: the lease ran out
            await other.recover()  # and another tab put the task back
            return "late"

        registry.register("work", stalls)
        task_id = await queue.enqueue("work", Work("x"))
        report = await QueueRunner(queue, owner="this-tab").process_next()
        assert report is not None and report.outcome is Finish.LOST
        assert "no longer holds the lease" in (report.error or "")
        assert report.task.id == task_id and report.task.status is TaskStatus.PROCESSING  # as claimed
        assert (await queue.get(task_id)).status is TaskStatus.PENDING  # the late result was not recorded

    run(scenario())


def test_run_burst_with_max_tasks_runs_that_many_and_leaves_the_rest_waiting() -> None:
    async def scenario() -> None:
        queue, runner, _, calls = make_queue(concurrency=2, batch_size=4)
        for i in range(5):
            await queue.enqueue("work", Work(f"t{i}"))
        counts = await runner.run_burst(max_tasks=3)
        assert (counts.claimed, counts.completed) == (3, 3) and sorted(calls) == ["t0", "t1", "t2"]
        by_status = (await queue.stats()).by_status
        assert (by_status["completed"], by_status["pending"], by_status["processing"]) == (3, 2, 0)
        assert (await runner.run_burst()).completed == 2  # the limit was for that burst only

    run(scenario())


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_run_burst_refuses_a_max_tasks_that_is_not_a_positive_integer(bad: Any) -> None:
    async def scenario() -> None:
        _, runner, _, _ = make_queue()
        with pytest.raises(InvalidOption):
            await runner.run_burst(max_tasks=bad)

    run(scenario())


def test_an_idle_runner_looks_again_after_max_sleep_ms_so_a_lost_wake_up_never_stalls_a_task() -> None:
    async def scenario() -> None:
        queue, runner, clock, calls = make_queue()
        waits: list[float] = []
        original = Alarm.ring_within
        looked = asyncio.Event()

        def spy(alarm: Alarm, seconds: float) -> None:
            # The loop's and the heartbeat's sleeps, shortened: a minute's wait would block this test.
            waits.append(seconds)
            looked.set()
            original(alarm, 0.01)

        Alarm.ring_within = spy  # type: ignore[method-assign]
        try:
            runner.start()
            await asyncio.wait_for(looked.wait(), 1)
            # A task written by another program: straight into the store, no wake-up for this runner
            await queue.store.add([make_task("from-elsewhere", task_type="work", payload={"name": "x"})])
            async with asyncio.timeout(2):
                while (await queue.get("from-elsewhere")).status is not TaskStatus.COMPLETED:
                    await asyncio.sleep(0.005)
        finally:
            Alarm.ring_within = original  # type: ignore[method-assign]
        await runner.stop()
        assert calls == ["x"]
        # idle: the documented interval (the other waits are the lease heartbeat's period)
        assert MAX_SLEEP_MS / 1000.0 in waits, waits
        assert set(waits) <= {MAX_SLEEP_MS / 1000.0, runner.lease_ms / 3000.0}, waits
        assert clock.now == T0  # no scheduled deadline was involved

    run(scenario())

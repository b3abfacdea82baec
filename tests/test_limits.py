"""Limits per type without a browser: the rate window, the stored state read as untrusted, and a runner under limits."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from pyqueue import (
    ClaimLimits,
    InvalidOption,
    MemoryStore,
    Queue,
    QueueError,
    QueueRunner,
    RateLimit,
    Task,
    TaskContext,
    TaskRegistry,
    TaskStatus,
    wall_clock,
)
from pyqueue.limits import Allowance, read_starts, write_starts
from pyqueue.storage import Claim

from .async_support import run
from .contract_cases import T0, make_task


@pytest.mark.parametrize(
    "stored",
    [None, "", "not json", '{"a": 1}', "[[1]]", '["x", true, null]', "[" * 5000, 7],
)
def test_a_rate_state_that_is_not_a_list_of_times_reads_as_no_recent_starts(stored: object) -> None:
    assert read_starts(stored, RateLimit(3, 1_000), T0) == []


def test_only_the_starts_inside_the_window_count_and_at_most_the_limit_of_them() -> None:
    rate = RateLimit(3, 1_000)
    stored = write_starts([T0 - 1_000, T0 - 999, T0 - 5, T0, T0 + 1])
    assert read_starts(stored, rate, T0) == [T0 - 5, T0, T0 + 1]


def test_a_start_recorded_later_than_this_claims_time_counts() -> None:
    # Given a tab that read the time, then waited while another tab's claim recorded a start 5 ms later
    rate = RateLimit(1, 1_000)
    allowance = Allowance(
        ClaimLimits(rates={"api": rate}), {"api": read_starts(write_starts([T0 + 5]), rate, T0)}, now=T0, limit=1
    )
    # Then the limit is already used: nothing more starts until a second after that start
    assert allowance.choose([make_task("a", task_type="api")]) == []
    assert allowance.held_until(["api"]) == T0 + 1_005


def test_an_allowance_takes_in_claim_order_skipping_held_types_and_says_when_the_window_frees() -> None:
    limits = ClaimLimits(rates={"api": RateLimit(2, 1_000)}, caps={"slow": 1})
    allowance = Allowance(limits, {"api": [T0 - 400]}, now=T0, limit=4)
    tasks = [make_task(n, task_type=t) for n, t in [("a1", "api"), ("a2", "api"), ("s1", "slow"), ("s2", "slow")]]
    tasks.append(make_task("p", task_type="plain"))
    assert [t.id for t in allowance.choose(tasks)] == ["a1", "s1", "p"]
    assert allowance.changed() == {"api": [T0 - 400, T0]}
    assert allowance.held_until(["api", "slow"]) == T0 + 600  # slow is held by the runner, not by time
    assert allowance.held_until(["slow", "plain"]) is None


@pytest.mark.parametrize("bad", [(0, 1000), (1.5, 1000), (True, 1000), (3, 0), (3, float("nan")), (3,), "3/s"])
def test_a_rate_limit_out_of_range_is_refused_when_the_type_is_registered(bad: Any) -> None:
    with pytest.raises(InvalidOption, match="rate_limit"):
        TaskRegistry().register("x", lambda p, ctx: None, payload=Job, rate_limit=bad)


@pytest.mark.parametrize("bad", [0, -1, 1.0, True])
def test_a_type_concurrency_that_is_not_a_positive_integer_is_refused(bad: Any) -> None:
    with pytest.raises(InvalidOption, match="concurrency"):
        TaskRegistry().register("x", lambda p, ctx: None, payload=Job, concurrency=bad)


def test_the_registry_gives_claim_limits_only_when_a_type_has_one() -> None:
    registry = TaskRegistry()
    registry.register("plain", lambda p, ctx: None, payload=Job)
    assert registry.claim_limits({}) is None
    registry.task("api", payload=Job, rate_limit=(10, 1_000), concurrency=2)(lambda p, ctx: None)
    assert registry.claim_limits({"api": 1}) == ClaimLimits({"api": RateLimit(10, 1_000)}, {"api": 1})
    assert registry.claim_limits({"api": 5}) == ClaimLimits({"api": RateLimit(10, 1_000)}, {"api": 0})


@dataclass
class Job:
    name: str
    seconds: float = 0.0


class Recorder:
    def __init__(self) -> None:
        self.running: dict[str, int] = {}
        self.most: dict[str, int] = {}

    async def handle(self, payload: Job, ctx: TaskContext) -> None:
        kind = ctx.task.type
        self.running[kind] = self.running.get(kind, 0) + 1
        self.most[kind] = max(self.most.get(kind, 0), self.running[kind])
        await asyncio.sleep(payload.seconds)
        self.running[kind] -= 1


def test_a_type_concurrency_caps_that_type_in_a_runner_while_others_fill_the_free_slots() -> None:
    async def scenario() -> None:
        rec, registry = Recorder(), TaskRegistry()
        registry.register("slow", rec.handle, concurrency=1)
        registry.register("fast", rec.handle)
        queue = Queue(MemoryStore(), registry)
        for i in range(4):
            await queue.enqueue("slow", Job(f"s{i}", 0.02), priority=5)
            await queue.enqueue("fast", Job(f"f{i}", 0.02))
        counts = await QueueRunner(queue, concurrency=3).run_burst()
        assert counts.completed == 8
        assert rec.most == {"slow": 1, "fast": 2}

    run(scenario())


class CountingStore(MemoryStore):
    """Counts claims, to show the runner sleeps until a rate window frees rather than polling."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: list[Claim] = []

    async def claim(self, **kwargs: Any) -> Claim:  # type: ignore[override]
        claim = await super().claim(**kwargs)
        self.claims.append(claim)
        return claim

    async def finish_and_claim(self, changes: Any, **kwargs: Any) -> tuple[list[Task | QueueError], Claim]:
        results, claim = await super().finish_and_claim(changes, **kwargs)
        self.claims.append(claim)
        return results, claim


def test_a_rate_limited_type_waits_pending_and_the_runner_sleeps_until_its_window_frees() -> None:
    async def scenario() -> None:
        rec, registry = Recorder(), TaskRegistry()
        registry.register("api", rec.handle, rate_limit=RateLimit(2, 300))
        store = CountingStore()
        queue = Queue(store, registry)
        ids = [await queue.enqueue("api", Job(f"a{i}")) for i in range(5)]
        runner = QueueRunner(queue, concurrency=5)
        runner.start()
        await asyncio.sleep(0.1)
        # Two started at once, the rest wait pending, and the runner said when to look again
        statuses = [(await queue.get(i)).status for i in ids]
        assert statuses.count(TaskStatus.COMPLETED) == 2 and statuses.count(TaskStatus.PENDING) == 3
        assert any(c.next_due is not None and c.next_due > wall_clock() for c in store.claims)
        while [t for t in await queue.tasks() if t.status is not TaskStatus.COMPLETED]:
            await asyncio.sleep(0.05)
        await runner.stop()
        starts = sorted(t.started_at or 0.0 for t in await queue.tasks())
        # Then no 300 ms held more than two starts, and the runner claimed a handful of times, not in a loop
        assert all(later - earlier >= 300 for earlier, later in zip(starts, starts[2:], strict=False)), starts
        assert len(store.claims) < 15, len(store.claims)

    run(scenario())

"""Metrics: throughput per bucket, per-type counts and percentiles, and errors grouped by exception class."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass

from pyqueue import (
    AttemptError,
    Fail,
    MemoryStore,
    Queue,
    QueueRunner,
    Retry,
    Stats,
    Task,
    TaskContext,
    TaskRegistry,
    TaskStatus,
    collect_metrics,
    error_kind,
    exponential_backoff,
)
from pyqueue.metrics import percentile, throughput, type_stats

from .async_support import run
from .contract_cases import make_task
from .fakes import FakeClock

T0 = 1_750_000_000_000.0


def finished(status: TaskStatus, at: float, took: float = 100.0, task_type: str = "t", errors: int = 0) -> Task:
    return make_task(f"{task_type}-{status}-{at}-{took}", task_type=task_type).replace(
        status=status,
        started_at=at - took,
        finished_at=at,
        errors=tuple(AttemptError(i + 1, at, "boom") for i in range(errors)),
    )


def test_throughput_counts_completed_and_failed_per_aligned_bucket() -> None:
    now = T0 + 25_000  # buckets of 10 s: [T0, T0+10s) [T0+10s, +20s) [T0+20s, +30s)
    tasks = [
        finished(TaskStatus.COMPLETED, T0 + 1_000),
        finished(TaskStatus.COMPLETED, T0 + 21_000),
        finished(TaskStatus.FAILED, T0 + 22_000),
        finished(TaskStatus.COMPLETED, T0 - 1),  # before the window
        make_task("waiting"),
    ]
    buckets = throughput(tasks, now=now, window_ms=30_000, bucket_ms=10_000)
    assert [(b.start - T0, b.completed, b.failed) for b in buckets] == [(0, 1, 0), (10_000, 0, 0), (20_000, 1, 1)]


def test_percentiles_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95
    assert percentile([7.0], 95) == 7.0 and percentile([], 50) is None


def test_type_stats_has_a_row_per_known_type_with_durations_and_errors() -> None:
    stats = Stats(
        {"completed": 2, "failed": 1},
        {"a": {"completed": 2, "pending": 3, "waiting": 4}, "b": {"failed": 1, "processing": 1}},
    )
    recent = [
        finished(TaskStatus.COMPLETED, T0, took=100, task_type="a"),
        finished(TaskStatus.COMPLETED, T0, took=300, task_type="a", errors=1),
        finished(TaskStatus.FAILED, T0, task_type="b", errors=3),
    ]
    rows = {r.type: r for r in type_stats(stats, recent, types=["a", "b", "c"])}
    assert list(rows) == ["a", "b", "c"]
    assert (rows["a"].waiting, rows["a"].completed, rows["a"].median_ms, rows["a"].p95_ms) == (3, 2, 100, 300)
    assert (rows["a"].attempt_errors, rows["b"].attempt_errors, rows["b"].failed, rows["b"].running) == (1, 3, 1, 1)
    assert rows["c"].median_ms is None and rows["c"].completed == 0
    assert (rows["a"].blocked, rows["b"].blocked, rows["c"].blocked) == (4, 0, 0)  # status waiting: on dependencies


def test_an_error_text_is_grouped_by_the_exception_class_it_names() -> None:
    assert error_kind("ValueError: bad input") == "ValueError"
    assert error_kind("KeyError") == "KeyError"
    assert error_kind("json.decoder.JSONDecodeError: Expecting value") == "json.decoder.JSONDecodeError"
    assert error_kind("timed out after 50 ms") == "TimeoutError"
    assert error_kind("lease lost: the runner holding this task stopped renewing it") == "LeaseLost"
    assert error_kind("something odd happened") == "other" and error_kind("") == "other"


@dataclass
class Job:
    how: str


def test_collect_metrics_reads_counts_throughput_percentiles_and_errors_by_kind_from_a_real_run() -> None:
    async def scenario() -> None:
        # Given handlers that succeed, raise, ask for a retry, give up, and time out, run to the end
        clock = FakeClock(T0)
        registry = TaskRegistry()

        @registry.task("job", timeout_ms=50, max_attempts=2)
        async def job(p: Job, ctx: TaskContext) -> None:
            clock.advance(100)  # every attempt takes 100 ms on the fake clock
            if p.how == "raise":
                raise ValueError("bad input")
            if p.how == "retry" and ctx.attempt == 1:
                raise Retry(0, "later")
            if p.how == "fail":
                raise Fail("no point")
            if p.how == "slow":
                await asyncio.sleep(1)

        queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
        for how in ("ok", "ok", "raise", "retry", "fail", "slow"):
            await queue.enqueue("job", Job(how))
        runner = QueueRunner(queue, backoff=functools.partial(exponential_backoff, base_ms=0, jitter=None))
        while (await runner.run_burst()).claimed:
            pass

        # When the metrics are collected
        metrics = await collect_metrics(queue, window_ms=60_000, bucket_ms=60_000)

        # Then errors are grouped by exception class, and counts and durations add up
        assert metrics.errors_by_kind == {"ValueError": 2, "TimeoutError": 2, "Retry": 1, "Fail": 1}
        assert metrics.attempt_errors == 6 and metrics.failed == 3 and metrics.sampled == 6
        assert [(b.completed, b.failed) for b in metrics.throughput] == [(3, 3)]
        (row,) = metrics.types
        assert (row.type, row.completed, row.failed, row.attempt_errors) == ("job", 3, 3, 6)
        assert row.median_ms == 100 and row.sampled == 3

    run(scenario())


def test_type_stats_reports_the_median_and_the_95th_percentile_of_completed_durations() -> None:
    recent = [finished(TaskStatus.COMPLETED, T0 + i, took=float(i), task_type="d") for i in range(1, 21)]
    (row,) = type_stats(Stats({"completed": 20}, {"d": {"completed": 20}}), recent)
    assert (row.median_ms, row.p95_ms, row.sampled) == (10, 19, 20)

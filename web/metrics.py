"""Dashboard numbers from task records: throughput per interval, and per-type durations and errors.

Plain functions over :class:`~pyqueue.Task` values, so they are tested under
CPython; the page feeds them the most recent finished tasks it reads.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pyqueue import Stats, Task, TaskStatus


@dataclass(frozen=True, slots=True)
class Bucket:
    """Tasks that finished in ``[start, start + width)``."""

    start: float
    completed: int = 0
    failed: int = 0


def throughput(tasks: Iterable[Task], *, now: float, window_ms: float, bucket_ms: float) -> list[Bucket]:
    """Completed and failed tasks per *bucket_ms* over the last *window_ms*, oldest bucket first.

    Buckets are aligned to multiples of *bucket_ms*, so they do not shift as time passes;
    the last one holds *now*.
    """
    count = max(1, math.ceil(window_ms / bucket_ms))
    last_start = math.floor(now / bucket_ms) * bucket_ms
    first_start = last_start - (count - 1) * bucket_ms
    completed = [0] * count
    failed = [0] * count
    for task in tasks:
        if task.finished_at is None or task.finished_at < first_start:
            continue
        index = int((task.finished_at - first_start) // bucket_ms)
        if not 0 <= index < count:
            continue
        if task.status is TaskStatus.COMPLETED:
            completed[index] += 1
        elif task.status is TaskStatus.FAILED:
            failed[index] += 1
    return [Bucket(first_start + i * bucket_ms, completed[i], failed[i]) for i in range(count)]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The *q*-th percentile (0-100) by nearest rank; ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True, slots=True)
class TypeStats:
    """One row of the per-type table."""

    type: str
    waiting: int
    running: int
    completed: int
    failed: int
    attempt_errors: int
    median_ms: float | None
    p95_ms: float | None
    sampled: int


def type_stats(stats: Stats, recent: Iterable[Task], types: Sequence[str] = ()) -> list[TypeStats]:
    """Counts per type from *stats*; durations and attempt errors from the *recent* finished tasks.

    Every type in *types* gets a row, even with no tasks yet, so the table does not jump.
    """
    durations: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for task in recent:
        errors[task.type] = errors.get(task.type, 0) + len(task.errors)
        if task.status is TaskStatus.COMPLETED and task.started_at is not None and task.finished_at is not None:
            durations.setdefault(task.type, []).append(max(0.0, task.finished_at - task.started_at))
    names = list(dict.fromkeys([*types, *sorted(stats.by_type)]))
    rows = []
    for name in names:
        by = stats.by_type.get(name, {})
        times = durations.get(name, [])
        rows.append(
            TypeStats(
                type=name,
                waiting=by.get("scheduled", 0) + by.get("pending", 0),
                running=by.get("processing", 0),
                completed=by.get("completed", 0),
                failed=by.get("failed", 0),
                attempt_errors=errors.get(name, 0),
                median_ms=percentile(times, 50),
                p95_ms=percentile(times, 95),
                sampled=len(times),
            )
        )
    return rows


def format_ms(ms: float | None) -> str:
    """``"—"``, ``"850 ms"``, ``"2.4 s"``, ``"3.1 min"``."""
    if ms is None:
        return "—"
    if ms < 1_000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return f"{ms / 60_000:.1f} min"


def format_bytes(n: float | None) -> str:
    if n is None:
        return "?"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def format_age(ms: float) -> str:
    """A retention period in words: ``"24 h"``, ``"7 days"``, ``"90 s"``."""
    if ms % 86_400_000 == 0 and ms >= 2 * 86_400_000:
        return f"{ms / 86_400_000:.0f} days"
    if ms % 3_600_000 == 0:
        return f"{ms / 3_600_000:.0f} h"
    if ms % 60_000 == 0:
        return f"{ms / 60_000:.0f} min"
    return f"{ms / 1000:g} s"

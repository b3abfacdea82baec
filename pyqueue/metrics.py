"""Queue metrics from task records: throughput per time bucket, per-type counts and durations, errors.

Plain functions over :class:`~pyqueue.Task` values, and :func:`collect_metrics`
which reads a snapshot through the public :class:`~pyqueue.Queue` API
(:meth:`~pyqueue.Queue.stats` and :meth:`~pyqueue.Queue.finished_since`), so a
dashboard only draws.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .queue import Queue
from .storage import Stats
from .task import Task, TaskStatus

DEFAULT_WINDOW_MS = 10 * 60_000.0
DEFAULT_BUCKET_MS = 60_000.0
DEFAULT_SAMPLE = 1_000
"""How many of the most recently finished tasks :func:`collect_metrics` reads for durations and errors."""


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
    """One task type's counts (all its tasks) and durations and errors (the recent finished ones).

    ``waiting`` counts the tasks in line (scheduled or pending), ``blocked``
    those of status ``waiting``, held until their dependencies complete.
    """

    type: str
    waiting: int
    running: int
    completed: int
    failed: int
    attempt_errors: int
    median_ms: float | None
    p95_ms: float | None
    sampled: int
    blocked: int = 0


def type_stats(stats: Stats, recent: Iterable[Task], types: Sequence[str] = ()) -> list[TypeStats]:
    """Counts per type from *stats*; durations and attempt errors from the *recent* finished tasks.

    Every type in *types* gets a row, even with no tasks yet, so a table does not jump.
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
                blocked=by.get(TaskStatus.WAITING.value, 0),
            )
        )
    return rows


_KNOWN_TEXTS = (
    # The texts pyqueue itself writes for errors that are not a handler's exception
    # (execution.py, transitions.py); a handler's exception reads "Name: message".
    ("timed out after ", "TimeoutError"),
    ("invalid payload for task type ", "InvalidPayload"),
    ("unknown task type ", "UnknownTaskType"),
    ("handler returned a result that is not JSON data", "NotJSONData"),
    ("lease lost", "LeaseLost"),
    ("broken task row", "BrokenRecord"),
)
_EXCEPTION_NAME = re.compile(r"[A-Za-z_][\w.]*(?=:|$)")
OTHER = "other"


def error_kind(text: str) -> str:
    """The exception class name an attempt's error text starts with (``"ValueError: bad"`` -> ``ValueError``)."""
    for prefix, kind in _KNOWN_TEXTS:
        if text.startswith(prefix):
            return kind
    found = _EXCEPTION_NAME.match(text)
    return found.group() if found else OTHER


def errors_by_kind(tasks: Iterable[Task]) -> dict[str, int]:
    """How many attempt errors of *tasks* each exception class accounts for, most frequent first."""
    counts = Counter(error_kind(e.error) for t in tasks for e in t.errors)
    return dict(counts.most_common())


@dataclass(frozen=True, slots=True)
class QueueMetrics:
    """A snapshot of the queue's numbers at ``at`` (epoch ms)."""

    at: float
    stats: Stats
    throughput: list[Bucket]
    types: list[TypeStats]
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    sampled: int = 0
    """How many recent finished tasks the durations and errors come from."""

    @property
    def attempt_errors(self) -> int:
        """Failed attempts among the sampled tasks (a retried task that then succeeded counts too)."""
        return sum(self.errors_by_kind.values())

    @property
    def failed(self) -> int:
        """Tasks failed for good, in the whole queue."""
        return self.stats.by_status.get(TaskStatus.FAILED.value, 0)


async def collect_metrics(
    queue: Queue,
    *,
    window_ms: float = DEFAULT_WINDOW_MS,
    bucket_ms: float = DEFAULT_BUCKET_MS,
    sample: int = DEFAULT_SAMPLE,
    now: float | None = None,
) -> QueueMetrics:
    """Read the queue's counts and its tasks finished in the last *window_ms*, and compute the metrics."""
    at = queue.clock() if now is None else now
    stats = await queue.stats()
    recent = await queue.finished_since(at - window_ms, limit=sample)
    return QueueMetrics(
        at=at,
        stats=stats,
        throughput=throughput(recent, now=at, window_ms=window_ms, bucket_ms=bucket_ms),
        types=type_stats(stats, recent, types=queue.registry.names),
        errors_by_kind=errors_by_kind(recent),
        sampled=len(recent),
    )

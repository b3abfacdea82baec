"""Retention: finished tasks are deleted once they are old enough, per status.

By default completed and cancelled tasks are kept 24 hours after they
finished and failed ones 7 days, long enough to read why they failed. A purge
is idempotent, so every open page may apply the policy on a timer; the dry run
reports what would go and deletes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import InvalidOption
from .queue import Queue
from .task import Task, TaskStatus

HOUR_MS = 3_600_000.0
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long finished tasks are kept, per status, in milliseconds after they finished."""

    completed_ms: float = DAY_MS
    failed_ms: float = 7 * DAY_MS
    cancelled_ms: float = DAY_MS

    def __post_init__(self) -> None:
        for name in ("completed_ms", "failed_ms", "cancelled_ms"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise InvalidOption(name, value, "must be a number of milliseconds >= 0")

    def rules(self) -> list[tuple[TaskStatus, float]]:
        """Each finished status with how long it is kept."""
        return [
            (TaskStatus.COMPLETED, self.completed_ms),
            (TaskStatus.FAILED, self.failed_ms),
            (TaskStatus.CANCELLED, self.cancelled_ms),
        ]


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What applying a policy removed, or with ``dry_run`` what it would remove, per status."""

    dry_run: bool
    by_status: dict[TaskStatus, list[Task]] = field(default_factory=dict)

    @property
    def tasks(self) -> list[Task]:
        """Every task concerned, oldest finished first."""
        return sorted((t for ts in self.by_status.values() for t in ts), key=lambda t: t.finished_at or 0.0)

    @property
    def count(self) -> int:
        return sum(len(ts) for ts in self.by_status.values())


async def apply_retention(
    queue: Queue, policy: RetentionPolicy = RetentionPolicy(), *, dry_run: bool = False
) -> RetentionReport:
    """Purge (or with *dry_run* only list) the finished tasks *policy* has kept long enough."""
    removed = {}
    for status, keep_ms in policy.rules():
        report = await queue.purge([status], older_than_ms=keep_ms, dry_run=dry_run)
        removed[status] = report.tasks
    return RetentionReport(dry_run, removed)

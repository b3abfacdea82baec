"""Retention: finished tasks are deleted once they are old enough (completed after 24 h, failed after 7 days).

Applied by every open page on a timer (a purge is idempotent, so several tabs
doing it is harmless), and previewed with a dry run on the dashboard.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyqueue import Queue, Task, TaskStatus

HOUR_MS = 3_600_000.0
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long finished tasks are kept, per status, in milliseconds after they finished."""

    completed_ms: float = DAY_MS
    failed_ms: float = 7 * DAY_MS
    cancelled_ms: float = DAY_MS

    def rules(self) -> list[tuple[TaskStatus, float]]:
        return [
            (TaskStatus.COMPLETED, self.completed_ms),
            (TaskStatus.FAILED, self.failed_ms),
            (TaskStatus.CANCELLED, self.cancelled_ms),
        ]


async def apply_retention(queue: Queue, policy: RetentionPolicy, *, dry_run: bool) -> dict[str, list[Task]]:
    """Purge (or with *dry_run* list) what the policy says has been kept long enough, per status."""
    out: dict[str, list[Task]] = {}
    for status, keep_ms in policy.rules():
        report = await queue.purge([status], older_than_ms=keep_ms, dry_run=dry_run)
        out[status.value] = report.tasks
    return out

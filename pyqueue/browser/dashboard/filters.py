"""Which tasks the task table shows: the newest, optionally of one status and one type.

Only the queue's public reads are used: :meth:`~pyqueue.Queue.tasks` filters
by status in the store; a type filter looks through the newest ``scan`` tasks
of that status, and the caption says so when that look was cut short, so the
table never claims to show "all" of something it did not see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pyqueue import Queue, Stats, Task, TaskStatus


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """A status and a task type to show; ``None`` means any."""

    status: TaskStatus | None = None
    task_type: str | None = None

    @classmethod
    def from_form(cls, status: str, task_type: str) -> TaskFilter:
        """From the filter controls' values (``""`` is "all"); an unknown status means any status."""
        known = {s.value: s for s in TaskStatus}
        return cls(known.get(status), task_type or None)

    def total(self, stats: Stats) -> int:
        """How many tasks in the queue match, by the store's counts."""
        if self.task_type is None:
            return stats.by_status.get(self.status, 0) if self.status else stats.total
        by_type = stats.by_type.get(self.task_type, {})
        return by_type.get(self.status, 0) if self.status else sum(by_type.values())


@dataclass(frozen=True, slots=True)
class TaskPage:
    """The tasks one render shows, how many match in all, and how far a type filter looked (if cut short)."""

    tasks: list[Task]
    total: int
    scanned: int | None = None

    @property
    def caption(self) -> str:
        text = f"showing {len(self.tasks)} newest of {self.total}"
        if self.scanned is not None:
            text += f" (looked through the newest {self.scanned})"
        return text


async def select_tasks(queue: Queue, stats: Stats, wanted: TaskFilter, *, rows: int, scan: int) -> TaskPage:
    """Read the newest *rows* tasks matching *wanted*; a type filter looks at no more than *scan* tasks."""
    total = wanted.total(stats)
    if wanted.task_type is None:
        return TaskPage(await queue.tasks(wanted.status, limit=rows), total)
    pool = await queue.tasks(wanted.status, limit=scan)
    matching = [t for t in pool if t.type == wanted.task_type]
    cut_short = len(pool) == scan and len(matching) < min(rows, total)
    return TaskPage(matching[:rows], total, scan if cut_short else None)


def type_names(registered: Sequence[str], stats: Stats) -> list[str]:
    """Every type the filter offers: the registered ones first, then any other type that has tasks stored."""
    return list(dict.fromkeys([*registered, *sorted(stats.by_type)]))

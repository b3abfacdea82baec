"""Acting on many tasks at once: what a bulk retry, cancel or delete decides for each task, and its report.

A bulk operation walks the tasks of each wanted status in chunks (see
:meth:`~pyqueue.storage.Storage.sweep`): every chunk is one atomic step of the
store, in which each task read is judged by a :data:`Decide` function from
this module on the task *as stored at that moment*, so a task another tab
claimed or finished between two chunks is judged by its new status, never by
what it was when the operation began. The judgement applies the same pure
transitions as the single-task calls (:func:`~pyqueue.transitions.retry`,
:func:`~pyqueue.transitions.cancel`), so the rules are written once.

The whole operation is not atomic: chunks commit one by one, other tabs'
claims run between them, and a task that enters a walked status behind the
walk's position (an older task that just failed) may be missed. Tasks that
enter it ahead of the position are included.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import transitions
from .errors import InvalidStateChange
from .task import Task, TaskStatus

DEFAULT_CHUNK = 50
"""Tasks read per chunk (one transaction): short enough that the page and other tabs' claims keep going.

Measured in Chromium on a loaded 2-core machine (load 8 to 13), a chunk costs
0.5 to 6 ms per task (reading, checking and rewriting each row), most of it in
one callback that holds the page: 500 tasks held it for over a second, 100 up
to 650 ms at the highest load; 50 keep it to a few hundred. A transaction costs
a millisecond or two more, so small chunks cost little in total.
"""

MAX_CHUNK = 10_000
"""The largest chunk size accepted."""

PROCESSING = "processing: a runner holds it (delete with force=True to drop it and its runner's outcome)"
STOPPING = "processing and already asked to stop"

Position = tuple[float, str]
"""Where a walk stopped: the ``(seq, id)`` of the last task it read (tasks are walked in that order)."""


class BulkAction(enum.StrEnum):
    """What a bulk operation does to each task it matches."""

    RETRY = "retry"
    CANCEL = "cancel"
    DELETE = "delete"


class Outcome(enum.StrEnum):
    """What became of one task read by a bulk step."""

    CHANGED = "changed"
    """Written in its new version (retried, cancelled, or asked to stop)."""
    DELETED = "deleted"
    SKIPPED = "skipped"
    """Matched the filter but left as it is; the verdict says why."""
    UNMATCHED = "unmatched"
    """Not of the filter's types or age."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on one task, which the store carries out in the same atomic step.

    ``task`` is the version to write (``changed``), otherwise the task as read.
    """

    outcome: Outcome
    task: Task
    reason: str = ""


Decide = Callable[[Task, Mapping[str, Task]], Verdict]
"""Judge a task, given the stored tasks of its ``depends_on`` (read in the same atomic step)."""


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """Which tasks a bulk operation touches: of one of *statuses*, and of *types*, created/finished before a time.

    ``None`` means any. Times are epoch ms; a task that never finished does
    not match *finished_before*.
    """

    statuses: tuple[TaskStatus, ...]
    types: frozenset[str] | None = None
    created_before: float | None = None
    finished_before: float | None = None

    def matches(self, task: Task) -> bool:
        return (
            task.status in self.statuses
            and (self.types is None or task.type in self.types)
            and (self.created_before is None or task.created_at < self.created_before)
            and (
                self.finished_before is None
                or (task.finished_at is not None and task.finished_at < self.finished_before)
            )
        )


def retried(task: Task, dependencies: Mapping[str, Task], now: float) -> Verdict:
    """The retry of one task, for :meth:`~pyqueue.Queue.retry` and bulk retry; raises if it is not retriable."""
    return Verdict(Outcome.CHANGED, transitions.retry(task, now, dependencies))


def removed(task: Task, *, force: bool) -> Verdict:
    """The deletion of one task; a processing one only with *force* (else raises :class:`InvalidStateChange`)."""
    if task.status is TaskStatus.PROCESSING and not force:
        raise InvalidStateChange(task.id, PROCESSING, "delete")
    return Verdict(Outcome.DELETED, task)


def _cancelled(task: Task, now: float) -> Verdict:
    if task.cancel_requested:
        return Verdict(Outcome.SKIPPED, task, STOPPING)
    return Verdict(Outcome.CHANGED, transitions.cancel(task, now))


def decider(action: BulkAction, wanted: TaskFilter, *, now: float, force: bool = False) -> Decide:
    """The :data:`Decide` of one chunk of a bulk *action* over the tasks *wanted*.

    A task whose status no longer allows the action is skipped, the reason
    being the transition's own error.
    """

    def decide(task: Task, dependencies: Mapping[str, Task]) -> Verdict:
        if not wanted.matches(task):
            return Verdict(Outcome.UNMATCHED, task)
        try:
            if action is BulkAction.RETRY:
                return retried(task, dependencies, now)
            if action is BulkAction.CANCEL:
                return _cancelled(task, now)
            return removed(task, force=force)
        except InvalidStateChange as e:
            return Verdict(Outcome.SKIPPED, task, str(e.status))

    return decide


@dataclass(frozen=True, slots=True)
class SweepChunk:
    """What one chunk of a walk did: a verdict per task read, and where the walk resumes.

    ``done`` is true when the walk read the last task of its status.
    """

    verdicts: list[Verdict]
    last: Position | None
    done: bool


@dataclass(frozen=True, slots=True)
class BulkReport:
    """What a bulk operation did.

    ``changed`` holds the ids of the tasks retried, cancelled or deleted;
    ``stop_requested`` those of running tasks asked to stop (a cancel: they end
    cancelled when their handler returns); ``skipped`` counts, per reason, the
    tasks that matched but were left as they were (a running task a delete
    without ``force`` left, one already asked to stop). Dependants that a
    cancel or delete settled in cascade are not counted: their own error names
    the dependency. ``scanned`` is how many tasks were read, ``chunks`` how
    many transactions it took.
    """

    action: BulkAction
    changed: tuple[str, ...]
    stop_requested: tuple[str, ...]
    skipped: dict[str, int]
    scanned: int
    chunks: int

    @property
    def matched(self) -> int:
        """How many tasks fit the filter when their chunk read them."""
        return len(self.changed) + len(self.stop_requested) + sum(self.skipped.values())


class Tally:
    """Counts the chunks of one bulk operation into its :class:`BulkReport`."""

    def __init__(self, action: BulkAction) -> None:
        self.action = action
        self._changed: list[str] = []
        self._stopping: list[str] = []
        self._skipped: dict[str, int] = {}
        self._scanned = 0
        self._chunks = 0

    def add(self, chunk: SweepChunk) -> list[Verdict]:
        """Count *chunk* in; return its verdicts that changed or deleted a task (for the events)."""
        self._chunks += 1
        self._scanned += len(chunk.verdicts)
        acted: list[Verdict] = []
        for verdict in chunk.verdicts:
            if verdict.outcome is Outcome.SKIPPED:
                self._skipped[verdict.reason] = self._skipped.get(verdict.reason, 0) + 1
                continue
            if verdict.outcome is Outcome.UNMATCHED:
                continue
            acted.append(verdict)
            stopping = verdict.outcome is Outcome.CHANGED and verdict.task.status is TaskStatus.PROCESSING
            (self._stopping if stopping else self._changed).append(verdict.task.id)
        return acted

    def report(self) -> BulkReport:
        return BulkReport(
            self.action, tuple(self._changed), tuple(self._stopping), dict(self._skipped), self._scanned, self._chunks
        )

"""The narrow protocol every storage backend implements.

A store keeps tasks and applies changes atomically; it knows nothing of
handlers, payload types or retries. The rules of how a task changes live in
:mod:`pyqueue.transitions`, which the queue passes in as plain functions, so a
backend only has to make each read-modify-write indivisible: within one
process for the memory store, across tabs (one read-write transaction) for
IndexedDB. The same contract tests run against every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from .bulk import Decide, Position, SweepChunk, Verdict
from .errors import QueueError, TaskNotFound
from .jsondata import JSONValue
from .limits import ClaimLimits
from .listeners import Listeners
from .task import Task, TaskStatus

if TYPE_CHECKING:
    from .importing import ImportReport

Change = Callable[[Task], Task]
"""A pure function from a task to its next version; raising aborts the whole write."""

DependantsListener = Callable[[list[Task]], None]
"""Called with the dependants a store changed in one write: see :meth:`Storage.on_dependants`."""


class DependantListeners:
    """The listeners of :meth:`Storage.on_dependants`, kept by each store; a failing one is logged, never raised."""

    def __init__(self) -> None:
        self._listeners = Listeners("dependants")
        self._changed: list[Task] = []

    def add(self, listener: DependantsListener) -> Callable[[], None]:
        return self._listeners.add(lambda: listener(self._changed))

    def notify(self, changed: Sequence[Task]) -> None:
        """Tell every listener about *changed* (the dependants one write stored), if there are any."""
        if changed:
            self._changed = list(changed)
            self._listeners.notify()


def stage_changes(
    changes: Sequence[tuple[str, Change]], found: Mapping[str, Task]
) -> tuple[list[Task | QueueError], dict[str, Task]]:
    """Apply :meth:`Storage.update_many`'s *changes* to the tasks *found*, in order, writing nothing.

    The rule both stores follow inside their atomic step, so it is written once:
    a later change of the same task sees the earlier one's result; a missing
    task or a change raising a :class:`~pyqueue.errors.QueueError` is reported
    in its place; any other exception propagates (and the store aborts the
    whole write). Returns what to report, in order, and the new version of each
    changed task, which the store then writes.
    """
    staged: dict[str, Task] = {}
    out: list[Task | QueueError] = []
    for task_id, change in changes:
        task = staged.get(task_id) or found.get(task_id)
        try:
            if task is None:
                raise TaskNotFound(task_id)
            staged[task_id] = change(task)
            out.append(staged[task_id])
        except QueueError as e:
            out.append(e)
    return out, staged


@dataclass(frozen=True, slots=True)
class Claim:
    """What one claim took, and when the next scheduled task falls due (``None`` if none waits)."""

    tasks: list[Task]
    next_due: float | None


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts per status, and per task type then status."""

    by_status: dict[str, int]
    by_type: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


class Storage(Protocol):
    """Where tasks live. Every method is atomic on its own."""

    async def add(self, tasks: Sequence[Task], *, max_live: int | None = None) -> list[Task]:
        """Store *tasks* all or nothing, giving each the next enqueue sequence number.

        A task whose ``unique_key`` is already held by a stored task is not
        added: the stored task is returned in its place. With *max_live*, raise
        :class:`~pyqueue.errors.QueueFull` (and store nothing) if the live tasks
        would exceed it. A ``waiting`` task's dependencies (``waiting_on``) are
        stored tasks or earlier tasks of *tasks*; the rules of
        :func:`~pyqueue.dependencies.plan_add` apply (a missing one raises
        :class:`~pyqueue.errors.InvalidOption` and nothing is stored).
        """
        ...

    async def get(self, task_id: str) -> Task | None:
        """Return the task with this id, or ``None``."""
        ...

    async def update(self, task_id: str, change: Change) -> Task:
        """Apply *change* to one task atomically and return the new version.

        Raise :class:`~pyqueue.errors.TaskNotFound` if there is no such task;
        an exception from *change* propagates and nothing is written. When the
        task becomes finished, its waiting dependants learn it in the same
        atomic step (:func:`~pyqueue.transitions.dependency_finished`), and
        theirs in turn: so do :meth:`update_many` and :meth:`recover`.
        """
        ...

    async def update_many(self, changes: Sequence[tuple[str, Change]]) -> list[Task | QueueError]:
        """Apply several changes in one atomic write, returning each task's new version or its error.

        A change that raises a :class:`~pyqueue.errors.QueueError` (such as
        :class:`~pyqueue.errors.LeaseLost`), or a missing task
        (:class:`~pyqueue.errors.TaskNotFound`), is reported in its place and
        the others still apply; any other exception aborts the whole write.
        """
        ...

    async def act(self, task_id: str, decide: Decide) -> Verdict:
        """Judge one task with *decide* and carry out the verdict atomically; return it.

        *decide* gets the task and the stored tasks of its ``depends_on``, read
        in the same atomic step. A ``changed`` verdict's task is written, a
        ``deleted`` one's row deleted (its waiting dependants learn of
        :func:`~pyqueue.transitions.deleted`, as :meth:`update` tells them of
        a finished task, and :meth:`on_dependants` of those settled); a
        ``skipped`` or ``unmatched`` one writes nothing. Raise
        :class:`~pyqueue.errors.TaskNotFound` if there is no such task; an
        exception from *decide* propagates and nothing is written.
        """
        ...

    async def sweep(self, status: TaskStatus, decide: Decide, *, after: Position | None, limit: int) -> SweepChunk:
        """Act, as :meth:`act` does, on the next *limit* tasks of *status* after *after*, all in one atomic step.

        Tasks are walked in ``(seq, id)`` order, from the first (*after*
        ``None``) or from the one after the position *after*. Each is judged as
        stored at that moment; all are judged before any verdict's effects
        (cascades to dependants included) are seen. An exception from *decide*
        propagates and nothing is written. Returns the verdicts in walk order,
        the position of the last task read, and whether the status ran out.
        """
        ...

    def on_dependants(self, listener: DependantsListener) -> Callable[[], None]:
        """Call *listener* with the waiting dependants each write changed because a dependency finished.

        These writes are the store's own (see :meth:`update`): no caller names
        those tasks. The listener is called once per write, after it is stored,
        with each changed dependant as written: released (its last dependency
        completed), failed or cancelled (one did not), or still waiting on
        others. Returns the function that removes the listener.
        """
        ...

    async def claim(
        self, *, now: float, owner: str, lease_ms: float, limit: int, limits: ClaimLimits | None = None
    ) -> Claim:
        """Make due scheduled tasks pending, then take up to *limit* pending tasks in claim order.

        With *limits*, a task whose type is at its cap or its rate limit is
        skipped and stays pending (see :mod:`pyqueue.limits`); the rate state
        is read and written in the same atomic step, and ``next_due`` is no
        later than when a held type's rate window frees. The cost stays bounded
        however many tasks are held back.

        Taking is atomic: no two claims, from any tab, ever get the same task.
        A backend may promote a bounded number of due tasks per call; ``next_due``
        is then at or before *now*, and the caller claims again at once.
        Cancelling an awaited claim does not undo it: the tasks it took stay held
        until their lease runs out, so callers must not time claims out.
        """
        ...

    async def finish_and_claim(
        self,
        changes: Sequence[tuple[str, Change]],
        *,
        now: float,
        owner: str,
        lease_ms: float,
        limit: int,
        limits: ClaimLimits | None = None,
    ) -> tuple[list[Task | QueueError], Claim]:
        """:meth:`update_many` then :meth:`claim`, in one atomic step; returns what each returns.

        For a runner that records its outcomes and takes its next tasks at
        once: one IndexedDB transaction instead of two. The claim sees every
        effect of the changes (a completed dependency's released dependant, a
        retry due at *now*) and no other writer comes in between. A change
        reported as an error (a lost lease, a missing task) does not stop the
        claim; any other exception aborts both parts and nothing is written.
        """
        ...

    async def renew(self, task_ids: Sequence[str], *, owner: str, until: float) -> list[Task]:
        """Extend *owner*'s leases on *task_ids* and return those tasks as stored.

        A task the owner no longer holds is returned unchanged, so the caller
        learns that it lost it; a task that is gone is left out.
        """
        ...

    async def recover(self, *, now: float) -> list[Task]:
        """Apply :func:`~pyqueue.transitions.expire` to every task whose lease ran out; return them."""
        ...

    async def parked(self) -> list[Task]:
        """Return the parked tasks (see :class:`~pyqueue.retry.Park`), oldest first."""
        ...

    async def finished_since(self, since: float, *, limit: int = 1000) -> list[Task]:
        """Return up to *limit* tasks that finished at or after *since*, most recently finished first."""
        ...

    async def clear(self) -> int:
        """Delete every task, whatever its status, and return how many there were."""
        ...

    async def tasks(self, *, status: TaskStatus | None = None, limit: int = 100) -> list[Task]:
        """Return up to *limit* tasks, newest first, optionally of one status."""
        ...

    async def stats(self) -> Stats:
        """Count the tasks per status and per type."""
        ...

    async def purge(self, *, statuses: Sequence[TaskStatus], finished_before: float, dry_run: bool) -> list[Task]:
        """Delete finished tasks of *statuses* that finished before *finished_before*; return them.

        With *dry_run*, delete nothing and return what would go.
        """
        ...

    async def import_records(self, records: Sequence[object], *, replace: bool = False) -> ImportReport:
        """Store exported task records, all or nothing, and report exactly what became of each.

        Untrusted records are read with :func:`~pyqueue.importing.read_records`
        (a broken one is stored as a failed task naming the problem), then,
        inside the atomic step, :func:`~pyqueue.importing.plan_import` decides
        from the stored ids and unique-key holders: a record whose id is
        stored is skipped unless *replace*, a repeated id in *records* is
        skipped (the first wins), and so is a record whose unique key another
        task holds. Records keep their sequence numbers; later enqueues get
        higher ones.
        """
        ...

    async def records(self) -> list[dict[str, JSONValue]]:
        """Return every stored task's record in enqueue order, for export.

        Each is the record of a task as read (a broken row as its quarantined
        version), so the list is valid JSON data: no ``NaN``, bounded nesting.
        """
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...

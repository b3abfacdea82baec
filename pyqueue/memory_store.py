"""A store that keeps tasks in a dict: for tests under CPython, and for pages that need no durability.

Every write goes through the same JSON form as the IndexedDB store, so a
payload that a handler mutates later cannot change what is stored, and no
await separates a read from its write, so each method is atomic within the
event loop.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Sequence
from dataclasses import replace

from . import dependencies, transitions
from .bulk import Decide, Outcome, Position, SweepChunk, Verdict
from .clock import Clock, wall_clock
from .errors import QueueError, TaskNotFound
from .importing import ImportReport, plan_import, read_records
from .jsondata import RECORD_DEPTH, JSONValue, dumps
from .limits import Allowance, ClaimLimits, rate_key, read_starts, write_starts
from .ordering import claim_key
from .storage import Change, Claim, DependantListeners, DependantsListener, Stats, stage_changes
from .task import LIVE_STATUSES, Task, TaskStatus

Record = dict[str, JSONValue]


class MemoryStore:
    """In-memory implementation of :class:`~pyqueue.storage.Storage`."""

    def __init__(self, *, clock: Clock = wall_clock) -> None:
        self._tasks: dict[str, Task] = {}
        self._last_seq = 0
        self._rates: dict[str, str] = {}
        self._clock = clock
        self._dependants = DependantListeners()

    def on_dependants(self, listener: DependantsListener) -> Callable[[], None]:
        return self._dependants.add(listener)

    def _write(self, task: Task) -> Task:
        stored = Task.from_record(json.loads(dumps(task.to_record(), path="task", max_depth=RECORD_DEPTH)))
        self._tasks[task.id] = stored
        return stored

    def _all(self, status: TaskStatus | None = None) -> list[Task]:
        return [t for t in self._tasks.values() if status is None or t.status is status]

    async def add(self, tasks: Sequence[Task], *, max_live: int | None = None) -> list[Task]:
        held: dict[str, Task] = {}
        for stored in sorted(self._all(), key=lambda t: t.seq):  # on a clash from an import, the first holds it
            if stored.unique_key is not None:
                held.setdefault(stored.unique_key, stored)
        found = {i: self._tasks[i] for i in dependencies.outside(tasks) if i in self._tasks}
        live = sum(1 for t in self._all() if t.status in LIVE_STATUSES) if max_live is not None else None
        plan = dependencies.plan_add(
            tasks, seq=self._last_seq, held=held, stored=found, now=self._clock(), live=live, max_live=max_live
        )
        self._last_seq = max(self._last_seq, plan.top_seq)
        written = {t.id: self._write(t) for t in plan.write}
        return [written.get(t.id, t) for t in plan.out]

    async def get(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    async def update(self, task_id: str, change: Change) -> Task:
        task = self._tasks.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        written = self._write(change(task))
        self._release([(task, written)])
        return written

    async def update_many(self, changes: Sequence[tuple[str, Change]]) -> list[Task | QueueError]:
        return self._update_many(changes)

    def _update_many(self, changes: Sequence[tuple[str, Change]]) -> list[Task | QueueError]:
        out, staged = stage_changes(changes, self._tasks)
        before = {task_id: self._tasks[task_id] for task_id in staged}
        written = {task_id: self._write(task) for task_id, task in staged.items()}
        self._release([(before[task_id], task) for task_id, task in written.items()])
        return [written[r.id] if isinstance(r, Task) else r for r in out]

    async def act(self, task_id: str, decide: Decide) -> Verdict:
        task = self._tasks.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return self._carry_out([task], decide)[0]

    async def sweep(self, status: TaskStatus, decide: Decide, *, after: Position | None, limit: int) -> SweepChunk:
        ahead = (t for t in self._all(status) if after is None or _position(t) > after)
        walk = heapq.nsmallest(limit + 1, ahead, key=_position)  # one more tells whether any is left
        chunk = walk[:limit]
        last = _position(chunk[-1]) if chunk else after
        return SweepChunk(self._carry_out(chunk, decide), last, done=len(walk) <= limit)

    def _carry_out(self, tasks: list[Task], decide: Decide) -> list[Verdict]:
        """Judge all *tasks* as they are now, then write the verdicts (as IndexedDB's one transaction does)."""
        found = {d: self._tasks[d] for t in tasks for d in t.depends_on if d in self._tasks}
        verdicts = [decide(task, found) for task in tasks]
        out: list[Verdict] = []
        changes: list[tuple[Task, Task]] = []
        for before, verdict in zip(tasks, verdicts, strict=True):
            if verdict.outcome is Outcome.CHANGED:
                verdict = replace(verdict, task=self._write(verdict.task))
                changes.append((before, verdict.task))
            elif verdict.outcome is Outcome.DELETED:
                del self._tasks[before.id]
                changes.append((before, transitions.deleted(before, self._clock())))
            out.append(verdict)
        self._release(changes)  # after every verdict's write: a cascade never sees a judged task as it was
        return out

    def _release(self, changes: list[tuple[Task, Task]]) -> None:
        """Tell the dependants of every task that just finished, and theirs in turn if they finish too."""
        finished = [after for before, after in changes if after.status.finished and not before.status.finished]
        changed: dict[str, Task] = {}
        while finished:
            dependency = finished.pop()
            now = self._clock() if dependency.finished_at is None else dependency.finished_at
            for task in self._all(TaskStatus.WAITING):
                if dependency.id in task.waiting_on:
                    after = changed[task.id] = self._write(transitions.dependency_finished(task, dependency, now))
                    if after.status.finished:
                        finished.append(after)
        self._dependants.notify(list(changed.values()))

    async def claim(
        self, *, now: float, owner: str, lease_ms: float, limit: int, limits: ClaimLimits | None = None
    ) -> Claim:
        return self._claim(now=now, owner=owner, lease_ms=lease_ms, limit=limit, limits=limits)

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
        # No await between the two parts: together they are one atomic step of the event loop.
        return self._update_many(changes), self._claim(
            now=now, owner=owner, lease_ms=lease_ms, limit=limit, limits=limits
        )

    def _claim(self, *, now: float, owner: str, lease_ms: float, limit: int, limits: ClaimLimits | None) -> Claim:
        for task in self._all(TaskStatus.SCHEDULED):
            if task.run_at <= now:
                self._write(transitions.promote(task, now))
        pending = sorted(self._all(TaskStatus.PENDING), key=claim_key)
        held: float | None = None
        if limits is None:
            ready = pending[:limit]
        else:
            starts = {name: read_starts(self._rates.get(rate_key(name)), r, now) for name, r in limits.rates.items()}
            allowance = Allowance(limits, starts, now=now, limit=limit)
            ready = allowance.choose(pending)
            for name, times in allowance.changed().items():
                self._rates[rate_key(name)] = write_starts(times)
            taken = {t.id for t in ready}
            held = allowance.held_until(t.type for t in pending if t.id not in taken)
        claimed = [self._write(transitions.claim(t, owner=owner, now=now, lease_ms=lease_ms)) for t in ready]
        due = [t.run_at for t in self._all(TaskStatus.SCHEDULED)]
        return Claim(claimed, min((*due, *([] if held is None else [held])), default=None))

    async def renew(self, task_ids: Sequence[str], *, owner: str, until: float) -> list[Task]:
        out = []
        for task in (self._tasks.get(i) for i in task_ids):
            if task is None:
                continue
            if task.status is TaskStatus.PROCESSING and task.lease_owner == owner:
                task = self._write(transitions.renew(task, owner=owner, until=until))
            out.append(task)
        return out

    async def recover(self, *, now: float) -> list[Task]:
        expired = [t for t in self._all(TaskStatus.PROCESSING) if transitions.lease_expired(t, now)]
        changes = [(t, self._write(transitions.expire(t, now))) for t in expired]
        self._release(changes)
        return [after for _, after in changes]

    async def parked(self) -> list[Task]:
        return sorted((t for t in self._all(TaskStatus.SCHEDULED) if t.parked is not None), key=lambda t: t.seq)

    async def finished_since(self, since: float, *, limit: int = 1000) -> list[Task]:
        done = [t for t in self._all() if t.finished_at is not None and t.finished_at >= since]
        return sorted(done, key=lambda t: (t.finished_at, t.seq), reverse=True)[:limit]

    async def clear(self) -> int:
        count = len(self._tasks)
        self._tasks.clear()
        return count

    async def tasks(self, *, status: TaskStatus | None = None, limit: int = 100) -> list[Task]:
        return sorted(self._all(status), key=lambda t: t.seq, reverse=True)[:limit]

    async def stats(self) -> Stats:
        by_status = {s.value: 0 for s in TaskStatus}
        by_type: dict[str, dict[str, int]] = {}
        for task in self._all():
            by_status[task.status] += 1
            per_type = by_type.setdefault(task.type, {})
            per_type[task.status] = per_type.get(task.status, 0) + 1
        return Stats(by_status, by_type)

    async def purge(self, *, statuses: Sequence[TaskStatus], finished_before: float, dry_run: bool) -> list[Task]:
        gone = sorted(
            (
                t
                for t in self._all()
                if t.status in statuses and t.finished_at is not None and t.finished_at < finished_before
            ),
            key=lambda t: t.seq,
        )
        if not dry_run:
            for task in gone:
                del self._tasks[task.id]
        return gone

    async def import_records(self, records: Sequence[object], *, replace: bool = False) -> ImportReport:
        incoming = read_records(records, now=self._clock())
        holders: dict[str, str] = {}
        for held in sorted(self._all(), key=lambda t: t.seq):
            if held.unique_key is not None:
                holders.setdefault(held.unique_key, held.id)
        plan = plan_import(incoming, exists=lambda task_id: task_id in self._tasks, holders=holders, replace=replace)
        self._last_seq = max(plan.top_seq, self._last_seq)
        for task in plan.write:
            self._write(task)
        return plan.report

    async def records(self) -> list[Record]:
        return [t.to_record() for t in sorted(self._all(), key=lambda t: t.seq)]

    def close(self) -> None:
        self._tasks.clear()


def _position(task: Task) -> Position:
    return (float(task.seq), task.id)

"""A store that keeps tasks in a dict: for tests under CPython, and for pages that need no durability.

Every write goes through the same JSON form as the IndexedDB store, so a
payload that a handler mutates later cannot change what is stored, and no
await separates a read from its write, so each method is atomic within the
event loop.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence

from . import transitions
from .clock import Clock, wall_clock
from .errors import QueueError, QueueFull, TaskNotFound
from .importing import ImportReport, plan_import, read_records
from .jsondata import RECORD_DEPTH, JSONValue, dumps
from .ordering import claim_key
from .storage import Change, Claim, Stats
from .task import LIVE_STATUSES, Task, TaskStatus

Record = dict[str, JSONValue]


class MemoryStore:
    """In-memory implementation of :class:`~pyqueue.storage.Storage`."""

    def __init__(self, *, clock: Clock = wall_clock) -> None:
        self._tasks: dict[str, Task] = {}
        self._seq = itertools.count(1)
        self._clock = clock

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
        out: list[Task] = []
        new: list[Task] = []
        for task in tasks:
            if task.unique_key is not None and task.unique_key in held:
                out.append(held[task.unique_key])
                continue
            stored = task.replace(seq=next(self._seq))
            if task.unique_key is not None:
                held[task.unique_key] = stored
            new.append(stored)
            out.append(stored)
        if max_live is not None and new:
            live = sum(1 for t in self._all() if t.status in LIVE_STATUSES)
            if live + len(new) > max_live:
                raise QueueFull(max_live, len(new))
        written = {t.id: self._write(t) for t in new}
        return [written.get(t.id, t) for t in out]

    async def get(self, task_id: str) -> Task | None:
        return self._tasks.get(task_id)

    async def update(self, task_id: str, change: Change) -> Task:
        task = self._tasks.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return self._write(change(task))

    async def update_many(self, changes: Sequence[tuple[str, Change]]) -> list[Task | QueueError]:
        staged: dict[str, Task] = {}
        out: list[Task | QueueError] = []
        for task_id, change in changes:
            task = staged.get(task_id) or self._tasks.get(task_id)
            try:
                if task is None:
                    raise TaskNotFound(task_id)
                staged[task_id] = change(task)
                out.append(staged[task_id])
            except QueueError as e:
                out.append(e)
        written = {task_id: self._write(task) for task_id, task in staged.items()}
        return [written[r.id] if isinstance(r, Task) else r for r in out]

    async def claim(self, *, now: float, owner: str, lease_ms: float, limit: int) -> Claim:
        for task in self._all(TaskStatus.SCHEDULED):
            if task.run_at <= now:
                self._write(transitions.promote(task, now))
        ready = sorted(self._all(TaskStatus.PENDING), key=claim_key)[:limit]
        claimed = [self._write(transitions.claim(t, owner=owner, now=now, lease_ms=lease_ms)) for t in ready]
        due = [t.run_at for t in self._all(TaskStatus.SCHEDULED)]
        return Claim(claimed, min(due) if due else None)

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
        return [self._write(transitions.expire(t, now)) for t in expired]

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
        self._seq = itertools.count(max(plan.top_seq + 1, next(self._seq)))
        for task in plan.write:
            self._write(task)
        return plan.report

    async def records(self) -> list[Record]:
        return [t.to_record() for t in sorted(self._all(), key=lambda t: t.seq)]

    def close(self) -> None:
        self._tasks.clear()

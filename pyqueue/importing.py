"""Importing task records (an export read back): what is added, replaced, skipped or set aside, decided once.

Both stores do the same two steps. Before their atomic step, :func:`read_records`
turns each untrusted record into a task, or into a quarantined failed task that
names why the record is broken (kept and visible, never run). Inside the atomic
step, after looking up which ids exist and who holds each unique key, they call
:func:`plan_import`, a pure function, and write what it says: so the rules are
written once, here, and tested under CPython.

The rules: an import never overwrites a stored task's history unless asked to
(``replace=True``); a second record with the same id in the file is skipped (the
first wins); a record whose unique key another task holds is skipped (it is the
same job twice); a broken record is stored as a failed task with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from . import transitions
from .task import BrokenRecord, Task

DUPLICATE_ID = "duplicate id in the file (the first record with this id was imported)"
ID_IN_QUEUE = "id already in the queue (pass replace=True to overwrite that task)"


def key_held(key: str, holder: str) -> str:
    """The skip reason of a record whose unique *key* task *holder* already has."""
    return f"unique key {key!r} is held by task {holder!r}"


@dataclass(frozen=True, slots=True)
class ImportSkip:
    """One record that was not imported as it was, and why."""

    id: str
    reason: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: ids added and replaced, records skipped, and broken records set aside as failed tasks."""

    added: list[str]
    replaced: list[str]
    skipped: list[ImportSkip]
    quarantined: list[ImportSkip]

    @property
    def stored(self) -> int:
        """How many tasks were written: added, replaced and quarantined."""
        return len(self.added) + len(self.replaced) + len(self.quarantined)


@dataclass(frozen=True, slots=True)
class Incoming:
    """One record as read: its task, and the reason it was quarantined (``None`` for a valid record)."""

    task: Task
    broken: str | None = None


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """What a store writes for an import (in file order), and the report it returns."""

    write: list[Task]
    report: ImportReport

    @property
    def top_seq(self) -> int:
        """The highest sequence number written: the store's counter must not fall below it."""
        return max((t.seq for t in self.write), default=0)


def read_records(records: Sequence[object], *, now: float) -> list[Incoming]:
    """Read each record as a task; a broken one becomes its quarantined failed version, with the reason.

    Safe on any Python object: :meth:`Task.from_record` reads fields with
    shallow type checks and walks the JSON values without recursion, so a
    record nested thousands deep is refused, not a crash.
    """
    out = []
    for record in records:
        try:
            out.append(Incoming(Task.from_record(record)))
        except BrokenRecord as e:
            out.append(Incoming(Task.from_record(transitions.quarantine(record, reason=str(e), now=now)), str(e)))
    return out


def plan_import(
    incoming: Sequence[Incoming],
    *,
    exists: Callable[[str], bool],
    holders: Mapping[str, str],
    replace: bool,
) -> ImportPlan:
    """Decide, in file order, what becomes of each record.

    *exists* says whether a task with an id is stored; *holders* maps each
    unique key the records name to the id of the stored task that holds it.
    """
    held = dict(holders)
    seen: set[str] = set()
    write: list[Task] = []
    added: list[str] = []
    replaced: list[str] = []
    skipped: list[ImportSkip] = []
    quarantined: list[ImportSkip] = []
    for item in incoming:
        task = item.task
        if task.id in seen:
            skipped.append(ImportSkip(task.id, DUPLICATE_ID))
            continue
        seen.add(task.id)
        stored = exists(task.id)
        if stored and not replace:
            skipped.append(ImportSkip(task.id, ID_IN_QUEUE))
            continue
        key = task.unique_key
        if key is not None and held.setdefault(key, task.id) != task.id:
            skipped.append(ImportSkip(task.id, key_held(key, held[key])))
            continue
        write.append(task)
        if item.broken is not None:
            quarantined.append(ImportSkip(task.id, item.broken))
        else:
            (replaced if stored else added).append(task.id)
    return ImportPlan(write, ImportReport(added, replaced, skipped, quarantined))

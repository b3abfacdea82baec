"""What an enqueue writes, decided once for both stores: unique keys, sequence numbers and dependencies.

Inside their atomic step, after reading the enqueue counter, the holders of the
new tasks' unique keys and the stored tasks the new ones depend on, both stores
call :func:`plan_add` and write what it says. A dependency is named by id: a
stored task, or a task earlier in the same enqueue (so there is no cycle). A
dependant of a task that already completed is due at once; of one that failed
or was cancelled, it ends the same way at once (see
:func:`~pyqueue.transitions.dependency_finished`), and so do its own dependants
later in the same enqueue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from . import transitions
from .errors import InvalidOption, QueueFull
from .task import Task

MISSING = "no task has this id: a dependency must be stored already, or come earlier in the same enqueue"


@dataclass(frozen=True, slots=True)
class AddPlan:
    """The tasks to write (numbered, dependencies applied), and what the enqueue returns for each task given."""

    write: list[Task]
    out: list[Task]

    @property
    def top_seq(self) -> int:
        return max((t.seq for t in self.write), default=0)


def outside(tasks: Sequence[Task]) -> list[str]:
    """The dependency ids that are not tasks of this enqueue: the store reads these before planning."""
    own = {t.id for t in tasks}
    return list(dict.fromkeys(d for t in tasks for d in t.waiting_on if d not in own))


def plan_add(
    tasks: Sequence[Task],
    *,
    seq: int | None,
    held: Mapping[str, Task],
    stored: Mapping[str, Task],
    now: float,
    live: int | None = None,
    max_live: int | None = None,
) -> AddPlan:
    """Plan an enqueue of *tasks*; raise :class:`~pyqueue.errors.InvalidOption` or ``QueueFull`` to write nothing.

    *seq* is the last sequence number given out (``None``: the store numbers
    the tasks as it writes them, and the plan leaves their ``seq`` as it is); *held* maps unique keys to the
    stored tasks holding them (a new task with such a key is not added: its
    holder is returned in its place, and stands for it as a dependency);
    *stored* maps the ids of :func:`outside` to the stored tasks found.
    """
    held = dict(held)
    known = dict(stored)  # every task a later one may depend on, as it will be after this enqueue
    alias: dict[str, str] = {}
    write: list[Task] = []
    out: list[Task] = []
    for task in tasks:
        if task.unique_key is not None and task.unique_key in held:
            holder = held[task.unique_key]
            alias[task.id] = holder.id
            known[holder.id] = holder
            out.append(holder)
            continue
        if seq is not None:
            seq += 1
            task = task.replace(seq=seq)
        planned = _wait(task, known, alias, now)
        if task.unique_key is not None:
            held[task.unique_key] = planned
        known[planned.id] = planned
        write.append(planned)
        out.append(planned)
    if max_live is not None and write and (live or 0) + len(write) > max_live:
        raise QueueFull(max_live, len(write))
    return AddPlan(write, out)


def _wait(task: Task, known: Mapping[str, Task], alias: Mapping[str, str], now: float) -> Task:
    if not task.waiting_on:
        return task
    ids = tuple(dict.fromkeys(alias.get(d, d) for d in task.waiting_on))
    for dependency in ids:
        if dependency not in known:
            raise InvalidOption("depends_on", dependency, MISSING)
    task = task.replace(depends_on=ids, waiting_on=ids)
    for dependency in ids:
        task = transitions.dependency_finished(task, known[dependency], now)
    return task

"""The queue API: validate, then store. Everything here is plain Python over a :class:`Storage`."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import bulk, transitions
from .bulk import BulkAction, BulkReport, TaskFilter
from .clock import Clock, wall_clock
from .constants import (
    DEFAULT_MAX_ATTEMPTS,
    MAX_ATTEMPTS_LIMIT,
    MAX_PAYLOAD_BYTES,
    MAX_PRIORITY,
    MAX_TIME_MS,
    MIN_PRIORITY,
)
from .errors import InvalidMeta, InvalidOption, InvalidPayload, TaskNotFound
from .events import EventBus, EventKind, TaskEvent, dependant_events
from .ids import random_hex
from .jsondata import JSONValue, NotJSONData
from .payload import PayloadMismatch, dump_payload, load_payload
from .registry import TaskRegistry
from .results import RESULT_POLL_MS, TaskHandle
from .storage import Stats, Storage
from .task import FINISHED_STATUSES, LIVE_STATUSES, MAX_DEPENDENCIES, MAX_KEY_CHARS, Task, TaskStatus
from .task_meta import TaskMeta, check_meta

if TYPE_CHECKING:
    from .importing import ImportReport

MAX_UNIQUE_KEY_CHARS = MAX_KEY_CHARS

TASKS_PER_TURN = 500
"""How many tasks a bulk enqueue builds, or tells the events of, in one turn of the event loop.

About 20 ms of Python on the page: between turns the page answers its user and its timers."""


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One task to enqueue, for :meth:`Queue.enqueue_many`; the fields mirror :meth:`Queue.enqueue`."""

    type: str
    payload: object
    priority: int = 0
    delay_ms: float | None = None
    run_at: float | None = None
    max_attempts: int | None = None
    unique_key: str | None = None
    depends_on: Sequence[str | int] = ()
    """Tasks that must complete first: stored task ids, or indexes of earlier specs of the same enqueue."""
    meta: Mapping[str, JSONValue] | None = None
    """Free JSON data kept with the task (see :mod:`pyqueue.task_meta`)."""


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge removed, or with ``dry_run`` what it would remove."""

    dry_run: bool
    tasks: list[Task]

    @property
    def count(self) -> int:
        return len(self.tasks)


class Queue:
    """A durable task queue over a store.

    Enqueue validates everything before anything is written: an unknown task
    type, a payload that does not fit its dataclass or is not JSON data, or an
    option out of range raises a :class:`~pyqueue.errors.QueueError` and the
    store is left untouched.

    A queue knows nothing of runners: for results at enqueue time, see
    :class:`~pyqueue.inline.InlineQueue`.

    Dependants that the store settles in its own writes (see
    :meth:`Storage.on_dependants <pyqueue.storage.Storage.on_dependants>`) are
    told to :attr:`events` by :meth:`tell_dependants`, after the events of the
    write that settled them; a released one is also told to the
    :meth:`on_enqueue` listeners, which wake the runners.
    """

    def __init__(
        self,
        store: Storage,
        registry: TaskRegistry,
        *,
        clock: Clock = wall_clock,
        max_size: int | None = None,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        default_max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        events: EventBus | None = None,
    ) -> None:
        if max_size is not None and (not _is_int(max_size) or max_size < 1):
            raise InvalidOption("max_size", max_size, "must be a positive integer or None")
        self.store = store
        self.registry = registry
        self.clock = clock
        self.max_size = max_size
        self.max_payload_bytes = max_payload_bytes
        self.default_max_attempts = default_max_attempts
        self.events = events if events is not None else EventBus()
        self._listeners: list[Callable[[list[Task]], None]] = []
        self._settled: list[Task] = []
        store.on_dependants(self._dependants_changed)

    def on_enqueue(self, listener: Callable[[list[Task]], None]) -> Callable[[], None]:
        """Call *listener* with the new tasks after every enqueue; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def enqueue(
        self,
        task_type: str,
        payload: object,
        *,
        priority: int = 0,
        delay_ms: float | None = None,
        run_at: float | None = None,
        max_attempts: int | None = None,
        unique_key: str | None = None,
        depends_on: Sequence[str] = (),
        meta: Mapping[str, JSONValue] | None = None,
    ) -> str:
        """Add one task and return its id.

        *payload* is an instance of the type's payload dataclass, or a mapping
        of its fields. Give *delay_ms* or *run_at* (epoch ms) to schedule it
        later. If *unique_key* is held by a stored task, nothing is added and
        that task's id is returned. With *depends_on* (task ids), the task
        waits until every one of them completed; if one fails or is cancelled,
        this task ends the same way, its error naming that dependency. *meta*
        is free JSON data kept with the task and never read by pyqueue (who
        enqueued it, a correlation id): an object of at most
        :data:`~pyqueue.task_meta.MAX_META_BYTES`, else :class:`InvalidMeta`.
        """
        spec = TaskSpec(task_type, payload, priority, delay_ms, run_at, max_attempts, unique_key, depends_on, meta)
        (task_id,) = await self.enqueue_many([spec])
        return task_id

    async def enqueue_many(self, specs: Iterable[TaskSpec]) -> list[str]:
        """Add many tasks in one write, all or nothing; return their ids in order.

        A spec's ``depends_on`` may name an earlier spec by its index in *specs*.
        A large batch is built, written and told :data:`TASKS_PER_TURN` tasks
        to a turn of the event loop, so the page keeps answering; once built, a
        cancelled call still writes the batch and tells its events.
        """
        now = self.clock()
        tasks: list[Task] = []
        for spec in specs:
            tasks.append(self._build(spec, now, earlier=tasks))
            if len(tasks) % TASKS_PER_TURN == 0:
                await asyncio.sleep(0)  # nothing is written yet: the page may run
        if not tasks:
            return []
        if len(tasks) == 1:  # told at once, as it was written
            return await self._add(tasks, now)
        # The caller's cancellation cannot stop a batch between its write and its last event, which would
        # leave stored tasks untold and release a start before their enqueue.
        return await asyncio.shield(self._add(tasks, now))

    async def _add(self, tasks: list[Task], now: float) -> list[str]:
        """Write *tasks*, then tell their events (see :meth:`enqueue_many`).

        A batch may let the page run between its write and its last event (the
        store numbering its rows, :meth:`EventBus.emit_all`): the bus holds the
        other events meanwhile. A single task is told at once, as it was written.
        """
        with self.events.holding() if len(tasks) > 1 else contextlib.nullcontext():
            stored = await self.store.add(tasks, max_live=self.max_size)
            fresh = [s for s, t in zip(stored, tasks, strict=True) if s.id == t.id]
            if fresh:
                await self._in_line(fresh, new=True)
                settled = [t for t in fresh if t.depends_on and t.status.finished]  # a dependency had failed already
                for event in dependant_events(settled, now):
                    self.events.emit(event)
        return [t.id for t in stored]

    def _build(self, spec: TaskSpec, now: float, *, earlier: Sequence[Task] = ()) -> Task:
        task_type = self.registry.get(spec.type)
        payload = self._check_payload(spec.type, task_type.payload_type, spec.payload)
        if not _is_int(spec.priority) or not MIN_PRIORITY <= spec.priority <= MAX_PRIORITY:
            raise InvalidOption("priority", spec.priority, f"must be an integer from {MIN_PRIORITY} to {MAX_PRIORITY}")
        run_at = self._run_at(spec, now)
        max_attempts = next(
            m for m in (spec.max_attempts, task_type.max_attempts, self.default_max_attempts) if m is not None
        )
        if not _is_int(max_attempts) or not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise InvalidOption("max_attempts", spec.max_attempts, f"must be an integer from 1 to {MAX_ATTEMPTS_LIMIT}")
        key = spec.unique_key
        if key is not None and (not isinstance(key, str) or not key or len(key) > MAX_UNIQUE_KEY_CHARS):
            raise InvalidOption(
                "unique_key", key, f"must be a non-empty string of at most {MAX_UNIQUE_KEY_CHARS} chars"
            )
        waits = _dependencies(spec.depends_on, earlier)
        meta = _meta(spec.meta)
        return Task(
            id=random_hex(),
            type=spec.type,
            payload=payload,
            status=TaskStatus.WAITING if waits else TaskStatus.SCHEDULED if run_at > now else TaskStatus.PENDING,
            priority=spec.priority,
            seq=0,
            run_at=run_at,
            attempts=0,
            max_attempts=max_attempts,
            created_at=now,
            unique_key=key,
            depends_on=waits,
            waiting_on=waits,
            meta=meta,
        )

    def _check_payload(self, name: str, payload_type: type, payload: object) -> dict[str, Any]:
        try:
            if isinstance(payload, payload_type):
                loaded: object = load_payload(payload_type, dump_payload(payload))
            elif type(payload) is dict or isinstance(payload, Mapping):  # the ABC check only for other mappings
                loaded = load_payload(payload_type, dict(payload))
            else:
                raise PayloadMismatch(
                    f"expected a {payload_type.__name__} or a mapping of its fields, got {type(payload).__name__}"
                )
            data = dump_payload(loaded, limit=self.max_payload_bytes)
        except (PayloadMismatch, NotJSONData) as e:
            raise InvalidPayload(name, str(e)) from None
        except RecursionError:
            raise InvalidPayload(name, "payload is nested too deeply or contains itself (a cycle)") from None
        return data

    @staticmethod
    def _run_at(spec: TaskSpec, now: float) -> float:
        if spec.delay_ms is not None and spec.run_at is not None:
            raise InvalidOption("delay_ms", spec.delay_ms, "give delay_ms or run_at, not both")
        if spec.delay_ms is not None:
            if not _is_number(spec.delay_ms) or not 0 <= spec.delay_ms <= MAX_TIME_MS - now:
                raise InvalidOption("delay_ms", spec.delay_ms, "must be a finite number of milliseconds >= 0")
            return now + float(spec.delay_ms)
        if spec.run_at is not None:
            if not _is_number(spec.run_at) or not 0 <= spec.run_at <= MAX_TIME_MS:
                raise InvalidOption("run_at", spec.run_at, "must be a time in epoch milliseconds")
            return float(spec.run_at)
        return now

    async def get(self, task_id: str) -> Task:
        """Return one task, raising :class:`TaskNotFound` if there is none with that id."""
        task = await self.store.get(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    async def tasks(self, status: TaskStatus | str | None = None, *, limit: int = 100) -> list[Task]:
        """Return up to *limit* tasks, newest first, optionally only those of *status*."""
        if not _is_int(limit) or limit < 1:
            raise InvalidOption("limit", limit, "must be a positive integer")
        return await self.store.tasks(status=_status(status), limit=limit)

    async def cancel(self, task_id: str) -> Task:
        """Cancel a scheduled or pending task; for a running one, ask its handler to stop."""
        now = self.clock()
        task = await self.store.update(task_id, lambda t: transitions.cancel(t, now))
        if task.status is TaskStatus.CANCELLED:  # it was waiting; a running one ends when its handler does
            self.events.emit(TaskEvent.of(EventKind.CANCELLED, task, now))
        self.tell_dependants()
        return task

    async def retry(self, task_id: str) -> Task:
        """Run a failed or cancelled task again, with fresh attempts and its error history kept.

        A dependant waits again for those of its dependencies that have not
        completed (see :func:`~pyqueue.transitions.retry`).
        """
        now = self.clock()
        verdict = await self.store.act(task_id, lambda t, found: bulk.retried(t, found, now))
        await self._in_line([verdict.task])
        return verdict.task

    async def delete(self, task_id: str, *, force: bool = False) -> Task:
        """Delete one task, whatever its status, and return it as it was; raise :class:`TaskNotFound` if none.

        A task a runner holds (``processing``) is refused with
        :class:`~pyqueue.errors.InvalidStateChange` unless *force*: then it is
        deleted and its runner's outcome is dropped when the handler returns
        (cancel it instead to stop it cleanly). A task still waited on is, for
        its waiting dependants, as if cancelled: they end cancelled, their
        error naming it, instead of waiting forever.
        """
        now = self.clock()
        verdict = await self.store.act(task_id, lambda t, _found: bulk.removed(t, force=force))
        self.events.emit(TaskEvent.of(EventKind.DELETED, verdict.task, now))
        self.tell_dependants()
        return verdict.task

    async def retry_many(
        self,
        statuses: Sequence[TaskStatus | str] = (TaskStatus.FAILED,),
        *,
        types: Sequence[str] | None = None,
        created_before: float | None = None,
        finished_before: float | None = None,
        chunk_size: int = bulk.DEFAULT_CHUNK,
    ) -> BulkReport:
        """Retry every failed (or cancelled, with *statuses*) task of *types*, created/finished before a time.

        Like BullMQ's ``retryJobs``: in chunks of *chunk_size* tasks, each one
        transaction, never one long one, so the page and the other tabs' claims
        keep going; each chunk re-reads its tasks, so one another tab changed
        meanwhile is judged as it is now. The operation as a whole is not
        atomic (see :mod:`pyqueue.bulk`). Each retried task is put back in line
        exactly as :meth:`retry` does (a dependant waits again) and gets an
        ``enqueued`` event, one chunk at a time.
        """
        allowed = (TaskStatus.FAILED, TaskStatus.CANCELLED)
        wanted = _filter("retry", statuses, allowed, types, created_before, finished_before)
        return await self._bulk(BulkAction.RETRY, wanted, chunk_size)

    async def cancel_many(
        self,
        statuses: Sequence[TaskStatus | str] = LIVE_STATUSES,
        *,
        types: Sequence[str] | None = None,
        created_before: float | None = None,
        chunk_size: int = bulk.DEFAULT_CHUNK,
    ) -> BulkReport:
        """Cancel every live task (or those of *statuses*) of *types*, created before a time, in chunks.

        Like Oban's ``cancel_all_jobs``, running tasks are included: as
        :meth:`cancel` does, each is asked to stop (reported in
        ``stop_requested``; it ends cancelled when its handler returns). Waiting
        dependants of a cancelled task are cancelled in cascade. Each cancelled
        task gets a ``cancelled`` event. Chunked and not atomic as a whole, as
        :meth:`retry_many` is.
        """
        wanted = _filter("cancel", statuses, LIVE_STATUSES, types, created_before, None)
        return await self._bulk(BulkAction.CANCEL, wanted, chunk_size)

    async def delete_many(
        self,
        statuses: Sequence[TaskStatus | str],
        *,
        types: Sequence[str] | None = None,
        created_before: float | None = None,
        finished_before: float | None = None,
        force: bool = False,
        chunk_size: int = bulk.DEFAULT_CHUNK,
    ) -> BulkReport:
        """Delete every task of *statuses* (no default: say which) of *types*, created/finished before a time.

        Like BullMQ's ``clean``, it reports the ids it deleted. A running task
        is skipped (counted in ``skipped``) unless *force*, as in :meth:`delete`;
        waiting dependants of a deleted unfinished task are cancelled in
        cascade. Each deleted task gets a ``deleted`` event. Chunked and not
        atomic as a whole, as :meth:`retry_many` is.
        """
        if not isinstance(force, bool):
            raise InvalidOption("force", force, "must be True or False")
        wanted = _filter("delete", statuses, tuple(TaskStatus), types, created_before, finished_before)
        return await self._bulk(BulkAction.DELETE, wanted, chunk_size, force=force)

    async def _bulk(
        self, action: BulkAction, wanted: TaskFilter, chunk_size: int, *, force: bool = False
    ) -> BulkReport:
        """Walk each wanted status chunk by chunk, acting on what matches; tell listeners after each chunk."""
        if not _is_int(chunk_size) or not 1 <= chunk_size <= bulk.MAX_CHUNK:
            raise InvalidOption("chunk_size", chunk_size, f"must be an integer from 1 to {bulk.MAX_CHUNK}")
        tally = bulk.Tally(action)
        for status in wanted.statuses:
            after: bulk.Position | None = None
            done = False
            while not done:
                now = self.clock()
                decide = bulk.decider(action, wanted, now=now, force=force)
                chunk = await self.store.sweep(status, decide, after=after, limit=chunk_size)
                await self._announce(action, [v.task for v in tally.add(chunk)], now)
                after, done = chunk.last, chunk.done
                await asyncio.sleep(0)  # a store that never awaits (memory) lets the page run between chunks too
        return tally.report()

    async def _announce(self, action: BulkAction, tasks: list[Task], now: float) -> None:
        """One event per task a chunk changed, as the single-task calls emit; then the dependants it settled."""
        if action is BulkAction.RETRY:
            if tasks:
                await self._in_line(tasks)
        elif action is BulkAction.DELETE:
            for task in tasks:
                self.events.emit(TaskEvent.of(EventKind.DELETED, task, now))
        else:
            for task in tasks:  # a running task asked to stop is told when its handler ends
                if task.status is TaskStatus.CANCELLED:
                    self.events.emit(TaskEvent.of(EventKind.CANCELLED, task, now))
        self.tell_dependants()

    async def unpark(self, *, task_type: str | None = None, reason: str | None = None) -> list[Task]:
        """Put parked tasks back in line now (all, or those of *task_type* and/or parked for *reason*)."""
        now = self.clock()
        wanted = [
            t
            for t in await self.store.parked()
            if (task_type is None or t.type == task_type) and (reason is None or t.parked == reason)
        ]
        if not wanted:
            return []
        results = await self.store.update_many([(t.id, lambda t: transitions.unpark(t, now)) for t in wanted])
        back = [r for r in results if isinstance(r, Task) and r.status is TaskStatus.PENDING]
        await self._in_line(back)
        return back

    async def _in_line(self, tasks: list[Task], *, new: bool = False) -> None:
        """Tell the enqueue listeners and the event bus that *tasks* were (put back) in line (*new*: just added).

        The events go out :data:`TASKS_PER_TURN` to a turn (:meth:`EventBus.emit_all`), and only then
        are the listeners told, which wake this page's runner and signal the other tabs: a runner idle
        until then is not woken while the events are still going out.
        """
        try:
            if self.events.listened:  # an enqueue of 10,000 tasks built 10,000 events no one got
                now = self.clock()
                await self.events.emit_all(
                    (TaskEvent.of(EventKind.ENQUEUED, t, now) for t in tasks), per_turn=TASKS_PER_TURN, new=new
                )
        finally:  # even for a caller cancelled between two turns: the tasks are in line, the runners must know
            self._tell_listeners(tasks)

    def _tell_listeners(self, tasks: list[Task]) -> None:
        for listener in list(self._listeners):
            listener(tasks)

    def _dependants_changed(self, tasks: list[Task]) -> None:
        """The store settled *tasks* in its own write: kept for :meth:`tell_dependants`, told next turn at latest."""
        if not self._settled:
            asyncio.get_running_loop().call_soon(self.tell_dependants)
        self._settled.extend(tasks)

    def tell_dependants(self) -> None:
        """Emit the events of the dependants the store settled since the last call (see :class:`Queue`).

        Whoever writes a change that may settle dependants calls this after
        emitting the events of its own change, so that a dependant's event
        comes after its dependency's. A write whose writer does not call it is
        told one turn of the event loop later.
        """
        tasks, self._settled = self._settled, []
        released = [t for t in tasks if t.status in (TaskStatus.PENDING, TaskStatus.SCHEDULED)]
        if released:
            self._tell_listeners(released)
        for event in dependant_events(tasks, self.clock()):
            self.events.emit(event)

    def handle(self, task_id: str, *, poll_ms: float = RESULT_POLL_MS) -> TaskHandle:
        """A handle on the task *task_id*, to await its result: ``value = await queue.handle(task_id)``.

        Nothing is read until it is awaited. *poll_ms* is how often a waiting
        handle reads the task if no event says it finished (lost messages).
        """
        return TaskHandle(task_id, self.store, self.events, poll_ms=poll_ms)

    async def result(self, task_id: str, *, timeout_ms: float | None = None) -> JSONValue:
        """Wait for task *task_id* to finish and return its result; see :meth:`TaskHandle.result` for the errors."""
        return await self.handle(task_id).result(timeout_ms=timeout_ms)

    async def import_records(self, records: Sequence[object], *, replace: bool = False) -> ImportReport:
        """Store exported task records (untrusted: from a file) in one atomic write; report what became of each.

        Nothing stored is overwritten unless *replace*: a record whose id is
        already in the queue is skipped, as is a repeated id (the first wins)
        and a record whose unique key another task holds. A broken record (a
        wrong type, a priority out of range, a ``NaN``, nesting too deep) is
        stored as a failed task whose error names the problem, and reported
        in ``quarantined``: it never runs, and nothing is silently lost.
        """
        if isinstance(records, (str, bytes)) or not isinstance(records, Sequence):
            raise InvalidOption("records", records, "must be a list of task records")
        if not isinstance(replace, bool):
            raise InvalidOption("replace", replace, "must be True or False")
        return await self.store.import_records(records, replace=replace)

    async def export_records(self) -> list[dict[str, JSONValue]]:
        """Every task's record, in enqueue order: valid JSON data (no ``NaN``), for :meth:`import_records`.

        Stores rebuild every task with :meth:`Task.from_record`, which refuses
        non-finite numbers and deep nesting, so what is exported can be read back.
        """
        return await self.store.records()

    async def finished_since(self, since: float, *, limit: int = 1000) -> list[Task]:
        """Tasks that finished at or after *since* (epoch ms), most recent first: for throughput and durations."""
        if not _is_number(since):
            raise InvalidOption("since", since, "must be a time in epoch milliseconds")
        if not _is_int(limit) or limit < 1:
            raise InvalidOption("limit", limit, "must be a positive integer")
        return await self.store.finished_since(float(since), limit=limit)

    async def clear(self) -> int:
        """Delete every task, whatever its status (running handlers' results are then dropped); return how many."""
        return await self.store.clear()

    async def stats(self) -> Stats:
        """Count tasks per status and per type."""
        return await self.store.stats()

    async def purge(
        self,
        statuses: Sequence[TaskStatus | str] = (TaskStatus.COMPLETED,),
        *,
        older_than_ms: float = 0.0,
        dry_run: bool = False,
    ) -> PurgeReport:
        """Delete finished tasks of *statuses* that finished more than *older_than_ms* ago.

        Only finished statuses can be purged: waiting or running tasks are never
        deleted this way. With *dry_run*, report what would go and delete nothing.
        """
        wanted = [_status(s) for s in statuses]
        for status in wanted:
            if status not in FINISHED_STATUSES:
                raise InvalidOption("status", status, "only completed, failed or cancelled tasks can be purged")
        if not _is_number(older_than_ms) or older_than_ms < 0:
            raise InvalidOption("older_than_ms", older_than_ms, "must be a number of milliseconds >= 0")
        cutoff = self.clock() - older_than_ms
        gone = await self.store.purge(
            statuses=[s for s in wanted if s is not None], finished_before=cutoff, dry_run=dry_run
        )
        return PurgeReport(dry_run, gone)


def _dependencies(depends_on: object, earlier: Sequence[Task]) -> tuple[str, ...]:
    """The task ids named by *depends_on*: ids, or indexes of the *earlier* specs of the same enqueue."""
    if type(depends_on) is tuple and not depends_on:  # the default: no ABC checks
        return ()
    if isinstance(depends_on, (str, bytes)) or not isinstance(depends_on, Sequence):
        raise InvalidOption("depends_on", depends_on, "must be a list of task ids (or indexes of earlier specs)")
    ids: list[str] = []
    for item in depends_on:
        if isinstance(item, int) and not isinstance(item, bool):
            if not 0 <= item < len(earlier):
                raise InvalidOption("depends_on", item, "an index must name an earlier spec of the same enqueue")
            ids.append(earlier[item].id)
        elif isinstance(item, str) and 0 < len(item) <= MAX_KEY_CHARS:
            ids.append(item)
        else:
            raise InvalidOption("depends_on", item, "must be a task id or the index of an earlier spec")
    unique = tuple(dict.fromkeys(ids))
    if len(unique) > MAX_DEPENDENCIES:
        raise InvalidOption("depends_on", len(unique), f"a task may depend on at most {MAX_DEPENDENCIES} tasks")
    return unique


def _filter(
    action: str,
    statuses: Sequence[TaskStatus | str],
    allowed: Sequence[TaskStatus],
    types: Sequence[str] | None,
    created_before: float | None,
    finished_before: float | None,
) -> TaskFilter:
    """The checked filter of a bulk *action*, which applies only to tasks of the *allowed* statuses."""
    if isinstance(statuses, (str, bytes)) or not isinstance(statuses, Sequence) or not statuses:
        raise InvalidOption("statuses", statuses, "must be a non-empty list of statuses")
    wanted = tuple(dict.fromkeys(s for s in map(_status, statuses) if s is not None))
    for status in wanted:
        if status not in allowed:
            names = ", ".join(s.value for s in allowed)
            raise InvalidOption("statuses", status.value, f"only tasks that are {names} can be {action}d")
    if types is not None and (
        isinstance(types, (str, bytes)) or not isinstance(types, Sequence) or not all(isinstance(t, str) for t in types)
    ):
        raise InvalidOption("types", types, "must be a list of task type names, or None for all")
    for name, value in (("created_before", created_before), ("finished_before", finished_before)):
        if value is not None and not _is_number(value):
            raise InvalidOption(name, value, "must be a time in epoch milliseconds, or None")
    return TaskFilter(wanted, None if types is None else frozenset(types), created_before, finished_before)


def _meta(meta: object) -> TaskMeta:
    """A copy of the *meta* given at enqueue (a mapping or ``None``), checked; raise :class:`InvalidMeta`."""
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise InvalidMeta(f"expected a mapping of text keys to JSON data, got {type(meta).__name__}")
    try:
        return check_meta(dict(meta))
    except NotJSONData as e:
        raise InvalidMeta(str(e)) from None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _status(value: TaskStatus | str | None) -> TaskStatus | None:
    if value is None or isinstance(value, TaskStatus):
        return value
    try:
        return TaskStatus(value)
    except ValueError:
        names = ", ".join(s.value for s in TaskStatus)
        raise InvalidOption("status", value, f"must be one of {names}") from None

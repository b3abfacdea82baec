"""How tasks are laid out in IndexedDB: the schema migrations and the shape of a row.

The ``tasks`` store is keyed by ``seq``, the enqueue sequence number, handed
out by the store's own key generator (``autoIncrement``): an enqueue writes its
rows without a number and the browser numbers each one in the request that
writes it, so nothing is read before the write. The generator's number never
goes down (not after deleting rows, not after ``clear()``), it is shared by
every connection and tab, and readwrite transactions over the store run one
after another: numbers are given out in commit order and never reused, which is
the FIFO order the queue promises. The ``id`` index (unique) finds a task by
its id: every lookup by id goes through :mod:`.rows`.

A row keeps the task's JSON record (:meth:`~pyqueue.task.Task.to_record`) as
one string, ``data``, because converting a nested dict to JavaScript is slow
and turns ``None`` into ``undefined`` (the key vanishes). The ``seq`` in
``data`` is not trusted: a new row's record is written before its number
exists, so the decoder takes the number from the row's key. Beside ``data`` sit
plain fields, each present only while it applies, and the indexes are key
paths over them (an array key path skips a row that lacks any of its fields),
so every index is sparse and holds just the rows a query wants:

=================== ============================== ===================================
index               key path                       present for
=================== ============================== ===================================
``ready``           ``[ready_pri, seq]``           pending tasks (claim order; ``ready_pri`` is ``-priority``)
``ready_type``      ``[type, ready_pri, seq]``     pending tasks (claim order per type, for limits)
``waits`` (multi)   ``waits``: each id waited on   waiting tasks (found by a dependency that finished)
``due``             ``due``: ``run_at``            scheduled tasks
``lease``           ``lease``: ``lease_until``     processing tasks
``ukey`` (unique)   ``ukey``: ``unique_key``       tasks with a unique key
``id`` (unique)     ``id``                         every task (lookups by id)
``status_seq``      ``[status, seq]``              every task (list and count by status)
``status_type``     ``[status, type]``             every task (stats)
``status_finished`` ``[status, finished_at]``      finished tasks (purge by status and age)
``finished``        ``[finished_at, seq]``         finished tasks (recently finished first)
``parked``          ``[parked, seq]``              parked tasks (``parked`` is 0 while parked)
=================== ============================== ===================================

The ``meta`` store holds the recent start times of each rate-limited type
under ``"rate:<type>"`` (:mod:`pyqueue.limits`). Versions 1 and 2 also kept the
last sequence number there, under ``"seq"``; version 3 carries it over into the
key generator and deletes it.

Rows are read as untrusted: an older version, an extension, a bug or a hand in
devtools may have written them. ``data`` is scanned for depth before it is
parsed (:mod:`pyqueue.untrusted`), the task must carry the id its row is
indexed under, and the key must be a whole number in the safe range.

This module is plain Python apart from the migration steps, which call the
IndexedDB API on the objects they are given.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from .. import transitions
from ..clock import wall_clock
from ..jsondata import RECORD_DEPTH, NotJSONData, dumps
from ..task import MAX_SEQ, BrokenRecord, Task, TaskStatus
from ..untrusted import loads

TASKS = "tasks"
META = "meta"
SEQ_KEY = "seq"
"""Where versions 1 and 2 kept the last sequence number in ``meta`` (read once, by the version 3 migration)."""

# Fields of a row (besides ``data``); ``seq`` is its key.
ID = "id"
SEQ = "seq"
STATUS = "status"
TYPE = "type"
READY_PRI = "ready_pri"
WAITS = "waits"
DUE = "due"
LEASE = "lease"
UKEY = "ukey"
FINISHED_AT = "finished_at"
PARKED = "parked"

# Indexes (a name that is also a field is a single-field index on it).
READY = "ready"
READY_TYPE = "ready_type"
STATUS_SEQ = "status_seq"
STATUS_TYPE = "status_type"
STATUS_FINISHED = "status_finished"
FINISHED = "finished"

INDEXES: dict[str, str | list[str]] = {
    READY: [READY_PRI, SEQ],
    READY_TYPE: [TYPE, READY_PRI, SEQ],
    DUE: DUE,
    LEASE: LEASE,
    STATUS_SEQ: [STATUS, SEQ],
    STATUS_TYPE: [STATUS, TYPE],
    STATUS_FINISHED: [STATUS, FINISHED_AT],
    FINISHED: [FINISHED_AT, SEQ],
    PARKED: [PARKED, SEQ],
}
"""The plain indexes of the ``tasks`` store and their key paths; ``waits``, ``ukey`` and ``id`` have options."""

Row = dict[str, Any]


def encode(task: Task, *, numbered: bool = True) -> Row:
    """Return the row that stores *task*, with the fields its indexes read.

    A row for a new task is written with ``numbered=False``: it has no ``seq``,
    and the store's key generator gives it the next number as it is written.
    """
    row: Row = {
        ID: task.id,
        "data": dumps(task.to_record(), path="task", max_depth=RECORD_DEPTH),
        STATUS: task.status.value,
        TYPE: task.type,
    }
    if numbered:
        row[SEQ] = task.seq
    if task.status is TaskStatus.PENDING:
        row[READY_PRI] = -task.priority
    elif task.status is TaskStatus.WAITING:
        row[WAITS] = list(task.waiting_on)
    elif task.status is TaskStatus.SCHEDULED:
        row[DUE] = task.run_at
        if task.parked is not None:
            row[PARKED] = 0
    elif task.status is TaskStatus.PROCESSING:
        # No lease at all (an imported row) counts as expired: first in line for recovery.
        row[LEASE] = -math.inf if task.lease_until is None else task.lease_until
    if task.finished_at is not None:  # set for finished tasks (an imported row may have it on any)
        row[FINISHED_AT] = task.finished_at
    if task.unique_key is not None:
        row[UKEY] = task.unique_key
    return row


def decode(data: object, task_id: object, seq: object) -> Task:
    """Rebuild the task of a row from its ``data``, ``id`` and key *seq*; raise :class:`~pyqueue.task.BrokenRecord`.

    A task whose id is not the one its row is indexed under would be written
    back under its own id by every claim while the row it came from stayed
    pending: one task run in a tight loop. So that is a broken row too.
    """
    number = sequence_number(seq)
    if number is None:
        raise BrokenRecord(f"its key {SEQ!r} holds {describe_key(seq)} where pyqueue writes a whole number")
    task = decode_record(data, task_id)
    return task if task.seq == number else task.replace(seq=number)


def decode_record(data: object, task_id: object) -> Task:
    """The task in *data*, which must carry the id *task_id*; its ``seq`` is the record's own."""
    task = Task.from_record(parse(data))
    if task.id != task_id:
        raise BrokenRecord(
            f"the row is stored under the key {describe_key(task_id)} but its data has the id {task.id!r}"
        )
    return task


def parse(data: object) -> object:
    """Return the JSON record held in a row's ``data``, or raise :class:`~pyqueue.task.BrokenRecord`."""
    if not isinstance(data, str):
        raise BrokenRecord("row has no 'data' text holding the task's JSON record")
    try:
        return loads(data, what="row data", max_depth=RECORD_DEPTH)
    except NotJSONData as e:
        raise BrokenRecord(str(e)) from None


def describe_key(key: object) -> str:
    """A row key for a message: pyqueue writes only string ids, anything else is named by its kind."""
    if isinstance(key, str):
        return repr(key) if len(key) <= 80 else repr(key[:77]) + "..."
    return f"<a key of type {type(key).__name__}>"


def sequence_number(value: object) -> int | None:
    """*value* as a sequence number, or ``None`` if it is not a whole number from 0 to :data:`MAX_SEQ`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not (math.isfinite(value) and value == int(value) and 0 <= value <= MAX_SEQ):
        return None
    return int(value)


def counter(value: object) -> int:
    """The sequence counter read from ``meta``, or 0 if it is not a whole number from 0 to :data:`MAX_SEQ`.

    0 means "unknown": the highest number stored is used instead, so a counter
    set to text, ``NaN`` or ``1e300`` never numbers tasks past what can be listed.
    """
    number = sequence_number(value)
    return 0 if number is None else number


NUMBER_FIELDS = (READY_PRI, DUE, LEASE, SEQ, PARKED)
"""Fields that pyqueue only ever writes as numbers."""


def index_problem(fields: dict[str, object]) -> str | None:
    """What is wrong with a row's index fields (``None`` if nothing): *fields* maps names to values, absent as None.

    A row whose index fields pyqueue could not have written (text where a
    number belongs) came from somewhere else: it is quarantined rather than
    trusted and run.
    """
    for name, value in fields.items():
        if value is None:
            continue
        if name in NUMBER_FIELDS and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return f"its index field {name!r} holds a {type(value).__name__} where pyqueue writes a number"
    return None


def quarantined(task_id: object, data: object, reason: str, now: float) -> Task:
    """The failed task that replaces a broken row indexed under *task_id*, naming the *reason*.

    The task keeps the row's id if it is text (so it can be rewritten in
    place; else it gets a ``broken-...`` id) and whatever of its record can be
    read, its ``seq`` included if sound (else 0).
    """
    try:
        raw = parse(data)
    except BrokenRecord:
        raw = {}
    record = {**raw, "id": task_id} if isinstance(raw, dict) else {"id": task_id}
    return Task.from_record(transitions.quarantine(record, reason=reason, now=now))


class Renumbering:
    """Which number each task copied into the version 3 store keeps, decided row by row (pure).

    A task keeps its ``seq`` unless an earlier copied task has it (two rows of
    version 2 could share a number: an import keeps the numbers of its
    records); such a task, and one whose unique key an earlier task holds
    (possible only in rows written by hand), are held back and numbered after
    every other row and after the old counter, in their old order. The new
    store is keyed by the number, so a shared one would overwrite a task.
    """

    def __init__(self, now: float) -> None:
        self._now = now
        self._seqs: set[int] = set()
        self._holders: dict[str, str] = {}
        self._later: list[Task] = []

    def take(self, data: object, task_id: object) -> Task | None:
        """The task of an old row, to write under its own number; ``None`` if it is held back."""
        try:
            task = decode_record(data, task_id)
        except BrokenRecord as e:
            task = quarantined(task_id, data, str(e), self._now)
        if task.unique_key is not None:
            holder = self._holders.setdefault(task.unique_key, task.id)
            if holder != task.id:
                reason = f"its unique key {task.unique_key!r} is held by task {holder!r}"
                self._later.append(quarantined(task.id, data, reason, self._now))
                return None
        if task.seq in self._seqs:
            self._later.append(task)
            return None
        self._seqs.add(task.seq)
        return task

    def finish(self, stored_counter: object) -> tuple[int | None, list[Task]]:
        """The number the key generator must pass (``None`` if the rows already pass it), and the tasks held back.

        The old counter may be above every row (after ``clear()``, or a purge of
        the newest tasks): numbers up to it were given out, so none is reused.
        """
        top = counter(stored_counter)
        past = top if top > max(self._seqs, default=0) else None
        return past, sorted(self._later, key=lambda t: t.seq)


@dataclass(frozen=True, slots=True)
class Places:
    """Where an import writes its tasks (see :func:`place_imports`), in the order to issue the requests."""

    delete: list[object]
    """Keys of stored rows whose task moves to another number (deleted first: ids are unique)."""
    keep: list[Task]
    """Tasks written under their own numbers."""
    fresh: list[Task]
    """Tasks numbered afresh by the key generator, after the others: their number is taken."""


def place_imports(tasks: Sequence[Task], stored_at: Mapping[str, object], occupied: Set[int]) -> Places:
    """Place imported *tasks* (pure): keep each one's number unless another row, stored or imported, holds it.

    *stored_at* maps the ids already stored to their rows' keys, *occupied*
    holds the numbers of the tasks that are keys of stored rows. The store is
    keyed by the number, so two tasks under one number would be one task
    overwriting the other: the later one is numbered afresh instead.
    """
    taken = set(occupied)
    places = Places([], [], [])
    for task in tasks:
        own = stored_at.get(task.id)
        if own is not None and own != task.seq:
            places.delete.append(own)
        if own == task.seq or task.seq not in taken:
            places.keep.append(task)
            taken.add(task.seq)
        else:
            places.fresh.append(task)
    return places


# --------------------------------------------------------------------------- migrations

Migration = Callable[[Any, Any], None]
"""One schema step, ``step(db, tx)``, run inside the version-change transaction.

A step may create or delete stores and indexes; one that must rewrite rows
reads them in the callbacks of requests on ``tx`` and chains each write there
(no await: the version-change transaction is a transaction like any other).
"""

COPY_CHUNK = 500
"""Rows read per request while version 3 copies the tasks: one callback per chunk, never all rows at once."""

NEW_TASKS = "tasks_by_seq"
"""The version 3 store's name while the old ``tasks`` store still exists (renamed to ``tasks`` at the end)."""


def _create_stores(db: Any, tx: Any) -> None:
    tasks = db.createObjectStore(TASKS, keyPath="id")
    for name in (READY, DUE, LEASE, SEQ, STATUS_SEQ, STATUS_TYPE, STATUS_FINISHED, FINISHED, PARKED):
        tasks.createIndex(name, name)
    tasks.createIndex(UKEY, UKEY, unique=True)
    db.createObjectStore(META)


def _index_limits_and_dependencies(db: Any, tx: Any) -> None:
    """Version 2: the per-type claim order (for limits) and the dependants' index.

    Version 2 also re-indexed its pending rows here. Nothing can stop at
    version 2 any more: version 3 rewrites every row from its ``data`` right
    after this step, in the same transaction, so the rows are left to it.
    """
    tasks = tx.objectStore(TASKS)
    tasks.createIndex(READY_TYPE, READY_TYPE)
    tasks.createIndex(WAITS, WAITS, multiEntry=True)


def create_tasks_store(db: Any, name: str = TASKS) -> Any:
    """Create the version 3 ``tasks`` store, keyed by its own key generator, with every index."""
    from .idb import js_array

    tasks = db.createObjectStore(name, keyPath=SEQ, autoIncrement=True)
    for index, path in INDEXES.items():
        tasks.createIndex(index, js_array(path) if isinstance(path, list) else path)
    tasks.createIndex(WAITS, WAITS, multiEntry=True)
    tasks.createIndex(UKEY, UKEY, unique=True)
    tasks.createIndex(ID, ID, unique=True)
    return tasks


def _key_tasks_by_their_number(db: Any, tx: Any) -> None:
    """Version 3: the ``tasks`` store keyed by ``seq`` from its own key generator, every row copied.

    Every old row is read in chunks and written to a new store under its own
    number (explicit keys, which also raise the generator past them); then
    the old counter is carried over (a row put at that number and deleted: the
    generator never goes back), the held-back rows get the next numbers, the
    counter is deleted, the old store deleted and the new one renamed. All in
    the version-change transaction, chained in callbacks: should anything fail,
    the whole upgrade aborts and the database stays at its old version.
    """
    import js
    from pyodide.ffi import create_once_callable

    from .idb import js_object

    old, meta = tx.objectStore(TASKS), tx.objectStore(META)
    new = create_tasks_store(db, NEW_TASKS)
    renumbering = Renumbering(wall_clock())
    stored_counter = meta.get(SEQ_KEY)

    def read_after(key: Any) -> None:
        after = None if key is None else js.IDBKeyRange.lowerBound(key, True)
        old.getAll(after, COPY_CHUNK).onsuccess = create_once_callable(copy)

    def copy(event: Any) -> None:
        rows = event.target.result
        for row in rows:
            task = renumbering.take(getattr(row, "data", None), getattr(row, "id", None))
            if task is not None:
                new.put(js_object(encode(task)))
        if rows.length == COPY_CHUNK:
            read_after(rows[rows.length - 1].id)  # the old store's key path is "id"
        else:
            finish()

    def finish() -> None:
        past, later = renumbering.finish(stored_counter.result)
        if past is not None:
            new.put(js_object({SEQ: past}))
            new.delete(past)
        for task in later:
            new.put(js_object(encode(task, numbered=False)))
        meta.delete(SEQ_KEY)
        db.deleteObjectStore(TASKS)
        new.name = TASKS

    read_after(None)


MIGRATIONS: dict[int, Migration] = {
    1: _create_stores,
    2: _index_limits_and_dependencies,
    3: _key_tasks_by_their_number,
}
"""The step that brings the schema from version ``n - 1`` to ``n``, for every ``n`` up to the current version."""


def upgrade(db: Any, tx: Any, old_version: int, new_version: int) -> None:
    """Run every step from *old_version* to *new_version* in order, keeping all rows.

    A new database is made at the latest version directly: the copy of version
    3 would have nothing to copy, and the stores of versions 1 and 2 would only
    be deleted.
    """
    if old_version == 0 and new_version == max(MIGRATIONS):
        create_tasks_store(db)
        db.createObjectStore(META)
        return
    for version in range(old_version + 1, new_version + 1):
        MIGRATIONS[version](db, tx)

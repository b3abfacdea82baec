"""How tasks are laid out in IndexedDB: the schema migrations and the shape of a row.

A row keeps the task's JSON record (:meth:`~pyqueue.task.Task.to_record`) as
one string, ``data``, because converting a nested dict to JavaScript is slow
and turns ``None`` into ``undefined`` (the key vanishes). Beside it sit flat
index fields, each present only while it applies, so every index is sparse and
holds just the rows a query wants:

=================== ============================ ===================================
index               key                          present for
=================== ============================ ===================================
``ready``           ``[-priority, seq]``         pending tasks (claim order)
``ready_type``      ``[type, -priority, seq]``   pending tasks (claim order per type, for limits)
``waits`` (multi)   each id of ``waiting_on``    waiting tasks (found by a dependency that finished)
``due``             ``run_at``                   scheduled tasks
``lease``           ``lease_until``              processing tasks
``ukey`` (unique)   ``unique_key``               tasks with a unique key
``seq``             ``seq``                      every task (newest first, export)
``status_seq``      ``[status, seq]``            every task (list and count by status)
``status_type``     ``[status, type]``           every task (stats)
``status_finished`` ``[status, finished_at]``    finished tasks (purge by status and age)
``finished``        ``[finished_at, seq]``       finished tasks (recently finished first)
``parked``          ``seq``                      parked tasks (scheduled, waiting to be unparked)
=================== ============================ ===================================

The ``meta`` store holds the last enqueue sequence number under ``"seq"``, and
the recent start times of each rate-limited type under ``"rate:<type>"``
(:mod:`pyqueue.limits`).

Rows are read as untrusted: an older version, an extension, a bug or a hand in
devtools may have written them. ``data`` is scanned for depth before it is
parsed (:mod:`pyqueue.untrusted`), the task must carry the id its row is
stored under, and the counter in ``meta`` is used only if it is a whole number
in the safe range (else the ``seq`` index alone says where numbering resumes).

This module is plain Python apart from the migration steps, which call the
IndexedDB API on the objects they are given.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import transitions
from ..clock import wall_clock
from ..jsondata import RECORD_DEPTH, NotJSONData, dumps
from ..ordering import claim_key
from ..task import MAX_SEQ, BrokenRecord, Task, TaskStatus
from ..untrusted import loads

TASKS = "tasks"
META = "meta"
SEQ_KEY = "seq"

READY = "ready"
READY_TYPE = "ready_type"
WAITS = "waits"
DUE = "due"
LEASE = "lease"
UKEY = "ukey"
SEQ = "seq"
STATUS_SEQ = "status_seq"
STATUS_TYPE = "status_type"
STATUS_FINISHED = "status_finished"
FINISHED = "finished"
PARKED = "parked"

Row = dict[str, Any]


def encode(task: Task) -> Row:
    """Return the row that stores *task*, with the index fields that apply to it."""
    status = task.status.value
    row: Row = {
        "id": task.id,
        "data": dumps(task.to_record(), path="task", max_depth=RECORD_DEPTH),
        SEQ: task.seq,
        STATUS_SEQ: [status, task.seq],
        STATUS_TYPE: [status, task.type],
    }
    if task.status is TaskStatus.PENDING:
        row[READY] = claim_key(task)
        row[READY_TYPE] = [task.type, *claim_key(task)]
    elif task.status is TaskStatus.WAITING:
        row[WAITS] = list(task.waiting_on)
    elif task.status is TaskStatus.SCHEDULED:
        row[DUE] = task.run_at
        if task.parked is not None:
            row[PARKED] = task.seq
    elif task.status is TaskStatus.PROCESSING:
        # No lease at all (an imported row) counts as expired: first in line for recovery.
        row[LEASE] = -math.inf if task.lease_until is None else task.lease_until
    if task.finished_at is not None:  # set for finished tasks (an imported row may have it on any)
        row[STATUS_FINISHED] = [status, task.finished_at]
        row[FINISHED] = [task.finished_at, task.seq]
    if task.unique_key is not None:
        row[UKEY] = task.unique_key
    return row


def decode(data: object, key: object) -> Task:
    """Rebuild the task from the ``data`` of the row stored under *key*; raise :class:`~pyqueue.task.BrokenRecord`.

    A task whose id is not its row's key would be written back under its own
    id by every claim while the row it came from stayed pending: one task run
    in a tight loop. So that is a broken row too.
    """
    task = Task.from_record(parse(data))
    if task.id != key:
        raise BrokenRecord(f"the row is stored under the key {describe_key(key)} but its data has the id {task.id!r}")
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
    """A row key for a message: pyqueue writes only string keys, anything else is named by its kind."""
    if isinstance(key, str):
        return repr(key) if len(key) <= 80 else repr(key[:77]) + "..."
    return f"<a key of type {type(key).__name__}>"


def counter(value: object) -> int:
    """The sequence counter read from ``meta``, or 0 if it is not a whole number from 0 to :data:`MAX_SEQ`.

    0 means "unknown": callers take the highest number in the ``seq`` index
    instead, so a counter set to text, ``NaN`` or ``1e300`` never fails an
    enqueue nor numbers new tasks past what can be listed.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0
    if not (math.isfinite(value) and value == int(value) and 0 <= value <= MAX_SEQ):
        return 0
    return int(value)


NUMBER_FIELDS = (DUE, LEASE, SEQ, PARKED)
"""Index fields that pyqueue only ever writes as numbers."""


def index_problem(fields: dict[str, object]) -> str | None:
    """What is wrong with a row's index fields (``None`` if nothing): *fields* maps names to values, absent as None.

    A row whose index fields pyqueue could not have written (text where a
    number belongs, a scalar where the ``ready`` key is a pair) came from
    somewhere else: it is quarantined rather than trusted and run.
    """
    for name, value in fields.items():
        if value is None:
            continue
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if name in NUMBER_FIELDS and not is_number:
            return f"its index field {name!r} holds a {type(value).__name__} where pyqueue writes a number"
        if name == READY and isinstance(value, (str, int, float, bool)):
            return f"its index field {name!r} holds a {type(value).__name__} where pyqueue writes a pair of numbers"
    return None


def quarantined(key: str, data: object, reason: str, now: float) -> Task:
    """The failed task that replaces a broken row stored under *key*, naming the *reason*.

    The row keeps its key (so it can be rewritten in place) and whatever of
    its record can be read.
    """
    try:
        raw = parse(data)
    except BrokenRecord:
        raw = {}
    record = {**raw, "id": key} if isinstance(raw, dict) else {"id": key}
    return Task.from_record(transitions.quarantine(record, reason=reason, now=now))


# --------------------------------------------------------------------------- migrations

Migration = Callable[[Any, Any], None]
"""One schema step, ``step(db, tx)``, run inside the version-change transaction.

A step may create or delete stores and indexes; one that must rewrite rows
opens a cursor on ``tx`` and chains each write in the cursor's callbacks (no
await: the version-change transaction is a transaction like any other).
"""


def _create_stores(db: Any, tx: Any) -> None:
    tasks = db.createObjectStore(TASKS, keyPath="id")
    for name in (READY, DUE, LEASE, SEQ, STATUS_SEQ, STATUS_TYPE, STATUS_FINISHED, FINISHED, PARKED):
        tasks.createIndex(name, name)
    tasks.createIndex(UKEY, UKEY, unique=True)
    db.createObjectStore(META)


def _index_limits_and_dependencies(db: Any, tx: Any) -> None:
    """Version 2: the per-type claim order (for limits) and the dependants' index; pending rows are re-indexed."""
    from pyodide.ffi import create_once_callable

    from .idb import js_object

    tasks = tx.objectStore(TASKS)
    tasks.createIndex(READY_TYPE, READY_TYPE)
    tasks.createIndex(WAITS, WAITS, multiEntry=True)

    def reindex(event: Any) -> None:
        for row in event.target.result:
            data, key = getattr(row, "data", None), getattr(row, "id", None)
            try:
                task = decode(data, key)
            except BrokenRecord as e:
                if not isinstance(key, str):
                    continue  # pyqueue writes only string ids: left alone, as every store method does
                task = quarantined(key, data, str(e), wall_clock())  # a claim under limits would never reach it
            tasks.put(js_object(encode(task)))

    tasks.index(READY).getAll().onsuccess = create_once_callable(reindex)


MIGRATIONS: dict[int, Migration] = {
    1: _create_stores,
    2: _index_limits_and_dependencies,
}
"""The step that brings the schema from version ``n - 1`` to ``n``, for every ``n`` up to the current version."""


def upgrade(db: Any, tx: Any, old_version: int, new_version: int) -> None:
    """Run every step from *old_version* to *new_version* in order, keeping all rows."""
    for version in range(old_version + 1, new_version + 1):
        MIGRATIONS[version](db, tx)

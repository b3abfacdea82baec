"""Reading and writing task rows: the only code that knows a row is keyed by its ``seq``, not its id.

Every store method (and anything else that touches the ``tasks`` store) finds a
task's row with :func:`by_id` (or its key with :func:`key_of`) and writes one
with :func:`put` (a stored task, under its number) or :func:`put_new` (a new
task, numbered by the store's key generator), and deletes one with :func:`delete`.
``store.get(task_id)`` or ``store.delete(task_id)`` would look
the id up as a key and silently find nothing.

A row read back as this page wrote it is not decoded again (:func:`decode`):
the runner reads every task it claimed once more to record its outcome, and
the decode (parsing and checking every field) was the largest part of the
Python work per task after the conversions to JavaScript.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from ..task import Task
from . import schema
from .idb import Transaction, js_object

MEMO_ROWS = 2048
"""How many of the rows this page wrote last are remembered (the newest), to be read back without a decode.

Enough for a batch enqueued here to be claimed from the memo, oldest first (the
claim order), up to about this many tasks.
"""

MEMO_MAX_CHARS = 8 * 1024
"""A row whose ``data`` is longer is not remembered."""

MEMO_TOTAL_CHARS = 4 * 1024 * 1024
"""The ``data`` of every remembered row together stays under this, so the memo stays small."""

_written: dict[str, tuple[str, int, Task]] = {}
"""The newest rows written by :func:`put` or numbered by :func:`numbered`, by task id: ``(data, seq, task)``,
oldest first."""

_chars = 0
"""The characters of ``data`` in ``_written``."""


class NewRow(NamedTuple):
    """A row written by :func:`put_new`: its request (whose result is the row's number) and its ``data``."""

    request: Any
    data: str


def by_id(store: Any, task_id: str) -> Any:
    """The request for the row of the task with this id (its result is the row, or nothing)."""
    return store.index(schema.ID).get(task_id)


def key_of(store: Any, task_id: str) -> Any:
    """The request for the key (``seq``) of the row of the task with this id (its result is the key, or nothing)."""
    return store.index(schema.ID).getKey(task_id)


def put(store: Any, task: Task) -> Task:
    """Write *task* over its row (the one keyed by ``task.seq``) and return it as written.

    The task is returned as it is: it is JSON data already (the queue and the
    runner check payloads and results), so decoding the row again would only cost time.
    """
    row = schema.encode(task)
    store.put(js_object(row))
    remember(row["data"], task)
    return task


def put_new(store: Any, task: Task) -> NewRow:
    """Write a new row for *task*, numbered by the key generator; the request's result is its ``seq``."""
    row = schema.encode(task, numbered=False)
    return NewRow(store.put(js_object(row)), row["data"])


def numbered(new: NewRow, task: Task) -> Task:
    """*task* under the number its row got (once the transaction of :func:`put_new` committed), remembered.

    The runner of the tab that enqueued a task then claims it without a decode.
    """
    task = task.replace(seq=int(new.request.result))
    remember(new.data, task)
    return task


def delete(tx: Transaction[Any], store: Any, task_id: str) -> None:
    """Delete the row of the task with this id, looking its key up in the same transaction.

    Not ``store.delete(task.seq)``: a task read from a hand-written row keyed
    by something other than a number does not carry its row's key.
    """
    tx.then(key_of(store, task_id), lambda key: None if key is None else store.delete(key))


def remember(data: str, task: Task) -> None:
    """Note that *task*'s row now holds *data*, so :func:`decode` can read it back without parsing."""
    global _chars
    old = _written.pop(task.id, None)  # written again: it moves to the newest end
    if old is not None:
        _chars -= len(old[0])
    if len(data) > MEMO_MAX_CHARS:
        return
    _written[task.id] = (data, task.seq, task)
    _chars += len(data)
    while len(_written) > MEMO_ROWS or _chars > MEMO_TOTAL_CHARS:
        _chars -= len(_written.pop(next(iter(_written)))[0])


def decode(data: object, task_id: object, seq: object) -> Task:
    """:func:`schema.decode <pyqueue.browser.schema.decode>`, without the decode when this page wrote that very row.

    A row whose ``data``, id and key are those of a row :func:`put` wrote holds
    that task: ``schema.decode`` is a function of those three alone, and the
    task was checked before it was written. It is not handed out as it is,
    though: its payload, result, progress and meta are parsed again from
    ``data``, because the task written may share them with a handler that
    changed them since (a dict it got, or returned and kept).
    """
    entry = _written.get(task_id) if isinstance(task_id, str) else None
    if entry is None or entry[0] != data or entry[1] != schema.sequence_number(seq):
        return schema.decode(data, task_id, seq)
    record = json.loads(entry[0])
    return entry[2].replace(
        payload=record["payload"], result=record["result"], progress=record["progress"], meta=record["meta"]
    )

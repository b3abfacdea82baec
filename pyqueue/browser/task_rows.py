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

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..task import Task
from . import schema
from .idb import Transaction, js_object, put_all

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


class NewRows(NamedTuple):
    """Rows written by :func:`put_new_many`: what reads their numbers, chunk by chunk, and their ``data``, in order."""

    results: list[Callable[[], list[Any]]]
    data: list[str]


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


def put_new(store: Any, task: Task) -> Any:
    """Write a new row for *task*, numbered by the key generator; the request's result is its ``seq``."""
    return store.put(js_object(schema.encode(task, numbered=False)))


PUT_CHUNK = 256
"""New rows put by :func:`put_new_many` in one call into JavaScript, and numbered by :func:`numbered` in one turn.

Not all of them at once: IndexedDB writes each row as soon as it is put, on
another thread, while Python encodes the next ones; converting 10,000 rows
before the first put would leave it idle meanwhile, and keep the page from
answering its user.
"""


def put_new_many(tx: Transaction[Any], store: Any, tasks: Sequence[Task]) -> NewRows:
    """:func:`put_new` of each of *tasks*, in order; :func:`numbered` reads their numbers after the commit.

    Each chunk of :data:`PUT_CHUNK` rows crosses to JavaScript, and is put, in
    one call (:func:`~pyqueue.browser.idb.put_all`), where an enqueue of 10,000
    tasks made 10,000 conversions and 10,000 calls of ``put`` through Pyodide.
    The next chunk is encoded and put once the first row of this one is
    written, in that request's callback (the transaction stays active while
    the rest of the chunk is pending): between chunks the page runs, where
    10,000 rows put in one turn kept it from answering for half a second.
    """
    new = NewRows([], [])

    def put_from(start: int) -> None:
        rows = [schema.encode(task, numbered=False) for task in tasks[start : start + PUT_CHUNK]]
        first, results = put_all(store, rows)
        new.results.append(results)
        new.data.extend(row["data"] for row in rows)
        if start + PUT_CHUNK < len(tasks):
            tx.then(first, lambda _seq: put_from(start + PUT_CHUNK))

    if tasks:  # every one may be a unique key's repeat: then nothing is written
        put_from(0)
    return new


async def numbered(new: NewRows, tasks: Sequence[Task]) -> list[Task]:
    """*tasks* under the numbers their rows got (once :func:`put_new_many`'s transaction committed), remembered.

    The runner of the tab that enqueued them then claims them without a decode.
    One chunk of :data:`PUT_CHUNK` tasks a turn of the event loop, so the page runs between them.
    """
    out: list[Task] = []
    for results in new.results:
        if out:
            await asyncio.sleep(0)
        done = len(out)
        chunk = tasks[done : done + PUT_CHUNK]
        out.extend(task.replace(seq=int(seq)) for task, seq in zip(chunk, results(), strict=True))
        for data, task in zip(new.data[done : len(out)], out[done:], strict=True):
            remember(data, task)
    return out


def delete(tx: Transaction[Any], store: Any, task_id: str) -> None:
    """Delete the row of the task with this id, looking its key up in the same transaction.

    Not ``store.delete(task.seq)``: a task read from a hand-written row keyed
    by something other than a number does not carry its row's key.
    """
    tx.then(key_of(store, task_id), lambda key: None if key is None else store.delete(key))


def forget() -> None:
    """Forget every remembered row: the next claims decode what they read, as a tab that did not write them does.

    For measurements that must not depend on which tab wrote the rows (the
    benches' ``depth`` case: a backlog of 100,000 tasks is never in the memo,
    one of 1,000 enqueued by the same page would be).
    """
    global _chars
    _written.clear()
    _chars = 0


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

"""Reading and writing task rows: the only code that knows a row is keyed by its ``seq``, not its id.

Every store method (and anything else that touches the ``tasks`` store) finds a
task's row with :func:`by_id` (or its key with :func:`key_of`) and writes one
with :func:`put` (a stored task, under its number) or :func:`put_new` (a new
task, numbered by the store's key generator), and deletes one with :func:`delete`.
``store.get(task_id)`` or ``store.delete(task_id)`` would look
the id up as a key and silently find nothing.
"""

from __future__ import annotations

from typing import Any

from ..task import Task
from . import schema
from .idb import Transaction, js_object


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
    store.put(js_object(schema.encode(task)))
    return task


def put_new(store: Any, task: Task) -> Any:
    """Write a new row for *task*, numbered by the key generator; the request's result is its ``seq``."""
    return store.put(js_object(schema.encode(task, numbered=False)))


def delete(tx: Transaction[Any], store: Any, task_id: str) -> None:
    """Delete the row of the task with this id, looking its key up in the same transaction.

    Not ``store.delete(task.seq)``: a task read from a hand-written row keyed
    by something other than a number does not carry its row's key.
    """
    tx.then(key_of(store, task_id), lambda key: None if key is None else store.delete(key))

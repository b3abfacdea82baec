"""The memory in IndexedDB: one object store per kind, in its own database next to the queue's.

Thin on purpose: a change reads every store and applies the plain-Python
change (:func:`~web.memory.store.apply_change`) inside the same read-write
transaction, in the request callbacks, never across an ``await`` (see
``shared/notes/browser-interop.md``, section 1). So a change from one tab
never overwrites a change from another: IndexedDB runs overlapping read-write
transactions one after the other. Rows are ``{"id", "data"}`` with the record
as JSON text, as the queue's store does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any, TypeVar

from pyqueue.browser.idb import Connection, Transaction, js_object, open_database, transaction

from .model import STORES, Memory, SetAside
from .reader import BadRecord, Records, decode_row, label, load
from .store import apply_change

R = TypeVar("R")
SCHEMA_VERSION = 1


def _upgrade(db: Any, _tx: Any, old_version: int, _new_version: int) -> None:
    if old_version < 1:
        for name in STORES:
            db.createObjectStore(name, keyPath="id")


def _rows(results: list[Any]) -> tuple[Records, list[SetAside]]:
    """The records in each store's rows (as ``getAll`` returned them), and the rows that hold none."""
    records: Records = {}
    unreadable: list[SetAside] = []
    for name, rows in zip(STORES, results, strict=True):
        kept = records.setdefault(name, [])
        for row in rows:
            key = _py(getattr(row, "id", None))
            try:
                kept.append(decode_row(name, key, getattr(row, "data", None)))
            except BadRecord as e:
                unreadable.append(SetAside(name, label(key), str(e)))
    return records, unreadable


def _py(value: Any) -> object:
    """A row's key as a Python value (an array key becomes a list)."""
    return value.to_py() if hasattr(value, "to_py") else value


class IndexedDBMemory:
    """:class:`~web.memory.store.MemoryBackend` on IndexedDB; make one with :meth:`opening` or :meth:`open`."""

    def __init__(self, connection: asyncio.Future[Connection]) -> None:
        self._connection = connection

    @classmethod
    def opening(cls, name: str) -> IndexedDBMemory:
        """The memory of database *name*, opening in the background: its first call waits for the open.

        The page opens it beside the queue's database rather than before it, so
        a due task does not wait for two opens in a row; :meth:`opened` says
        whether the open worked.
        """
        return cls(asyncio.ensure_future(open_database(name, SCHEMA_VERSION, _upgrade)))

    @classmethod
    async def open(cls, name: str) -> IndexedDBMemory:
        memory = cls.opening(name)
        await memory.opened()
        return memory

    async def opened(self) -> None:
        """Wait for the open; raise what it raised (e.g. :class:`~pyqueue.UpgradeBlocked`)."""
        await self._connection

    def close(self) -> None:
        """Close the connection once it is open (an open that failed has nothing to close)."""

        def close_opened(done: asyncio.Future[Connection]) -> None:
            if not done.cancelled() and done.exception() is None:
                done.result().close()

        self._connection.add_done_callback(close_opened)

    async def _run(self, mode: str, body: Callable[[Transaction[Any]], Any]) -> Any:
        connection = await self._connection
        return await transaction(connection.db(), STORES, mode, body)

    async def read(self) -> Memory:
        def body(tx: Transaction[list[Memory]]) -> list[Memory]:
            out: list[Memory] = []
            tx.gather(
                [tx.store(name).getAll() for name in STORES], lambda results: out.append(load(*_rows(results))[0])
            )
            return out

        out: list[Memory] = await self._run("readonly", body)
        return out[0]

    async def change(self, fn: Callable[[Memory], R]) -> R:
        def body(tx: Transaction[list[R]]) -> list[R]:
            out: list[R] = []

            def apply(results: list[Any]) -> None:
                records, unreadable = _rows(results)
                result, writes = apply_change(records, fn, unreadable)
                for store_name, (puts, deletes) in writes.items():
                    store = tx.store(store_name)
                    for key in deletes:
                        store.delete(key)
                    for record in puts:
                        store.put(js_object(_row(record)))
                out.append(result)

            tx.gather([tx.store(name).getAll() for name in STORES], apply)
            return out

        out: list[R] = await self._run("readwrite", body)
        return out[0]

    async def put_records(self, records: Records) -> list[SetAside]:
        memory, _loaded = load(records)

        def body(tx: Transaction[None]) -> None:
            for store_name, rows in memory.to_records().items():
                store = tx.store(store_name)
                for record in rows:
                    store.put(js_object(_row(record)))

        await self._run("readwrite", body)
        return memory.set_aside

    async def clear(self) -> None:
        def body(tx: Transaction[None]) -> None:
            for name in STORES:
                tx.store(name).clear()

        await self._run("readwrite", body)


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return {"id": record["id"], "data": json.dumps(record, ensure_ascii=False, separators=(",", ":"))}

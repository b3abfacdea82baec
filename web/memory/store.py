"""Where the memory lives: a small protocol, and an in-memory backend for tests and for pages without IndexedDB.

A change is a plain function applied to a fresh snapshot inside one atomic
step (one IndexedDB read-write transaction in the browser), so two tabs
changing the memory at once never lose each other's writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Protocol, TypeVar

from .model import JSON, Memory, SetAside, diff
from .reader import Records, load

R = TypeVar("R")


class MemoryBackend(Protocol):
    async def read(self) -> Memory:
        """A consistent snapshot of the whole memory; records that break a reader rule are in its ``set_aside``."""
        ...

    async def change(self, fn: Callable[[Memory], R]) -> R:
        """Apply ``fn(snapshot)`` (which changes the snapshot in place) atomically; return what it returned.

        *fn* must not await; if it raises, nothing is written.
        """
        ...

    async def put_records(self, records: Records) -> list[SetAside]:
        """Write the records that pass the reader rules (import), replacing records with the same id, all or nothing.

        Return those set aside (not written).
        """
        ...

    async def clear(self) -> None:
        """Delete everything."""
        ...


Writes = dict[str, tuple[list[dict[str, JSON]], list[str]]]


def apply_change(records: Records, fn: Callable[[Memory], R], set_aside: list[SetAside]) -> tuple[R, Writes]:
    """Run *fn* on the snapshot held in *records*; return its result and the writes it implies.

    The writes are diffed against the records that were loaded, so a record set
    aside by the reader (and *set_aside*, rows that could not be decoded) is
    neither rewritten nor deleted.
    """
    memory, loaded = load(records, set_aside)  # immutable records: *fn* cannot change *records* through them
    result = fn(memory)
    return result, diff(loaded, memory.to_records())


class InMemoryBackend:
    """:class:`MemoryBackend` over plain dicts, keeping records in their JSON form like IndexedDB does."""

    def __init__(self) -> None:
        self._records: dict[str, dict[str, dict[str, JSON]]] = {}

    def _snapshot(self) -> Records:
        return {store: list(rows.values()) for store, rows in self._records.items()}

    async def read(self) -> Memory:
        memory, _loaded = load(json.loads(json.dumps(self._snapshot())))
        return memory

    async def change(self, fn: Callable[[Memory], R]) -> R:
        result, writes = apply_change(self._snapshot(), fn, [])
        for store, (puts, deletes) in writes.items():
            rows = self._records.setdefault(store, {})
            for key in deletes:
                rows.pop(key, None)
            for record in puts:
                rows[record["id"]] = json.loads(json.dumps(record))
        return result

    async def put_records(self, records: Records) -> list[SetAside]:
        memory, _loaded = load(records)
        for store, rows in memory.to_records().items():
            for record in rows:
                self._records.setdefault(store, {})[record["id"]] = record
        return memory.set_aside

    async def clear(self) -> None:
        self._records.clear()

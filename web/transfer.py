"""Export and import: the whole queue (every task with its history) and the memory, as one JSON document.

The document is checked on import before anything is written, and each part is
written in one step (the queue's ``put_records``, the memory's ``put_records``),
so a bad file changes nothing. A memory record of the wrong shape does not fail
the import: it is set aside (:mod:`web.memory.reader`), and the import says how
many and why.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from .memory import reader
from .memory.model import STORES, SetAside

FORMAT = "pyqueue-memory-export"
VERSION = 1


class TransferError(ValueError):
    """Raised when an import file is not an export of this app; the message says what is wrong."""


def build_export(
    tasks: list[dict[str, Any]], memory: dict[str, list[dict[str, Any]]], *, now: float, source: str
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": now,
        "source": source,
        "queue": {"tasks": tasks},
        "memory": memory,
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Imported:
    tasks: list[dict[str, Any]]
    memory: dict[str, list[dict[str, Any]]]
    """The memory records that pass the reader rules, per store."""
    memory_set_aside: tuple[SetAside, ...] = ()
    """The memory records that do not, with the reason: they are not imported."""

    def memory_answer(self) -> dict[str, Any]:
        """What became of the memory records, for the import's JSON answer.

        ``memory``: how many were imported; ``memory_set_aside``: those that were
        not, each with its store, id and reason; ``memory_report``: one sentence
        saying so for the page, ``""`` when every record was imported.
        """
        return {
            "memory": sum(len(rows) for rows in self.memory.values()),
            "memory_set_aside": [dataclasses.asdict(s) for s in self.memory_set_aside],
            "memory_report": reader.describe(list(self.memory_set_aside)),
        }


def without_held_keys(tasks: list[dict[str, Any]], held: dict[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Split off the tasks whose unique key a different task holds (in *held*, or earlier in *tasks*).

    Returns the tasks to store and the ids of those skipped. A unique key means
    "one such task": storing a second one would run the same job twice.
    """
    holders = dict(held)
    keep, skipped = [], []
    for task in tasks:
        key = task.get("unique_key")
        if isinstance(key, str) and holders.setdefault(key, task["id"]) != task["id"]:
            skipped.append(task["id"])
        else:
            keep.append(task)
    return keep, skipped


def parse(text: str) -> Imported:
    """Read an export; raise :class:`TransferError` naming the first problem."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise TransferError(f"the file is not JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise TransferError(f"the file is not a {FORMAT} document")
    if doc.get("version") != VERSION:
        raise TransferError(f"export version {doc.get('version')!r} is not supported (this page reads {VERSION})")
    queue = doc.get("queue")
    tasks = queue.get("tasks") if isinstance(queue, dict) else None
    if not isinstance(tasks, list) or not all(isinstance(t, dict) and isinstance(t.get("id"), str) for t in tasks):
        raise TransferError("queue.tasks must be a list of task records, each with a string id")
    memory = doc.get("memory", {})
    if not isinstance(memory, dict):
        raise TransferError("memory must be an object of record lists")
    unknown = sorted(set(memory) - set(STORES))
    if unknown:
        raise TransferError(f"memory has unknown part(s): {', '.join(unknown)}")
    for store, rows in memory.items():
        if not isinstance(rows, list):
            raise TransferError(f"memory.{store} must be a list of records")
    checked, _loaded = reader.load(memory)
    return Imported(tasks, checked.to_records(), tuple(checked.set_aside))

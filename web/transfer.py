"""Export and import: the whole queue (every task with its history) and the memory, as one JSON document.

The document is checked on import before anything is written, and each part is
written in one step (the queue's ``import_records``, the memory's ``put_records``).
The file is untrusted: its nesting is measured before it is parsed (a deep file
would crash Pyodide), and the queue reads every task record itself, reporting
what it skipped and which broken records it set aside as failed tasks. A memory
record of the wrong shape does not fail the import either: it is set aside
(:mod:`web.memory.reader`), and the import says how many and why.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pyqueue import ImportReport, ImportSkip
from pyqueue.importing import DUPLICATE_ID, ID_IN_QUEUE
from pyqueue.jsondata import RECORD_DEPTH, NotJSONData
from pyqueue.untrusted import loads

from .memory import reader
from .memory.model import STORES, SetAside

FORMAT = "pyqueue-memory-export"
VERSION = 1
DOCUMENT_DEPTH = RECORD_DEPTH + 3
"""How deeply an export may nest: a task record sits three levels down (document, queue, tasks)."""
SHOWN_REASONS = 3


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
    tasks: list[object]
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


def describe_import(report: ImportReport, memory_records: int) -> str:
    """Say exactly what an import did, for the page: counts, why records were skipped, which were set aside."""
    text = f"Imported {len(report.added) + len(report.replaced)} tasks and {memory_records} memory records"
    if report.replaced:
        text += f" ({len(report.replaced)} replacing tasks with the same id)"
    if report.skipped:
        kinds = Counter(_skip_kind(s) for s in report.skipped)
        text += f"; skipped {len(report.skipped)} (" + ", ".join(f"{n} {kind}" for kind, n in kinds.items()) + ")"
    if report.quarantined:
        n = len(report.quarantined)
        shown = "; ".join(f"{q.id}: {q.reason}" for q in report.quarantined[:SHOWN_REASONS])
        more = f"; and {n - SHOWN_REASONS} more" if n > SHOWN_REASONS else ""
        rows = f"{n} broken rows as failed tasks" if n > 1 else "1 broken row as a failed task"
        text += f"; set aside {rows}: {shown}{more}"
    return text + "."


def _skip_kind(skip: ImportSkip) -> str:
    if skip.reason == DUPLICATE_ID:
        return "duplicate id in the file"
    if skip.reason == ID_IN_QUEUE:
        return "id already in the queue"
    return "unique key held by another task"


def parse(text: str) -> Imported:
    """Read an export; raise :class:`TransferError` naming the first problem."""
    try:
        doc = loads(text, what="the file", max_depth=DOCUMENT_DEPTH)
    except NotJSONData as e:
        raise TransferError(str(e)) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise TransferError(f"the file is not a {FORMAT} document")
    if doc.get("version") != VERSION:
        raise TransferError(f"export version {doc.get('version')!r} is not supported (this page reads {VERSION})")
    queue = doc.get("queue")
    tasks = queue.get("tasks") if isinstance(queue, dict) else None
    if not isinstance(tasks, list):
        raise TransferError("queue.tasks must be a list of task records")
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

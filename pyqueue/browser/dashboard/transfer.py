"""Export and import: every task with its history as one JSON file, and that file read back.

The file is untrusted when it comes back: :func:`parse_export` only checks the
envelope (JSON, this format, a list of records), then
:meth:`Queue.import_records <pyqueue.Queue.import_records>` decides what
becomes of each record in one atomic write (a broken one is kept as a failed
task that says why). :func:`import_text` says what it did, in words.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from pyqueue import ImportReport, Queue, QueueError
from pyqueue.jsondata import RECORD_DEPTH, NotJSONData
from pyqueue.untrusted import loads

from .dom import el, present, say
from .formatting import plural

FORMAT = "pyqueue-tasks"
VERSION = 1
EXPORT = "export"
IMPORT = "import"
URL_LIFETIME_S = 1.0
"""How long a download's object URL is kept: the browser has started reading it by then."""


class TransferError(ValueError):
    """Raised when an import file is not a pyqueue task export; the message says what is wrong."""


def export_document(records: Sequence[object], *, now: float, source: str) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "exported_at": now, "source": source, "tasks": list(records)}


def parse_export(text: str) -> list[object]:
    """The task records of an export; raise :class:`TransferError` naming the first problem of the envelope."""
    try:
        doc = loads(text, what="the file", max_depth=RECORD_DEPTH + 2)  # the document, its list, then records
    except NotJSONData as e:
        raise TransferError(str(e)) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise TransferError(f"the file is not a {FORMAT} export")
    if doc.get("version") != VERSION:
        raise TransferError(f"export version {doc.get('version')!r} is not supported (this dashboard reads {VERSION})")
    tasks = doc.get("tasks")
    if not isinstance(tasks, list):
        raise TransferError("the file's tasks must be a list of task records")
    return list(tasks)


def import_text(report: ImportReport) -> str:
    """What an import did, in one line; the reasons of the first skipped and set-aside records follow."""
    text = f"Imported {plural(len(report.added), 'task')}"
    if report.replaced:
        text += f", replaced {len(report.replaced)}"
    if report.skipped:
        text += f", skipped {len(report.skipped)} ({report.skipped[0].reason}"
        text += ", …)" if len(report.skipped) > 1 else ")"
    if report.quarantined:
        text += f", kept {len(report.quarantined)} broken record(s) as failed tasks ({report.quarantined[0].reason})"
    return text + "."


def export_name(now_iso: str) -> str:
    """``pyqueue-tasks-2026-12-01T21-30-00.json`` from an ISO time (no ``:``, which some systems refuse)."""
    return f"{FORMAT}-{now_iso.split('.')[0].replace(':', '-')}.json"


class Transfer:
    """The export button, the import file picker (with "replace same ids"), and their result line."""

    def __init__(self, queue: Queue, source: str) -> None:
        self.queue = queue
        self.source = source
        self.replace = el("input", type="checkbox", name="replace")
        self.file = el("input", type="file", accept="application/json,.json", data_action=IMPORT)
        self.result = el("p", cls="pqd-message", role="status", data_part="transfer-result")
        self.root = el(
            "div",
            el("h4", text="Export and import"),
            el("p", text="Every task with its history, as one JSON file."),
            el(
                "div",
                el("button", text="Export JSON", type="button", data_action=EXPORT),
                el("label", "Import JSON… ", self.file, cls="pqd-file"),
                cls="pqd-row",
            ),
            el("label", self.replace, " replace tasks that have the same id"),
            self.result,
            cls="pqd-card",
            data_part="transfer",
        )

    async def export_json(self) -> tuple[str, int]:
        """The export as JSON text, and how many tasks it holds."""
        records = await self.queue.export_records()
        doc = export_document(records, now=self.queue.clock(), source=self.source)
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")), len(records)

    async def download(self) -> None:
        """Offer the export as a file download (an object URL, so nothing leaves the page's origin)."""
        import js
        from pyodide.ffi import to_js

        text, count = await self.export_json()
        blob = js.Blob.new([text], to_js({"type": "application/json"}, dict_converter=js.Object.fromEntries))
        url = js.URL.createObjectURL(blob)
        link = el("a", href=url, download=export_name(str(js.Date.new().toISOString())), hidden="")
        self.root.append(link)
        link.click()
        link.remove()
        say(self.result, f"Exported {plural(count, 'task')}.")
        await asyncio.sleep(URL_LIFETIME_S)
        js.URL.revokeObjectURL(url)

    async def import_file(self) -> ImportReport | None:
        """Import the picked file; the result line says what became of its records, or why nothing was read."""
        files = self.file.files
        if not present(files) or files.length == 0:
            return None
        text = str(await files.item(0).text())
        self.file.value = ""  # picking the same file again is a new import
        try:
            report = await self.queue.import_records(parse_export(text), replace=bool(self.replace.checked))
        except (TransferError, QueueError) as e:
            say(self.result, f"Nothing was imported: {e}", error=True)
            return None
        say(self.result, import_text(report))
        return report

"""The app's backup card: every task and the whole memory as one file, imported back, or cleared together.

The queue's part goes through its public calls only (``export_records``,
``import_records``, ``clear``); the document format and its checks are
:mod:`web.backup`'s. (The dashboard component's own export / import covers the
queue alone.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import js  # type: ignore[import-not-found]

from pyqueue import QueueError
from pyqueue.browser import BrowserQueue
from pyqueue.browser.background import spawn
from pyqueue.browser.network import online, unpark_offline
from pyqueue.browser.runner_view import RunnerView
from pyqueue.browser.tabs import ENQUEUED

from .. import backup
from ..memory.store import MemoryBackend
from .api_errors import error_json
from .dom import by_id, el, js_options, on, present
from .panel import Panel


class BackupCard:
    def __init__(
        self,
        bq: BrowserQueue,
        runner: RunnerView,
        memory: MemoryBackend,
        panel: Panel,
        changed: Callable[[], None],
    ) -> None:
        self.bq = bq
        self.runner = runner
        self.queue = bq.queue
        self.memory = memory
        self.panel = panel
        self.changed = changed

    def wire(self) -> None:
        on("export", "click", lambda _e: spawn(self._download_export()))
        on("import-file", "change", lambda e: spawn(self._import_file(e.target)))
        on("clear-all", "click", lambda _e: self._confirm_clear(True))
        on("clear-no", "click", lambda _e: self._confirm_clear(False))
        on("clear-yes", "click", lambda _e: spawn(self._clear_confirmed()))

    async def export_json(self) -> str:
        """The whole queue and the memory as one JSON document."""
        tasks = await self.queue.export_records()
        memory = (await self.memory.read()).to_records()
        doc = backup.build_export(tasks, memory, now=self.queue.clock(), source=self.bq.db_name)
        return backup.dumps(doc)

    async def _download_export(self) -> None:
        text = await self.export_json()
        blob = js.Blob.new([text], js_options(type="application/json"))
        url = js.URL.createObjectURL(blob)
        stamp = js.Date.new().toISOString().replace(":", "-").split(".")[0]
        link = el("a", href=url, download=f"pyqueue-export-{stamp}.json", hidden="")
        js.document.body.appendChild(link)
        link.click()
        link.remove()
        await asyncio.sleep(1.0)  # the download has started from the URL by then
        js.URL.revokeObjectURL(url)
        count = len(json.loads(text)["queue"]["tasks"])
        self.panel.show_message(f"Exported {count} tasks and the memory.", error=False, target="transfer-result")

    async def _import_file(self, input_node: Any) -> None:
        files = input_node.files
        if not present(files) or files.length == 0:
            return
        text = str(await files.item(0).text())
        input_node.value = ""
        answer = json.loads(await self.import_json(text))
        if "error" in answer:
            self.panel.show_message(answer["error"]["message"], error=True, target="transfer-result")
        else:
            aside = f" {answer['memory_report']}" if answer["memory_report"] else ""
            self.panel.show_message(answer["message"] + aside, error=False, target="transfer-result")

    async def import_json(self, text: str) -> str:
        """Import an export: every task record (with its history) the queue accepts, and every memory record.

        The queue decides and reports (:meth:`pyqueue.Queue.import_records`): a
        task already in the queue, a repeated id, or a unique key another task
        holds (say, a periodic slot scheduled since the export) is skipped and
        nothing stored is overwritten; a broken record is kept as a failed
        task naming the problem. The answer carries the report and the
        sentence the page shows.
        """
        try:
            doc = backup.parse(text)
            report = await self.queue.import_records(doc.tasks)
            await self.memory.put_records(doc.memory)
        except (backup.TransferError, QueueError) as e:
            return error_json(type(e).__name__, str(e))
        if online():
            await unpark_offline(self.queue)
        await self.bq.schedule_periodic()  # the slot in progress, if the file did not bring it
        self.runner.wake()
        if self.bq.signals is not None:
            self.bq.signals.post(ENQUEUED)
        self.changed()
        return json.dumps(
            {
                "tasks": len(report.added) + len(report.replaced),
                "added": report.added,
                "skipped": [asdict(s) for s in report.skipped],
                "quarantined": [asdict(q) for q in report.quarantined],
                "message": backup.describe_import(report, sum(len(rows) for rows in doc.memory.values())),
                **doc.memory_answer(),
            }
        )

    def _confirm_clear(self, asking: bool) -> None:
        by_id("clear-confirm").hidden = not asking
        by_id("clear-all").hidden = asking
        (by_id("clear-no") if asking else by_id("clear-all")).focus()

    async def _clear_confirmed(self) -> None:
        self._confirm_clear(False)
        answer = json.loads(await self.clear_json())
        still = f" ({answer['still_running']} running here finish unrecorded)" if answer["still_running"] else ""
        self.panel.show_message(
            f"Cleared {answer['removed']} tasks and the memory{still}.", error=False, target="transfer-result"
        )

    async def clear_json(self) -> str:
        """Delete every task and the whole memory.

        The periodic tasks come back with the import that usually follows, or
        else at their next slot (the library's scheduler keeps stepping).
        """
        running = self.runner.running_tasks
        removed = await self.queue.clear()
        await self.memory.clear()
        self.changed()
        return json.dumps({"removed": removed, "still_running": len(running)})

"""``window.pyqueueApp``: the page's JavaScript API (for tests and the console); calls that read or change data
answer JSON text. Like the page, it goes through the queue's public API only.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy  # type: ignore[import-not-found]

from pyqueue import TaskNotFound, TaskStatus
from pyqueue.browser.network import online

if TYPE_CHECKING:
    from .app import App


class PageApi:
    def __init__(self, app: App) -> None:
        self.app = app

    async def task_json(self, task_id: str) -> str:
        """One task's record as JSON text, or ``null``."""
        try:
            task = await self.app.queue.get(task_id)
        except TaskNotFound:
            return "null"
        return json.dumps(task.to_record())

    async def snapshot_json(self) -> str:
        """Runner state, counts and what this runner did, as JSON text."""
        runner = self.app.runner
        stats = await self.app.queue.stats()
        return json.dumps(
            {
                "state": str(runner.state),
                "location": runner.location,
                "owner": runner.owner,
                "counts": stats.by_status,
                "by_type": stats.by_type,
                "runner": vars(runner.counts),
                "running": runner.running_tasks,
                "live_runners": await self.app.bq.live_runners(),
                "online": online(),
            }
        )

    async def tasks_json(self, status: str = "", limit: int = 1000) -> str:
        tasks = await self.app.queue.tasks(TaskStatus(status) if status else None, limit=int(limit))
        return json.dumps([t.to_record() for t in tasks])

    async def memory_json(self) -> str:
        return json.dumps((await self.app.memory.read()).to_records())

    async def refresh_json(self) -> str:
        """Re-render everything now (tests call this instead of waiting for the timer)."""
        await self.app.dashboard.refresh()
        await self.app.memory_panel.render()
        return "true"

    def expose(self) -> None:
        """Publish ``window.pyqueueApp`` for Playwright tests and the browser console."""
        app = self.app
        api = js.Object.new()
        for name, fn in (
            ("enqueue", app.enqueue_form.enqueue_json),
            ("task", self.task_json),
            ("tasks", self.tasks_json),
            ("snapshot", self.snapshot_json),
            ("pause", lambda: app.runner.pause()),
            ("resume", lambda: app.runner.resume()),
            ("addNote", app.memory_forms.add_note_json),
            ("addNotes", app.memory_forms.add_notes_json),
            ("addGoal", app.memory_forms.add_goal_json),
            ("memory", self.memory_json),
            ("exportJson", app.backup.export_json),
            ("importJson", app.backup.import_json),
            ("clearAll", app.backup.clear_json),
            ("refresh", self.refresh_json),
        ):
            setattr(api, name, create_proxy(fn))
        js.window.pyqueueApp = api

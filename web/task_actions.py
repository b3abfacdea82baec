"""Retry and cancel: from a row's buttons in the task table, or ``window.pyqueueApp.action``."""

from __future__ import annotations

import json
from collections.abc import Callable

from pyqueue import InvalidStateChange, Queue, TaskNotFound

from .api_errors import error_json
from .background import spawn
from .panel import Panel


class TaskActions:
    def __init__(self, queue: Queue, panel: Panel, changed: Callable[[], None]) -> None:
        self.queue = queue
        self.panel = panel
        self.changed = changed

    def on_action(self, action: str, task_id: str) -> None:
        spawn(self.action_json(action, task_id))

    async def action_json(self, action: str, task_id: str) -> str:
        """Apply *action* (``"retry"`` or ``"cancel"``); JSON: the task's record, or an error."""
        try:
            if action == "retry":
                task = await self.queue.retry(task_id)
            elif action == "cancel":
                task = await self.queue.cancel(task_id)
            else:
                return error_json("InvalidOption", f"unknown action {action!r}")
        except (InvalidStateChange, TaskNotFound) as e:
            self.panel.show_message(str(e), error=True, target="app-message")
            return error_json(type(e).__name__, str(e))
        self.panel.show_message(
            f"{action}: {task.type} {task.id[:8]} is now {task.status.value}", error=False, target="app-message"
        )
        self.changed()
        return json.dumps(task.to_record())

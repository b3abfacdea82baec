"""Retry and cancel: which a task offers, the buttons for them, and the queue calls behind them.

The same buttons appear in a task's table row and in its detail; each press
goes through :meth:`Queue.retry <pyqueue.Queue.retry>` or
:meth:`Queue.cancel <pyqueue.Queue.cancel>`, so the queue's own rules decide
(a task that changed meanwhile is refused with a message, not forced).
"""

from __future__ import annotations

from typing import Any

from pyqueue import Queue, Task, TaskStatus

from .dom import el

RETRY = "retry"
CANCEL = "cancel"
LABELS = {RETRY: "Retry", CANCEL: "Cancel"}


def actions_for(task: Task) -> list[str]:
    """What can be done to *task* now: retry a failed or cancelled one, cancel one that waits or runs."""
    if task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        return [RETRY]
    if task.status in (TaskStatus.WAITING, TaskStatus.SCHEDULED, TaskStatus.PENDING):
        return [CANCEL]
    if task.status is TaskStatus.PROCESSING and not task.cancel_requested:
        return [CANCEL]
    return []


async def apply(queue: Queue, action: str, task_id: str) -> Task:
    """Do *action* to the task; raises the queue's error when the task is gone or may not change so."""
    if action == RETRY:
        return await queue.retry(task_id)
    if action == CANCEL:
        return await queue.cancel(task_id)
    raise ValueError(f"unknown task action {action!r}")


def done_text(action: str, task: Task) -> str:
    """What the dashboard says after *action* succeeded."""
    return f"{LABELS[action]}: {task.type} {task.id[:8]} is now {task.status.value}."


def action_buttons(task: Task, place: str) -> list[Any]:
    """The buttons for :func:`actions_for`; *place* (``"row"``, ``"detail"``) keeps their focus keys apart."""
    return [
        el(
            "button",
            text=LABELS[action],
            type="button",
            cls=f"pqd-small pqd-{action}",
            data_action=action,
            data_task_id=task.id,
            data_focus_key=f"{place}:{action}:{task.id}",
            aria_label=f"{LABELS[action]} {task.type} {task.id[:8]}",
        )
        for action in actions_for(task)
    ]

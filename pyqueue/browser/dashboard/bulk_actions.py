"""Retry all and cancel all: bulk buttons for what the task table's filter shows, and the queue calls behind them.

They are offered only when the filter names a status the action applies to
(failed or cancelled for a retry, a live status for a cancel), so a press acts
on what the person is looking at: every task of that status and type, not only
the rows shown. Each press goes through :meth:`Queue.retry_many
<pyqueue.Queue.retry_many>` or :meth:`Queue.cancel_many <pyqueue.Queue.cancel_many>`:
chunked, each task re-checked when its chunk runs. Deleting in bulk stays with
the purge card, which previews first.
"""

from __future__ import annotations

from typing import Any

from pyqueue import BulkReport, InvalidOption, Queue, TaskStatus
from pyqueue.task import LIVE_STATUSES

from .dom import el
from .filters import TaskFilter
from .formatting import plural

RETRY_ALL = "retry-all"
CANCEL_ALL = "cancel-all"
LABELS = {RETRY_ALL: "Retry all", CANCEL_ALL: "Cancel all"}


def bulk_actions_for(wanted: TaskFilter) -> list[str]:
    """The bulk actions that apply to every task the filter *wanted* selects."""
    if wanted.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        return [RETRY_ALL]
    if wanted.status in LIVE_STATUSES:
        return [CANCEL_ALL]
    return []


async def apply_bulk(queue: Queue, action: str, wanted: TaskFilter) -> BulkReport:
    """Do *action* to every task *wanted* selects; a filter it does not apply to (changed meanwhile) is refused."""
    if wanted.status is None or action not in bulk_actions_for(wanted):
        raise InvalidOption("status", wanted.status, f"{LABELS.get(action, action)} does not apply to it")
    types = None if wanted.task_type is None else [wanted.task_type]
    if action == RETRY_ALL:
        return await queue.retry_many([wanted.status], types=types)
    return await queue.cancel_many([wanted.status], types=types)


def bulk_done_text(report: BulkReport) -> str:
    """What the dashboard says after a bulk action: how many changed, and what was left and why."""
    done = "Retried" if report.action == "retry" else "Cancelled"
    parts = [f"{done} {plural(len(report.changed), 'task')}"]
    if report.stop_requested:
        parts.append(f"asked {len(report.stop_requested)} running to stop")
    parts += [f"left {n} ({reason})" for reason, n in report.skipped.items()]
    return ", ".join(parts) + "."


def bulk_buttons(wanted: TaskFilter) -> list[Any]:
    """The buttons for :func:`bulk_actions_for`, each naming what it acts on."""
    shown = f"{wanted.status.value if wanted.status else ''} {wanted.task_type or ''}".strip()
    return [
        el(
            "button",
            text=f"{LABELS[action]} {shown}",
            type="button",
            cls=f"pqd-small pqd-{action}",
            data_action=action,
            data_focus_key=f"bulk:{action}",
        )
        for action in bulk_actions_for(wanted)
    ]

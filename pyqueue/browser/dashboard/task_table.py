"""The task table: the newest tasks, filtered by status and type, each with a button to open its detail.

Rows are keyed by task id and rebuilt only when their task changed, so a
keyboard user's focus stays on the button it was on (see
:func:`~pyqueue.browser.dashboard.dom.keep_focus`) while the table updates live.
"""

from __future__ import annotations

from typing import Any

from pyqueue import Task, TaskStatus

from .actions import action_buttons
from .bulk_actions import bulk_buttons
from .dom import el, keep_focus, present, set_text
from .filters import TaskFilter, TaskPage
from .formatting import clock_time, short_json

COLUMNS = ("task", "status", "attempts", "priority", "time", "actions")
FILTER = "filter"
OPEN = "open"


def progress_of(task: Task) -> tuple[float, float, str] | None:
    """``(done, of, step)`` from a running task's ``{"done", "of", "step"}`` progress, else ``None``."""
    p = task.progress
    if task.status is not TaskStatus.PROCESSING or not isinstance(p, dict):
        return None
    done, of = p.get("done"), p.get("of")
    if isinstance(done, bool) or isinstance(of, bool):
        return None
    if not isinstance(done, int | float) or not isinstance(of, int | float) or of <= 0:
        return None
    return float(done), float(of), str(p.get("step", ""))


class TaskTable:
    """The filter controls, the table, and the "showing N of M" caption."""

    def __init__(self) -> None:
        self.status = el(
            "select",
            el("option", text="all statuses", value=""),
            *(el("option", text=s.value, value=s.value) for s in TaskStatus),
            data_action=FILTER,
        )
        self.type = el("select", el("option", text="all types", value=""), data_action=FILTER)
        self.caption = el("span", cls="pqd-meta", data_part="shown")
        self.bulk = el("span", cls="pqd-actions", data_part="bulk")
        filters = el(
            "div",
            el("label", "status ", self.status),
            el("label", "type ", self.type),
            self.caption,
            self.bulk,
            cls="pqd-filters",
        )
        head = el("tr", *(el("th", text=c, scope="col") for c in COLUMNS))
        self.body = el("tbody")
        self.empty = el("p", text="No tasks.", cls="pqd-empty")
        table = el("table", el("thead", head), self.body, cls="pqd-tasks")
        self.root = el(
            "section",
            el("div", el("h3", text="Tasks"), filters, cls="pqd-head"),
            el("div", table, cls="pqd-scroll"),
            self.empty,
            cls="pqd-card pqd-task-table",
            data_part="tasks",
        )
        self._rows: dict[str, tuple[Task, Any]] = {}
        self._types: list[str] = []
        self._bulk_for: TaskFilter | None = None

    @property
    def wanted(self) -> TaskFilter:
        return TaskFilter.from_form(str(self.status.value), str(self.type.value))

    def set_types(self, names: list[str]) -> None:
        """Offer *names* in the type filter, keeping the current choice."""
        if names == self._types:
            return
        chosen = str(self.type.value)
        self._types = list(names)
        self.type.replaceChildren(
            el("option", text="all types", value=""), *(el("option", text=n, value=n) for n in names)
        )
        self.type.value = chosen if chosen in names else ""

    def show(self, page: TaskPage, selected: str | None) -> None:
        keep_focus(self.body, lambda: self._place(page.tasks, selected))
        self.empty.hidden = bool(page.tasks)
        set_text(self.caption, page.caption)
        wanted = self.wanted
        if wanted != self._bulk_for:  # rebuilt only when the filter changed, so a focused button stays
            self._bulk_for = wanted
            self.bulk.replaceChildren(*bulk_buttons(wanted))

    def _place(self, tasks: list[Task], selected: str | None) -> None:
        wanted = []
        for task in tasks:
            old = self._rows.get(task.id)
            row = old[1] if old is not None and old[0] == task else self._row(task)
            if old is not None and row is not old[1]:
                old[1].replaceWith(row)
            self._rows[task.id] = (task, row)
            if task.id == selected:
                row.setAttribute("aria-current", "true")
            else:
                row.removeAttribute("aria-current")
            wanted.append(row)
        ids = {t.id for t in tasks}
        for task_id in [k for k in self._rows if k not in ids]:
            self._rows.pop(task_id)[1].remove()
        # Put rows in order, moving as few as possible (a moved node loses focus).
        current = self.body.firstElementChild
        for row in wanted:
            if present(current) and current.isSameNode(row):
                current = current.nextElementSibling
            else:
                self.body.insertBefore(row, current)

    @staticmethod
    def _row(task: Task) -> Any:
        opener = el(
            "button",
            el("span", text=task.type, cls="pqd-type"),
            el("span", text=" " + short_json(task.payload, 80), cls="pqd-payload"),
            type="button",
            cls="pqd-open",
            data_action=OPEN,
            data_task_id=task.id,
            data_focus_key=f"open:{task.id}",
            aria_label=f"Open {task.type} {task.id[:8]}",
        )
        return el(
            "tr",
            el("td", opener),
            el("td", *TaskTable._status(task)),
            el("td", text=f"{task.attempts}/{task.max_attempts}", cls="pqd-num"),
            el("td", text=str(task.priority), cls="pqd-num"),
            el("td", text=clock_time(task.finished_at or task.started_at or task.created_at), cls="pqd-num"),
            el("td", *action_buttons(task, "row"), cls="pqd-actions"),
            data_task_id=task.id,
            data_status=task.status.value,
            data_type=task.type,
            data_parked="true" if task.parked is not None else "false",
        )

    @staticmethod
    def _status(task: Task) -> list[Any]:
        if task.parked is not None:
            return [el("span", text="parked", cls="pqd-badge", data_status="parked", title=task.parked)]
        parts = [el("span", text=task.status.value, cls="pqd-badge", data_status=task.status.value)]
        progress = progress_of(task)
        if progress is not None:
            done, of, step = progress
            bar = el("progress", max=f"{of:g}", value=f"{done:g}", aria_label=f"{task.type} progress")
            parts.append(el("span", bar, el("span", text=f"{done:g}/{of:g} {step}".strip()), cls="pqd-progress"))
        return parts

"""The task table: newest tasks first, filtered by status and type, with each task's history and actions.

Rows are keyed by task id and rebuilt only when their task changed, so an
opened row stays open, and a keyboard user's focus stays on the button it was
on (see :func:`~web.dom.keep_focus`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pyqueue import Task, TaskStatus

from .dom import by_id, clock, el, keep_focus, on, present
from .parking import is_parked

Action = Callable[[str, str], None]
"""``action(name, task_id)`` with name ``"retry"`` or ``"cancel"``."""


def short_json(value: object, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _signature(task: Task) -> str:
    return json.dumps(
        [
            task.status.value,
            task.attempts,
            task.progress,
            task.finished_at,
            len(task.errors),
            task.run_at,
            task.cancel_requested,
        ],
        default=str,
    )


def _progress(task: Task) -> tuple[float, float, str] | None:
    p = task.progress
    if not isinstance(p, dict):
        return None
    done, of = p.get("done"), p.get("of")
    if not isinstance(done, int | float) or not isinstance(of, int | float) or of <= 0:
        return None
    return float(done), float(of), str(p.get("step", ""))


class TaskTable:
    def __init__(self, on_action: Action, on_filter: Callable[[], None]) -> None:
        self.body = by_id("task-rows")
        self.on_action = on_action
        self._rows: dict[str, tuple[str, Any]] = {}
        on(self.body, "click", self._click)
        on("filter-status", "change", lambda _e: on_filter())
        on("filter-type", "change", lambda _e: on_filter())

    def set_types(self, names: list[str]) -> None:
        select = by_id("filter-type")
        select.replaceChildren(
            el("option", text="all types", value=""), *(el("option", text=n, value=n) for n in names)
        )

    @property
    def status_filter(self) -> str:
        return str(by_id("filter-status").value)

    @property
    def type_filter(self) -> str:
        return str(by_id("filter-type").value)

    def _click(self, event: Any) -> None:
        button = event.target.closest("button[data-action]")
        if not present(button) or not self.body.contains(button):
            return
        self.on_action(str(button.dataset.action), str(button.dataset.taskId))

    def show(self, tasks: list[Task], shown_of: str) -> None:
        def render() -> None:
            wanted = []
            for task in tasks:
                sig = _signature(task)
                old = self._rows.get(task.id)
                if old is not None and old[0] == sig:
                    wanted.append(old[1])
                    continue
                is_open = old is not None and present(old[1].querySelector("details[open]"))
                row = self._row(task, is_open)
                if old is not None:
                    old[1].replaceWith(row)
                self._rows[task.id] = (sig, row)
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

        keep_focus(self.body, render)
        by_id("tasks-empty").hidden = bool(tasks)
        by_id("tasks-shown").textContent = shown_of

    def _row(self, task: Task, is_open: bool) -> Any:
        summary = el(
            "summary",
            el("span", text=task.type, cls="t-type"),
            el("span", text=" " + short_json(task.payload, 80), cls="t-payload"),
            data_focus_key=f"open:{task.id}",
        )
        details = el("details", summary, self._detail(task), data_task_id=task.id)
        if is_open:
            details.open = True
        return el(
            "tr",
            el("td", details),
            el("td", *self._status(task)),
            el("td", text=f"{task.attempts}/{task.max_attempts}", cls="num"),
            el("td", text=str(task.priority), cls="num"),
            el("td", text=clock(task.finished_at or task.started_at or task.created_at), cls="num"),
            el("td", *self._actions(task), cls="actions"),
            data_task_id=task.id,
            data_status=task.status.value,
            data_type=task.type,
            data_parked="true" if is_parked(task) else "false",
        )

    @staticmethod
    def _status(task: Task) -> list[Any]:
        if is_parked(task):
            return [el("span", text="parked", cls="badge parked", title="waits for the network to come back")]
        parts = [el("span", text=task.status.value, cls=f"badge {task.status.value}")]
        progress = _progress(task)
        if task.status is TaskStatus.PROCESSING and progress is not None:
            done, of, step = progress
            bar = el("progress", max=f"{of:g}", value=f"{done:g}", aria_label=f"{task.type} progress")
            parts.append(el("span", bar, el("span", text=f"{done:g}/{of:g} {step}".strip()), cls="progress"))
        return parts

    @staticmethod
    def _actions(task: Task) -> list[Any]:
        buttons = []
        label = f"{task.type} {task.id[:8]}"
        if task.status in (TaskStatus.FAILED, TaskStatus.CANCELLED):
            buttons.append(("retry", "Retry", f"Retry {label}"))
        if task.status in (TaskStatus.SCHEDULED, TaskStatus.PENDING) or (
            task.status is TaskStatus.PROCESSING and not task.cancel_requested
        ):
            buttons.append(("cancel", "Cancel", f"Cancel {label}"))
        return [
            el(
                "button",
                text=text,
                type="button",
                cls=f"small {action}",
                data_action=action,
                data_task_id=task.id,
                data_focus_key=f"{action}:{task.id}",
                aria_label=aria,
            )
            for action, text, aria in buttons
        ]

    @staticmethod
    def _detail(task: Task) -> Any:
        parts = [
            el("div", el("b", text="id "), el("code", text=task.id)),
            el("div", el("b", text="payload "), el("code", text=short_json(task.payload, 2_000))),
        ]
        if task.unique_key:
            parts.append(el("div", el("b", text="unique key "), el("code", text=task.unique_key)))
        if task.result is not None:
            parts.append(el("div", el("b", text="result "), el("code", text=short_json(task.result, 2_000))))
        if task.progress is not None:
            parts.append(el("div", el("b", text="progress "), el("code", text=short_json(task.progress, 300))))
        if is_parked(task):
            parts.append(el("div", el("b", text="parked "), el("span", text="until the browser is back online")))
        elif task.status is TaskStatus.SCHEDULED:
            parts.append(el("div", el("b", text="runs at "), el("span", text=clock(task.run_at))))
        if task.cancel_requested and task.status is TaskStatus.PROCESSING:
            parts.append(el("div", text="cancel requested: stops at its next check", cls="muted"))
        for err in task.errors:
            parts.append(
                el(
                    "div",
                    el("div", text=f"attempt {err.attempt} at {clock(err.at)}: {err.error}", cls="error-line"),
                    el("pre", text=err.traceback) if err.traceback else None,
                    cls="attempt-error",
                )
            )
        return el("div", *parts, cls="task-detail")

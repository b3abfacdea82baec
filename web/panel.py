"""The live status panel: counts per status, runner state, latest tasks with their errors.

It re-renders from the store when told something changed (the runner's and
queue's events, debounced), so what it shows is what IndexedDB holds.
"""

from __future__ import annotations

import json
import time
from typing import Any

from pyqueue import RunnerState, Stats, Task, TaskStatus

from .dom import by_id, el

STATE_TEXT = {
    RunnerState.IDLE: "starting",
    RunnerState.RUNNING: "running",
    RunnerState.PAUSED_USER: "paused",
    RunnerState.PAUSED_HIDDEN: "paused: tab hidden",
    RunnerState.UPGRADE_PENDING: "paused: database upgrade",
    RunnerState.STOPPING: "stopping",
    RunnerState.STOPPED: "stopped",
}


def _short_json(value: object, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clock(ms: float | None) -> str:
    return "" if ms is None else time.strftime("%H:%M:%S", time.localtime(ms / 1000.0))


class Panel:
    """Writes the queue's state into the page's fixed elements."""

    def __init__(self) -> None:
        self.open_ids: set[str] = set()

    def show_state(self, state: RunnerState) -> None:
        node = by_id("runner-state")
        node.textContent = STATE_TEXT[state]
        node.dataset.state = state.value
        button = by_id("pause")
        paused = state is RunnerState.PAUSED_USER
        button.textContent = "Resume" if paused else "Pause"
        button.setAttribute("aria-pressed", "true" if paused else "false")

    def show_runners(self, count: int) -> None:
        by_id("runners").textContent = f"{count} runner{'s' if count != 1 else ''} alive in this browser"

    def show_counts(self, stats: Stats) -> None:
        for status in TaskStatus:
            by_id(f"count-{status.value}").textContent = str(stats.by_status.get(status.value, 0))
        by_id("count-total").textContent = str(stats.total)

    def show_tasks(self, tasks: list[Task]) -> None:
        body = by_id("task-rows")
        for details in body.querySelectorAll("details[open]").to_py():
            self.open_ids.add(details.dataset.taskId)
        rows = [self._row(task) for task in tasks]
        body.replaceChildren(*rows)
        by_id("tasks-empty").hidden = bool(tasks)

    def _row(self, task: Task) -> Any:
        summary_text = f"{task.type}  {_short_json(task.payload, 60)}"
        details = el("details", el("summary", text=summary_text), self._detail(task), data_task_id=task.id)
        if task.id in self.open_ids:
            details.open = True
        progress = ""
        if task.status is TaskStatus.PROCESSING and isinstance(task.progress, dict):
            progress = f" {task.progress.get('done', '?')}/{task.progress.get('of', '?')}"
        return el(
            "tr",
            el("td", details),
            el("td", el("span", text=task.status.value + progress, cls=f"badge {task.status.value}")),
            el("td", text=f"{task.attempts}/{task.max_attempts}", cls="num"),
            el("td", text=str(task.priority), cls="num"),
            el("td", text=_clock(task.finished_at or task.started_at or task.created_at), cls="num"),
            data_task_id=task.id,
            data_status=task.status.value,
            data_type=task.type,
        )

    def _detail(self, task: Task) -> Any:
        parts = [
            el("div", el("b", text="id "), el("code", text=task.id)),
            el("div", el("b", text="payload "), el("code", text=_short_json(task.payload, 2_000))),
        ]
        if task.result is not None:
            parts.append(el("div", el("b", text="result "), el("code", text=_short_json(task.result, 2_000))))
        if task.status is TaskStatus.SCHEDULED:
            parts.append(el("div", el("b", text="runs at "), el("span", text=_clock(task.run_at))))
        for err in task.errors:
            parts.append(
                el(
                    "div",
                    el("div", text=f"attempt {err.attempt} at {_clock(err.at)}: {err.error}", cls="error-line"),
                    el("pre", text=err.traceback) if err.traceback else el("span"),
                    cls="attempt-error",
                )
            )
        return el("div", *parts, cls="task-detail")

    def show_message(self, text: str, *, error: bool) -> None:
        node = by_id("enqueue-message")
        node.textContent = text
        node.dataset.kind = "error" if error else "ok"

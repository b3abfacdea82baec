"""A task's detail: its fields, payload, meta, result, and every attempt's error with its traceback.

:func:`detail_fields` and :func:`attempt_lines` decide what is shown (pure,
tested under CPython); :class:`TaskDetail` writes it into the panel, as text.
The panel re-reads its task with :meth:`Queue.get <pyqueue.Queue.get>` on each
render, so it follows the task as it runs, and says so when it was deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyqueue import Task, TaskStatus

from .actions import action_buttons
from .dom import el, keep_focus, set_text
from .formatting import clock_time, pretty_json

CLOSE = "close-detail"


@dataclass(frozen=True, slots=True)
class Field:
    """One labelled line of the detail; ``code`` ones are shown in a monospaced block."""

    label: str
    text: str
    code: bool = False


def detail_fields(task: Task) -> list[Field]:
    """The task's facts, in the order a person checks them; empty ones are left out."""
    fields = [
        Field("id", task.id, code=True),
        Field("type", task.type, code=True),
        Field("status", task.status.value),
        Field("attempts", f"{task.attempts} of {task.max_attempts}"),
        Field("priority", str(task.priority)),
        Field("created", clock_time(task.created_at)),
    ]
    if task.status is TaskStatus.SCHEDULED and task.parked is None:
        fields.append(Field("runs at", clock_time(task.run_at)))
    if task.parked is not None:
        fields.append(Field("parked", task.parked))
    if task.started_at is not None:
        fields.append(Field("started", clock_time(task.started_at)))
    if task.finished_at is not None:
        fields.append(Field("finished", clock_time(task.finished_at)))
    if task.lease_owner is not None and task.status is TaskStatus.PROCESSING:
        fields.append(Field("held by", f"{task.lease_owner} until {clock_time(task.lease_until)}"))
    if task.cancel_requested and task.status is TaskStatus.PROCESSING:
        fields.append(Field("cancel", "requested: the handler stops at its next check"))
    if task.unique_key is not None:
        fields.append(Field("unique key", task.unique_key, code=True))
    fields.append(Field("payload", pretty_json(task.payload), code=True))
    if task.meta:
        fields.append(Field("meta", pretty_json(task.meta), code=True))
    if task.progress is not None:
        fields.append(Field("progress", pretty_json(task.progress), code=True))
    if task.result is not None:
        fields.append(Field("result", pretty_json(task.result), code=True))
    return fields


@dataclass(frozen=True, slots=True)
class AttemptLine:
    """One failed attempt: a heading line and its traceback (``""`` when none was kept)."""

    heading: str
    traceback: str


def attempt_lines(task: Task) -> list[AttemptLine]:
    """Every attempt's error, oldest first, as the queue kept them."""
    return [AttemptLine(f"attempt {e.attempt} at {clock_time(e.at)}: {e.error}", e.traceback) for e in task.errors]


class TaskDetail:
    """The detail panel: hidden until a task is opened from the table."""

    def __init__(self) -> None:
        self.task_id: str | None = None
        self._shown: Task | None = None
        self.title = el("h3", text="Task", cls="pqd-detail-title", tabindex="-1")
        self.body = el("div", cls="pqd-detail-body")
        close = el("button", text="Close", type="button", cls="pqd-small", data_action=CLOSE)
        self.root = el(
            "section",
            el("div", self.title, close, cls="pqd-head"),
            self.body,
            cls="pqd-card pqd-detail",
            data_part="detail",
            aria_label="task detail",
            hidden="",
        )

    def open(self, task_id: str) -> None:
        """Show *task_id* from the next render on, and move focus to the panel's title."""
        self.task_id = task_id
        self._shown = None
        self.root.hidden = False
        self.body.replaceChildren(el("p", text="Loading…", cls="pqd-empty"))
        self.title.focus()

    def close(self) -> None:
        self.task_id = None
        self._shown = None
        self.root.hidden = True
        self.body.replaceChildren()

    def show(self, task: Task) -> None:
        """Write *task* in; an unchanged task is left alone, so a reader's text selection survives renders."""
        if task == self._shown:
            return
        self._shown = task
        set_text(self.title, f"{task.type} {task.id[:8]}")
        self.root.dataset.taskId = task.id
        self.root.dataset.status = task.status.value
        fields = el("dl", *(self._field(f) for f in detail_fields(task)), cls="pqd-fields")
        errors = [
            el(
                "li",
                el("p", text=line.heading, cls="pqd-error-line"),
                el("pre", text=line.traceback, cls="pqd-traceback") if line.traceback else None,
            )
            for line in attempt_lines(task)
        ]
        parts = (
            el("div", *action_buttons(task, "detail"), cls="pqd-row"),
            fields,
            el("h4", text=f"Errors ({len(errors)})" if errors else "No errors"),
            el("ol", *errors, cls="pqd-attempts"),
        )
        keep_focus(self.body, lambda: self.body.replaceChildren(*parts))

    def gone(self, task_id: str) -> None:
        """The task was deleted (purged, or cleared by another tab) since it was opened."""
        self._shown = None
        set_text(self.title, f"Task {task_id[:8]}")
        self.root.dataset.status = "gone"
        self.body.replaceChildren(el("p", text="This task is no longer in the queue.", cls="pqd-empty"))

    @staticmethod
    def _field(field: Field) -> Any:
        value = el("pre", text=field.text) if field.code else el("span", text=field.text)
        return el("div", el("dt", text=field.label), el("dd", value), data_field=field.label)

"""Housekeeping: purge finished tasks after a preview, and a dry run of the host's retention policy.

A purge is two steps: *Preview* lists exactly what would go (a dry run, which
deletes nothing); *Purge* then deletes with the same cutoff time, so a task
that finishes between the two is not swept along. The retention card only
previews: applying the policy on a timer is the host's business
(:func:`pyqueue.retention.apply_retention`), the dashboard shows what it would
remove now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pyqueue import Queue, Task, TaskStatus
from pyqueue.retention import RetentionPolicy, RetentionReport, apply_retention

from .dom import el, say
from .formatting import clock_time, format_age, plural

PREVIEW_ROWS = 12
PURGEABLE = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)
PURGE_FORM = "purge"
PURGE_RUN = "purge-run"
RETENTION_PREVIEW = "retention-preview"


@dataclass(frozen=True, slots=True)
class PurgeChoice:
    """Which finished statuses to purge, and how long ago they must have finished (0: any time)."""

    statuses: tuple[TaskStatus, ...]
    older_than_ms: float


def read_choice(checked: Iterable[str], minutes: str) -> PurgeChoice:
    """The form's checked statuses and age in minutes; raises ``ValueError`` with what to fix."""
    statuses = tuple(s for s in PURGEABLE if s.value in set(checked))
    if not statuses:
        raise ValueError("Pick at least one status.")
    try:
        age = float(minutes or 0)
    except ValueError:
        raise ValueError(f"The age {minutes!r} is not a number of minutes.") from None
    if not age >= 0 or age == float("inf"):
        raise ValueError("The age must be 0 or more minutes.")
    return PurgeChoice(statuses, age * 60_000)


def preview_text(choice: PurgeChoice, count: int) -> str:
    age = f" that finished more than {format_age(choice.older_than_ms)} ago" if choice.older_than_ms else ""
    names = " / ".join(s.value for s in choice.statuses)
    return f"Would remove {plural(count, 'task')} ({names}){age}. Nothing is deleted until you press Purge."


def policy_text(policy: RetentionPolicy | None) -> str:
    if policy is None:
        return "No retention policy: finished tasks stay until purged."
    return (
        f"Completed tasks are kept {format_age(policy.completed_ms)}, failed {format_age(policy.failed_ms)}, "
        f"cancelled {format_age(policy.cancelled_ms)} after they finished."
    )


def retention_text(report: RetentionReport) -> str:
    parts = ", ".join(f"{len(tasks)} {status.value}" for status, tasks in report.by_status.items())
    return f"Dry run: the policy would remove {plural(report.count, 'task')} now ({parts}). Nothing was deleted."


def task_items(tasks: list[Task]) -> list[Any]:
    """The first :data:`PREVIEW_ROWS` tasks of a preview as list items, and a line for the rest."""
    items = [
        el(
            "li",
            el("span", text=t.status.value, cls="pqd-badge", data_status=t.status.value),
            el("span", text=t.type, cls="pqd-type"),
            el("span", text=f"finished {clock_time(t.finished_at)}", cls="pqd-meta"),
            data_task_id=t.id,
        )
        for t in tasks[:PREVIEW_ROWS]
    ]
    if len(tasks) > PREVIEW_ROWS:
        items.append(el("li", text=f"… and {len(tasks) - PREVIEW_ROWS} more", cls="pqd-more"))
    return items


class Housekeeping:
    """The purge card and the retention card."""

    def __init__(self, queue: Queue, policy: RetentionPolicy | None) -> None:
        self.queue = queue
        self.policy = policy
        self._preview: tuple[PurgeChoice, float] | None = None  # the choice, and the cutoff time it listed
        checks = [
            el(
                "label",
                el("input", type="checkbox", name="status", value=s.value, checked="" if s is PURGEABLE[0] else None),
                f" {s.value}",
            )
            for s in PURGEABLE
        ]
        self.age = el("input", type="number", name="age", min="0", step="1", value="0", cls="pqd-age")
        self.run_button = el("button", text="Purge", type="button", cls="pqd-danger", data_action=PURGE_RUN)
        self.run_button.disabled = True
        self.form = el(
            "form",
            el("fieldset", el("legend", text="statuses"), *checks),
            el("label", "finished more than ", self.age, " min ago"),
            el("div", el("button", text="Preview", type="submit"), self.run_button, cls="pqd-row"),
            data_action=PURGE_FORM,
        )
        self.purge_result = el("p", cls="pqd-message", role="status", data_part="purge-result")
        self.purge_list = el("ul", cls="pqd-list", data_part="purge-list")
        self.retention_result = el("p", cls="pqd-message", role="status", data_part="retention-result")
        self.retention_list = el("ul", cls="pqd-list", data_part="retention-list")
        retention_button = el("button", text="Dry run: what would go now", type="button", data_action=RETENTION_PREVIEW)
        retention_button.disabled = policy is None
        self.purge_card = el(
            "div",
            el("h4", text="Purge finished tasks"),
            self.form,
            self.purge_result,
            self.purge_list,
            cls="pqd-card",
            data_part="purge",
        )
        self.retention_card = el(
            "div",
            el("h4", text="Retention"),
            el("p", text=policy_text(policy)),
            retention_button,
            self.retention_result,
            self.retention_list,
            cls="pqd-card",
            data_part="retention",
        )

    def forget(self) -> None:
        """The form changed: the preview no longer says what Purge would do."""
        self._preview = None
        self.run_button.disabled = True
        self.run_button.textContent = "Purge"

    def _choice(self) -> PurgeChoice:
        checked = [str(box.value) for box in self.form.querySelectorAll("input[name='status']:checked").to_py()]
        return read_choice(checked, str(self.age.value))

    async def preview(self) -> int:
        """List what a purge with the form's choice would remove now; delete nothing."""
        try:
            choice = self._choice()
        except ValueError as e:
            self.forget()
            say(self.purge_result, str(e), error=True)
            return 0
        cutoff = self.queue.clock() - choice.older_than_ms
        report = await self.queue.purge(choice.statuses, older_than_ms=choice.older_than_ms, dry_run=True)
        self._preview = (choice, cutoff)
        self.purge_list.replaceChildren(*task_items(report.tasks))
        say(self.purge_result, preview_text(choice, report.count))
        self.run_button.disabled = report.count == 0
        self.run_button.textContent = f"Purge {plural(report.count, 'task')}"
        return report.count

    async def purge(self) -> int:
        """Delete what the last preview listed (by its statuses and cutoff time)."""
        if self._preview is None:
            return 0
        choice, cutoff = self._preview
        report = await self.queue.purge(choice.statuses, older_than_ms=max(0.0, self.queue.clock() - cutoff))
        self.forget()
        self.purge_list.replaceChildren()
        say(self.purge_result, f"Purged {plural(report.count, 'task')}.")
        return report.count

    async def preview_retention(self) -> int:
        if self.policy is None:
            return 0
        report = await apply_retention(self.queue, self.policy, dry_run=True)
        self.retention_list.replaceChildren(*task_items(report.tasks))
        say(self.retention_result, retention_text(report))
        return report.count

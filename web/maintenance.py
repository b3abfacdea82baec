"""Housekeeping on the dashboard: purge with a preview, retention with a dry run (export / import: export_import.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from pyqueue import Queue, QueueError, RetentionPolicy, Task, TaskStatus, apply_retention

from .dom import by_id, clock, el, on
from .formatting import format_age

PREVIEW_ROWS = 12
Spawn = Callable[[Awaitable[Any]], None]


def _task_items(tasks: list[Task]) -> list[Any]:
    items = [
        el(
            "li",
            el("span", text=t.status.value, cls=f"badge {t.status.value}"),
            el("span", text=t.type, cls="type"),
            el("span", text=f"finished {clock(t.finished_at)}", cls="meta"),
            data_task_id=t.id,
        )
        for t in tasks[:PREVIEW_ROWS]
    ]
    if len(tasks) > PREVIEW_ROWS:
        items.append(el("li", text=f"… and {len(tasks) - PREVIEW_ROWS} more", cls="more"))
    return items


def _say(node_id: str, text: str, *, error: bool = False) -> None:
    node = by_id(node_id)
    node.textContent = text
    node.dataset.kind = "error" if error else "ok"


def _kept(policy: RetentionPolicy) -> str:
    return (
        f"completed tasks are kept {format_age(policy.completed_ms)}, failed {format_age(policy.failed_ms)}, "
        f"cancelled {format_age(policy.cancelled_ms)}"
    )


class PurgeCard:
    """Pick statuses and an age, preview exactly what would go, then purge exactly that."""

    def __init__(self, queue: Queue, spawn: Spawn, changed: Callable[[], None]) -> None:
        self.queue = queue
        self.spawn = spawn
        self.changed = changed
        self._preview: tuple[list[str], float, int] | None = None  # statuses, cutoff, count
        on("purge-form", "submit", self._on_preview)
        on("purge-form", "input", lambda _e: self._forget())
        on("purge-run", "click", lambda _e: spawn(self.run()))

    def _statuses(self) -> list[str]:
        return [
            s.value
            for s in (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)
            if by_id(f"purge-{s.value}").checked
        ]

    def _forget(self) -> None:
        self._preview = None
        button = by_id("purge-run")
        button.disabled = True
        button.textContent = "Purge"

    def _on_preview(self, event: Any) -> None:
        event.preventDefault()
        self.spawn(self.preview())

    async def preview(self) -> int:
        statuses = self._statuses()
        if not statuses:
            _say("purge-result", "Pick at least one status.", error=True)
            self._forget()
            return 0
        try:
            minutes = max(0.0, float(by_id("purge-age").value or 0))
        except ValueError:
            minutes = 0.0
        cutoff = self.queue.clock() - minutes * 60_000
        report = await self.queue.purge(statuses, older_than_ms=minutes * 60_000, dry_run=True)
        self._preview = (statuses, cutoff, report.count)
        by_id("purge-list").replaceChildren(*_task_items(report.tasks))
        age = f" that finished more than {minutes:g} min ago" if minutes else ""
        _say("purge-result", f"Would remove {report.count} {' / '.join(statuses)} task(s){age}.")
        button = by_id("purge-run")
        button.disabled = report.count == 0
        button.textContent = f"Purge {report.count} task{'s' if report.count != 1 else ''}"
        return report.count

    async def run(self) -> int:
        if self._preview is None:
            return 0
        statuses, cutoff, _count = self._preview
        # The same cutoff as the preview: tasks that finished since are not swept along.
        report = await self.queue.purge(statuses, older_than_ms=max(0.0, self.queue.clock() - cutoff))
        self._forget()
        by_id("purge-list").replaceChildren()
        _say("purge-result", f"Purged {report.count} task{'s' if report.count != 1 else ''}.")
        self.changed()
        return report.count


class RetentionCard:
    """Shows the policy, applies it on a timer, and previews what it would remove now.

    A shorter policy that came with the page's link (*offer*) is shown, not
    applied: it replaces the policy only when the person clicks "Use these
    keep-times" (see :mod:`web.settings`), so opening a link deletes nothing.
    """

    def __init__(
        self, queue: Queue, policy: RetentionPolicy, every_ms: float, spawn: Spawn, offer: RetentionPolicy | None = None
    ) -> None:
        self.queue = queue
        self.policy = policy
        self.every_ms = every_ms
        self.offer = offer
        self._show_policy()
        on("retention-preview", "click", lambda _e: spawn(self.preview()))
        if offer is not None:
            by_id("retention-offer").textContent = (
                f"This page's link asks for shorter keep-times: {_kept(offer)}. "
                "Nothing is deleted sooner unless you accept."
            )
            by_id("retention-offer-box").hidden = False
            on("retention-accept", "click", lambda _e: self.accept_offer())

    def _show_policy(self) -> None:
        kept = _kept(self.policy)
        by_id(
            "retention-policy"
        ).textContent = f"{kept[0].upper()}{kept[1:]}; checked every {format_age(self.every_ms)}."

    def accept_offer(self) -> None:
        """Apply the link's shorter keep-times from the next check on: the person asked for it."""
        if self.offer is None:
            return
        self.policy, self.offer = self.offer, None
        by_id("retention-offer-box").hidden = True
        self._show_policy()

    async def preview(self) -> int:
        plan = await apply_retention(self.queue, self.policy, dry_run=True)
        by_id("retention-list").replaceChildren(*_task_items(plan.tasks))
        parts = ", ".join(f"{len(ts)} {status.value}" for status, ts in plan.by_status.items())
        _say("retention-result", f"Dry run: retention would remove {plan.count} task(s) now ({parts}).")
        return plan.count

    async def apply(self) -> int:
        try:
            count = (await apply_retention(self.queue, self.policy, dry_run=False)).count
        except QueueError as e:
            _say("retention-last", f"Retention failed: {e}", error=True)
            return 0
        _say("retention-last", f"Last applied {clock(self.queue.clock())}: removed {count} task(s).")
        return count

    async def apply_forever(self, changed: Callable[[], None]) -> None:
        """Apply the policy now and then every ``every_ms``; call *changed* when it removed anything."""
        while True:
            if await self.apply():
                changed()
            await asyncio.sleep(self.every_ms / 1000.0)

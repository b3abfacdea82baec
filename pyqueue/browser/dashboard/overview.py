"""The dashboard's first lines: this tab's runner, the live runners of every tab, storage, and the counts.

The texts are pure functions (tested under CPython); :class:`Overview` writes
them. Live runners and the storage estimate are asked of the browser on the
slow timer only: no event reports a tab that closed or a quota that moved.
"""

from __future__ import annotations

from typing import Any

from pyqueue import RunnerState, Stats, TaskStatus

from ..runner_view import FAILED, LOADING, PAGE, WORKER, RunnerView
from .dom import el, find, set_text
from .formatting import format_bytes, format_ms, plural

STATE_TEXT = {
    RunnerState.IDLE: "not started",
    RunnerState.RUNNING: "running",
    RunnerState.PAUSED_USER: "paused",
    RunnerState.PAUSED_HIDDEN: "paused: tab hidden",
    RunnerState.UPGRADE_PENDING: "paused: database upgrade in another tab",
    RunnerState.STOPPING: "stopping",
    RunnerState.STOPPED: "stopped",
    LOADING: "loading its worker",
    FAILED: "its worker failed",
}
"""The runner's states, and a worker handle's own two."""

LOCATION_TEXT = {PAGE: "on this page", WORKER: "in a Web Worker"}


def runners_text(count: int | None) -> str:
    """``"3 runners alive (2 in other tabs)"``; ``None`` when the count is unknown (not an IndexedDB queue)."""
    if count is None:
        return "live runners: unknown"
    others = max(0, count - 1)
    return f"{plural(count, 'runner')} alive ({others} in other tabs)" if others else f"{plural(count, 'runner')} alive"


def storage_text(used: float | None, quota: float | None, persistent: bool | None) -> str:
    """How much of the origin's quota is used, and whether the browser may evict it."""
    if used is None:
        return "storage: unknown"
    kept = {True: "persistent", False: "may be evicted", None: "persistence unknown"}[persistent]
    return f"storage: {format_bytes(used)} of {format_bytes(quota)} · {kept}"


def runner_text(runner: RunnerView) -> str:
    """This tab's runner: its name, slots, lease, and what it runs now."""
    return (
        f"{runner.owner or 'not started yet'} · {runner.concurrency} at a time · lease {format_ms(runner.lease_ms)} · "
        f"running now: {len(runner.running_tasks)}"
    )


def location_text(location: str) -> str:
    """Where the runner's handlers run, in words: ``"runs on this page"`` or ``"runs in a Web Worker"``."""
    return f"runs {LOCATION_TEXT.get(location, location)}"


class Overview:
    def __init__(self) -> None:
        self.state = el("strong", cls="pqd-state", data_state="idle", aria_live="polite")
        self.runners = el("span", text=runners_text(None), data_part="runners")
        self.storage = el("span", text=storage_text(None, None, None), data_part="storage")
        self.error = el("p", cls="pqd-runner-error", role="alert", hidden="")
        self.counts = el(
            "ul",
            *(self._count(s.value) for s in TaskStatus),
            self._count("total", "in all"),
            cls="pqd-counts",
        )
        self.location = el("span", data_part="location")
        self.runner = el("p", cls="pqd-meta", data_part="runner")
        self.runner_counts = el("dl", cls="pqd-runner-counts")
        facts = el("div", el("span", "runner ", self.state), self.location, self.runners, self.storage, cls="pqd-facts")
        self.root = el(
            "section",
            facts,
            self.error,
            self.counts,
            el("details", el("summary", text="This tab's runner"), self.runner, self.runner_counts),
            cls="pqd-card pqd-overview",
            data_part="overview",
        )

    @staticmethod
    def _count(key: str, label: str | None = None) -> Any:
        return el("li", el("span", text="0", cls="pqd-n"), " " + (label or key), data_status=key)

    def show_runner(self, runner: RunnerView) -> None:
        """The runner's state, straight from memory (right even while the store is closed)."""
        state = str(runner.state)
        set_text(self.state, STATE_TEXT.get(state, state))
        self.state.dataset.state = state
        set_text(self.location, location_text(runner.location))
        self.location.dataset.location = runner.location
        error = runner.last_error
        self.error.hidden = error is None
        set_text(self.error, f"The runner retries after a store error: {error}" if error else "")
        set_text(self.runner, runner_text(runner))
        items = list(vars(runner.counts).items())
        if self.runner_counts.childElementCount != len(items):
            self.runner_counts.replaceChildren(
                *(el("div", el("dt", text=k), el("dd", text="0", data_count=k)) for k, _ in items)
            )
        for name, value in items:
            set_text(find(self.runner_counts, f"dd[data-count='{name}']"), str(value))

    def show_counts(self, stats: Stats) -> None:
        for status in TaskStatus:
            self._set_count(status.value, stats.by_status.get(status.value, 0))
        self._set_count("total", stats.total)

    def _set_count(self, key: str, value: int) -> None:
        set_text(find(self.counts, f"li[data-status='{key}'] .pqd-n"), str(value))

    def show_runners(self, count: int | None) -> None:
        set_text(self.runners, runners_text(count))

    async def show_storage(self) -> None:
        """Ask the browser how much of the quota is used (read only: asking for persistence is the host's call)."""
        import js

        storage = getattr(js.navigator, "storage", None)
        if storage is None:
            set_text(self.storage, storage_text(None, None, None))
            return
        estimate = await storage.estimate()
        persistent = bool(await storage.persisted())
        set_text(self.storage, storage_text(float(estimate.usage), float(estimate.quota), persistent))

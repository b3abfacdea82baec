"""The header and the counts: runner state, live runners, network, storage, and tasks per status."""

from __future__ import annotations

import asyncio

from pyqueue import RunnerCounts, RunnerState, Stats, TaskStatus

from .dom import by_id, el, set_text
from .formatting import format_bytes

STATE_TEXT = {
    RunnerState.IDLE: "starting",
    RunnerState.RUNNING: "running",
    RunnerState.PAUSED_USER: "paused by you",
    RunnerState.PAUSED_HIDDEN: "paused: tab hidden",
    RunnerState.UPGRADE_PENDING: "paused: database upgrade",
    RunnerState.STOPPING: "stopping",
    RunnerState.STOPPED: "stopped",
}


TOAST = "app-message"
TOAST_S = 6.0


class Panel:
    """Writes the queue's state into the page's fixed elements."""

    def __init__(self) -> None:
        self._toast_serial = 0
        self._fading: asyncio.Future[None] | None = None

    def show_state(self, state: RunnerState) -> None:
        node = by_id("runner-state")
        set_text("runner-state", STATE_TEXT[state])
        node.dataset.state = state.value
        button = by_id("pause")
        paused = state is RunnerState.PAUSED_USER
        label = "Start" if state in (RunnerState.STOPPED, RunnerState.IDLE) else "Resume" if paused else "Pause"
        if button.textContent != label:
            button.textContent = label
        button.setAttribute("aria-pressed", "true" if paused else "false")

    def show_runners(self, count: int) -> None:
        others = max(0, count - 1)
        text = "no other tab" if others == 0 else f"{others} other tab{'s' if others != 1 else ''}"
        set_text("runners", f"{count} runner{'s' if count != 1 else ''} alive · {text}")
        by_id("runners").dataset.count = str(count)

    def show_online(self, online: bool) -> None:
        set_text("network", "online" if online else "offline: network tasks parked")
        by_id("network").dataset.online = "true" if online else "false"

    def show_storage(self, used: float | None, quota: float | None, persistent: bool | None) -> None:
        if used is None:
            set_text("storage", "storage: unknown")
            return
        kept = {True: "persistent", False: "not persistent (the browser may evict it)", None: "persistence unknown"}
        set_text("storage", f"{format_bytes(used)} of {format_bytes(quota)} used · {kept[persistent]}")
        by_id("storage").dataset.persistent = str(persistent).lower()

    def show_runner_counts(self, counts: RunnerCounts, config: str) -> None:
        """What this tab's runner did since the page opened."""
        node = by_id("runner-counts")
        items = list(vars(counts).items())
        if node.childElementCount != len(items):
            node.replaceChildren(*(el("div", el("dt", text=k), el("dd", text="0", data_count=k)) for k, _ in items))
        for name, value in items:
            dd = node.querySelector(f"dd[data-count='{name}']")
            if dd.textContent != str(value):
                dd.textContent = str(value)
        set_text("runner-config", config)

    def show_counts(self, stats: Stats, parked: int) -> None:
        for status in TaskStatus:
            set_text(f"count-{status.value}", str(stats.by_status.get(status.value, 0)))
        set_text("count-total", str(stats.total))
        set_text("count-parked", f"{parked} parked offline" if parked else "")

    def show_message(self, text: str, *, error: bool, target: str = "enqueue-message") -> None:
        node = by_id(target)
        node.textContent = text
        node.dataset.kind = "error" if error else "ok"
        if target == TOAST and not error:  # the floating note goes away by itself; errors stay until replaced
            self._toast_serial += 1
            self._fading = asyncio.ensure_future(self._fade(self._toast_serial))

    async def _fade(self, serial: int) -> None:
        await asyncio.sleep(TOAST_S)
        if serial == self._toast_serial:
            by_id(TOAST).textContent = ""

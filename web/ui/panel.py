"""The page's header and its messages: this tab's runner state, the network, and short notes.

The queue's counts, live runners and storage are the dashboard component's (:mod:`pyqueue.browser.dashboard`).
"""

from __future__ import annotations

import asyncio

from pyqueue import RunnerState
from pyqueue.browser.runner_view import FAILED, LOADING

from .dom import by_id, set_text

STATE_TEXT = {
    RunnerState.IDLE: "starting",
    RunnerState.RUNNING: "running",
    RunnerState.PAUSED_USER: "paused by you",
    RunnerState.PAUSED_HIDDEN: "paused: tab hidden",
    RunnerState.UPGRADE_PENDING: "paused: database upgrade",
    RunnerState.STOPPING: "stopping",
    RunnerState.STOPPED: "stopped",
    LOADING: "starting its worker",
    FAILED: "worker failed",
}
"""The runner's states, and a worker handle's own two."""
STARTABLE = (RunnerState.STOPPED, RunnerState.IDLE, FAILED)
"""States in which the button starts the runner (a failed worker's handle starts a new worker)."""


TOAST = "app-message"
TOAST_S = 6.0


class Panel:
    """Writes into the header and the page's message lines."""

    def __init__(self) -> None:
        self._toast_serial = 0
        self._fading: asyncio.Future[None] | None = None

    def show_state(self, state: str) -> None:
        """The runner's state (a :class:`~pyqueue.RunnerState` value, or a worker handle's ``loading`` / ``failed``)."""
        node = by_id("runner-state")
        set_text("runner-state", STATE_TEXT.get(state, state))
        node.dataset.state = str(state)
        button = by_id("pause")
        paused = state == RunnerState.PAUSED_USER
        label = "Start" if state in STARTABLE else "Resume" if paused else "Pause"
        if button.textContent != label:
            button.textContent = label
        button.setAttribute("aria-pressed", "true" if paused else "false")

    def show_outdated(self) -> None:
        """Another tab upgraded (or deleted) the queue's database; the library paused this tab's runner.

        Tasks this tab was running cannot record their outcome; they come back
        to the newer tab when their leases expire.
        """
        self.show_state(RunnerState.UPGRADE_PENDING)
        self.show_message(
            "Another tab opened a newer version of the database, so this tab stepped aside. Reload it.",
            error=True,
            target=TOAST,
        )

    def show_online(self, online: bool) -> None:
        set_text("network", "online" if online else "offline: network tasks parked")
        by_id("network").dataset.online = "true" if online else "false"

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

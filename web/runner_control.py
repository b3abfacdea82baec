"""This tab's runner on the page: the Start / Pause / Resume button, and stepping aside for a newer tab."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from pyqueue import PauseReason, QueueRunner, RunnerState

from .dom import on
from .panel import Panel

log = logging.getLogger("pyqueue.app")


class RunnerControl:
    def __init__(self, runner: QueueRunner, panel: Panel, refresh: Callable[[], None]) -> None:
        self.runner = runner
        self.panel = panel
        self.refresh = refresh

    def wire(self) -> None:
        on("pause", "click", self._on_pause)

    def start(self) -> None:
        """Start the runner loop (never a second one); say so on the page if it ever ends with an error."""
        self.runner.start().add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.warning("pyqueue app: the runner stopped: %s", task.exception())
            text = f"The runner stopped: {task.exception()}. Press Start to run it again."
            self.panel.show_message(text, error=True, target="app-message")
        self.refresh()

    def _on_pause(self, _event: Any) -> None:
        state = self.runner.state
        if state in (RunnerState.STOPPED, RunnerState.IDLE):
            self.start()
        elif state is RunnerState.PAUSED_USER:
            self.runner.resume()
        else:
            self.runner.pause()

    def outdated(self, new_version: int | None) -> None:
        """Another tab upgraded (or deleted) the queue's database: claim nothing more here and say so.

        The connection is already closed (so the upgrade is not blocked); tasks
        this tab was running cannot record their outcome, and come back to the
        newer tab when their leases expire.
        """
        self.runner.pause(PauseReason.UPGRADE)
        self.panel.show_message(
            "Another tab opened a newer version of the database, so this tab stepped aside. Reload it.",
            error=True,
            target="app-message",
        )

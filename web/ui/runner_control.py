"""This tab's runner on the page: the Start / Pause / Resume button in the header."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pyqueue import QueueRunner, RunnerState

from .dom import on
from .panel import Panel

log = logging.getLogger("pyqueue.app")


class RunnerControl:
    def __init__(self, runner: QueueRunner, panel: Panel) -> None:
        self.runner = runner
        self.panel = panel

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
        self.panel.show_state(self.runner.state)

    def _on_pause(self, _event: Any) -> None:
        state = self.runner.state
        if state in (RunnerState.STOPPED, RunnerState.IDLE):
            self.start()
        elif state is RunnerState.PAUSED_USER:
            self.runner.resume()
        else:
            self.runner.pause()

"""This tab's runner, on the page or in its worker: the Start / Pause / Resume button in the header."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pyqueue import RunnerState
from pyqueue.browser.runner_view import RunnerView

from .dom import on
from .panel import STARTABLE, Panel

log = logging.getLogger("pyqueue.app")


class RunnerControl:
    def __init__(self, runner: RunnerView, panel: Panel) -> None:
        self.runner = runner
        self.panel = panel

    def wire(self) -> None:
        on("pause", "click", self._on_pause)

    def start(self) -> None:
        """Start the runner (never a second one); say so on the page if the page's runner ends with an error.

        A worker's handle reports a failure as its ``failed`` state instead (shown in the header).
        """
        started = self.runner.start()
        if isinstance(started, asyncio.Task):
            started.add_done_callback(self._ended)
        self.panel.show_state(self.runner.state)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.warning("pyqueue app: the runner stopped: %s", task.exception())
            text = f"The runner stopped: {task.exception()}. Press Start to run it again."
            self.panel.show_message(text, error=True, target="app-message")
        self.panel.show_state(self.runner.state)

    def _on_pause(self, _event: Any) -> None:
        state = self.runner.state
        if state in STARTABLE:
            self.start()
        elif state == RunnerState.PAUSED_USER:
            self.runner.resume()
        else:
            self.runner.pause()

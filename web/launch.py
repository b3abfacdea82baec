"""The page's start, in two steps: the queue and its runner first, the page's views after.

Importing the dashboard and the memory's views takes most of the app's start
(benches/NOTES-perf.md, section 5), and a due task need not wait for them: this
module imports only what opens the queue (the settings, the registry, where the
tasks run) and starts the runner; :mod:`web.app`, with every view, is imported
once the runner has had a turn to claim.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

import js  # type: ignore[import-not-found]

from pyqueue import QueueError, exponential_backoff
from pyqueue.browser import BrowserQueue, start
from pyqueue.browser.runner_view import RunnerView

from .memory.tasks import MemoryWorker
from .registry import app_registry, open_memory_worker
from .runner_choice import choose_runner, start_options
from .settings import Settings, query_values

if TYPE_CHECKING:
    from .app import App


@dataclass(frozen=True)
class Started:
    """What the first step opened: the queue on the page, the runner the page shows, the memory's handlers."""

    bq: BrowserQueue
    runner: RunnerView
    worker: MemoryWorker
    settings: Settings


async def open_queue(settings: Settings) -> Started:
    """Open the memory and the queue, and start the runner (unless the link says ``autostart=0``)."""
    worker = await open_memory_worker(settings)
    backoff = functools.partial(exponential_backoff, base_ms=settings.backoff_ms)
    bq = await start(
        app_registry(worker),
        db_name=settings.db_name,
        concurrency=settings.concurrency,
        lease_ms=settings.lease_ms,
        backoff=backoff,
        hidden_grace_ms=settings.hidden_grace_ms,
        retention=settings.retention,
        retention_every_ms=settings.retention_every_ms,
        autostart=False,  # the memory's task types need the queue first
        on_upgrade=lambda _version: _show_outdated(),
        **start_options(settings),
    )
    worker.bind(bq.queue)
    runner = choose_runner(bq, settings, backoff)
    if settings.autostart:
        runner.start()
    return Started(bq, runner, worker, settings)


def _show_outdated() -> None:
    from .ui.panel import Panel

    Panel().show_outdated()


async def main() -> App | None:
    settings = Settings.from_values(query_values(js.location.search))
    try:
        started = await open_queue(settings)
    except QueueError as e:  # e.g. UpgradeBlocked: an older tab keeps the database open
        status = js.document.getElementById("boot-status")
        status.textContent = f"The queue could not open its database: {e}"
        status.classList.add("failed")
        js.document.body.dataset.bootFailed = "true"
        return None
    await asyncio.sleep(0)  # the page's runner claims its first task before the views load
    from .app import App
    from .page_api import PageApi

    app = App(started)
    PageApi(app).expose()
    app.start()
    return app

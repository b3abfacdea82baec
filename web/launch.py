"""The page's start, in two steps: the queue and its runner first, the page's views after.

Importing the dashboard and the memory's views takes most of the app's start
(benches/NOTES-perf.md, section 5), and a due task need not wait for them: this
module imports only what opens the queue (the settings, the registry, where the
tasks run) and starts the runner; :mod:`web.app`, with every view, is imported
once the page's runner has done its first step (:func:`first_step`).
"""

from __future__ import annotations

import asyncio
import functools
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

import js  # type: ignore[import-not-found]

from pyqueue import QueueError, exponential_backoff
from pyqueue.browser import BrowserQueue, start
from pyqueue.browser.runner_view import PAGE, RunnerView

from .memory.idb_store import IndexedDBMemory
from .memory.tasks import MemoryWorker
from .registry import app_registry, memory_worker
from .runner_choice import choose_runner, start_options
from .settings import Settings, query_values

if TYPE_CHECKING:
    from .app import App

FIRST_CLAIM_MS = 150.0
"""How long the views wait for the page's runner to start a task that was due at load."""
FIRST_TASK_MS = 1_000.0
"""How long, at most, they wait for the runner to record the outcome of the first task it started."""


@dataclass(frozen=True)
class Started:
    """What the first step opened: the queue on the page, the runner the page shows, the memory's handlers."""

    bq: BrowserQueue
    runner: RunnerView
    worker: MemoryWorker
    settings: Settings


async def open_queue(settings: Settings) -> Started:
    """Open the memory and the queue (side by side), and start the runner (unless the link says ``autostart=0``)."""
    memory = IndexedDBMemory.opening(settings.memory_db_name)
    worker = memory_worker(memory, settings)
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
    try:
        await memory.opened()
    except QueueError:
        await bq.close()
        raise
    worker.bind(bq.queue)
    runner = choose_runner(bq, settings, backoff)
    if settings.autostart:
        runner.start()
    return Started(bq, runner, worker, settings)


async def first_step(runner: RunnerView) -> None:
    """Return once the page's runner has recorded its first outcome, or started no task within FIRST_CLAIM_MS.

    The views' imports and first renders hold the main thread, and their reads
    of the tasks store come before the runner's claim in IndexedDB's order: a
    task due at load would wait for all of it. A runner in a worker runs
    beside them, so the views do not wait for it. Bounded by FIRST_TASK_MS,
    so a long task does not hold the page's views back.
    """
    if runner.location != PAGE:
        return
    recorded = asyncio.get_running_loop().create_future()
    before = _outcomes(runner)

    def check() -> None:
        if _outcomes(runner) > before and not recorded.done():
            recorded.set_result(None)

    unsubscribe = runner.on_change(check)
    try:
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(recorded), FIRST_CLAIM_MS / 1000.0)
        if not recorded.done() and runner.running_tasks:
            with suppress(TimeoutError):
                await asyncio.wait_for(recorded, (FIRST_TASK_MS - FIRST_CLAIM_MS) / 1000.0)
    finally:
        unsubscribe()


def _outcomes(runner: RunnerView) -> int:
    counts = runner.counts
    return counts.completed + counts.failed + counts.retried + counts.parked + counts.cancelled + counts.lost


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
    if settings.autostart:
        await first_step(started.runner)
    from .app import App
    from .page_api import PageApi

    app = App(started)
    PageApi(app).expose()
    app.start()
    return app

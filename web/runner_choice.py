"""Where the app's tasks run: in a dedicated Web Worker (the default), or on the page (``?runner=page``).

Either way the page opens the queue with :func:`pyqueue.browser.start` and
keeps what belongs to the page: enqueueing, the dashboard, periodic tasks,
retention, unparking on ``online``, the other tabs' signals. With the worker,
the page's own runner never starts (and does not count as a live runner);
a :class:`~pyqueue.browser.worker.WorkerRunner` runs the tasks instead, with
the registry of :func:`web.registry.worker_registry`, and the worker's runner
tells the page of its changes over the database's BroadcastChannel as another
tab would, so the dashboard and the memory panel follow its tasks.
"""

from __future__ import annotations

from typing import Any

import js  # type: ignore[import-not-found]

from pyqueue.backoff import BackoffPolicy
from pyqueue.browser import BrowserQueue
from pyqueue.browser.runner_view import RunnerView

from .registry import WORKER_ENTRY
from .settings import Settings

PAGE_ONLY = {
    "count_runners": False,
    "pause_when_hidden": False,
    "hand_back_on_pagehide": False,
    "check_leases_on_wake": False,
}
"""``start()`` flags for a page whose runner never starts: the worker's runner does each of these itself,
or the page's handle does it for the worker (visibility)."""


def start_options(settings: Settings) -> dict[str, Any]:
    """The extra :func:`pyqueue.browser.start` options for where *settings* runs the tasks."""
    return PAGE_ONLY if settings.runner == "worker" else {}


def _here(path: str) -> str:
    """*path* as an absolute URL on this page's origin (a worker resolves relative URLs against its own script)."""
    return str(js.URL.new(path, js.location.href).href)


def _early() -> Any:
    """The worker ``web/boot.js`` created before Python ran (it has been loading Pyodide since), once; or ``None``."""
    early = getattr(js.globalThis, "pyqueueEarlyWorker", None)
    js.Reflect.deleteProperty(js.globalThis, "pyqueueEarlyWorker")
    return early


def choose_runner(bq: BrowserQueue, settings: Settings, backoff: BackoffPolicy) -> RunnerView:
    """The runner the page shows and controls: the page's own, or the handle on a worker (not started yet)."""
    if settings.runner != "worker":
        return bq.runner
    from pyqueue.browser.worker import WorkerConfig, WorkerRunner, forward_page_visibility

    config = WorkerConfig(
        entry=WORKER_ENTRY,
        pyodide_url=_here("./static/vendor/pyodide/"),
        archives=(_here("./static/pyqueue.zip"),),
        db_name=settings.db_name,
        concurrency=settings.concurrency,
        lease_ms=settings.lease_ms,
        hidden_grace_ms=settings.hidden_grace_ms,
        backoff_base_ms=settings.backoff_ms,
        options=settings.values,
    )
    runner = WorkerRunner(
        bq.queue, config, worker_url=_here("./static/pyqueue-worker.mjs"), backoff=backoff, early_worker=_early()
    )
    forward_page_visibility(runner)
    return runner

"""The runner in a dedicated Web Worker, so long handlers never freeze the page.

:func:`start_worker` (in :mod:`.start`) is the page's one call: the page keeps
a :class:`~pyqueue.queue.Queue` on the database, and a worker with its own
Pyodide runs the tasks (:mod:`.entry`, booted by ``worker.mjs``). The page's
:class:`.handle.WorkerRunner` mirrors the runner's state, forwards visibility,
and guards the worker: :mod:`.watchdog` finds a task past its timeout that
never yields, :mod:`.takeover` records the end of an ended worker's tasks.
:mod:`.protocol` is the checked JSON message format between the two.
"""

from __future__ import annotations

from .entry import WorkerSetup
from .handle import WorkerRunner
from .protocol import WorkerConfig
from .start import WorkerQueue, forward_page_visibility, start_worker

__all__ = ["WorkerConfig", "WorkerQueue", "WorkerRunner", "WorkerSetup", "forward_page_visibility", "start_worker"]

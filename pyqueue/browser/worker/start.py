"""One call that runs the queue's runner in a Web Worker while the page keeps the queue API.

:func:`start_worker` opens the database on the page too: the page enqueues,
reads and cancels through its own :class:`~pyqueue.queue.Queue`, and every
enqueue wakes the worker's runner at once over the database's BroadcastChannel
(the same signal other tabs send), so nothing polls; the worker's task events
come back the same way, so ``queue.events`` listeners and awaited results on
the page hear of tasks the worker ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...backoff import BackoffPolicy, exponential_backoff
from ...constants import DB_NAME, DEFAULT_LEASE_MS
from ...queue import Queue
from ...registry import TaskRegistry
from ...visibility import DEFAULT_HIDDEN_GRACE_MS
from .. import tabs
from ..events import listen
from ..indexeddb_store import IndexedDBStore
from ..network import unpark_when_online
from ..undo import UndoStack
from .handle import DEFAULT_LOAD_TIMEOUT_MS, DEFAULT_SILENT_MS, DEFAULT_WORKER_URL, WorkerRunner
from .protocol import WorkerConfig
from .watchdog import DEFAULT_HARD_GRACE_MS


class WorkerQueue:
    """The page's side of a worker-run queue: its :attr:`store`, :attr:`queue` and the worker's :attr:`runner`."""

    def __init__(self, store: IndexedDBStore, queue: Queue, runner: WorkerRunner) -> None:
        self.store = store
        self.queue = queue
        self.runner = runner
        self._undo = UndoStack()

    async def close(self) -> None:
        """Stop the worker's runner and end the worker, detach the page's listeners, close the page's store."""
        await self.runner.stop()
        self._undo.undo()
        self.store.close()

    def _connect_to_worker(self) -> None:
        """Enqueues here wake the worker; the worker's task events reach this page's ``queue.events``."""
        self._undo.push(*tabs.connect_queue(self.queue, tabs.TabSignals(self.store.name)))


def forward_page_visibility(runner: WorkerRunner) -> Callable[[], None]:
    """Tell *runner*'s worker the page's visibility now and on every change (a worker has no document).

    The worker pauses its runner after the grace while hidden. Returns a function that stops forwarding.
    """
    import js

    def forward(_event: object = None) -> None:
        runner.set_hidden(js.document.visibilityState == "hidden")

    forward()
    return listen(js.document, "visibilitychange", forward)


async def start_worker(
    registry: TaskRegistry,
    *,
    entry: str,
    db_name: str = DB_NAME,
    worker_url: str = DEFAULT_WORKER_URL,
    pyodide_url: str = "/static/vendor/pyodide/",
    packages: Sequence[str] = (),
    archives: Sequence[str] = (),
    files: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
    concurrency: int = 1,
    batch_size: int = 1,
    lease_ms: float = DEFAULT_LEASE_MS,
    hidden_grace_ms: float = DEFAULT_HIDDEN_GRACE_MS,
    load_timeout_ms: float = DEFAULT_LOAD_TIMEOUT_MS,
    hard_grace_ms: float = DEFAULT_HARD_GRACE_MS,
    silent_ms: float = DEFAULT_SILENT_MS,
    backoff: BackoffPolicy = exponential_backoff,
    max_size: int | None = None,
    forward_visibility: bool = True,
    unpark_on_online: bool = True,
    autostart: bool = True,
) -> WorkerQueue:
    """Open *db_name* on the page and start a worker that runs its tasks; return the page's side.

    *registry* is the page's view of the task types (for enqueueing); *entry*
    names the registry the worker runs, ``"module:attribute"`` (usually the
    same module). The worker loads Pyodide from *pyodide_url* and the code
    from *packages* (wheels), *archives* (zips) and *files* (URL to path), all
    on this origin; *options* (JSON) reach the entry function in the worker
    (:class:`~.entry.WorkerSetup`). A worker that fails to load is reported by
    ``runner.state == "failed"`` and ``runner.error``, not raised: call
    ``runner.restart()``.
    """
    store = await IndexedDBStore.open(db_name)
    queue = Queue(store, registry, max_size=max_size)
    config = WorkerConfig(
        entry=entry,
        pyodide_url=pyodide_url,
        packages=tuple(packages),
        archives=tuple(archives),
        files=dict(files or {}),
        options=dict(options or {}),
        db_name=db_name,
        concurrency=concurrency,
        batch_size=batch_size,
        lease_ms=lease_ms,
        hidden_grace_ms=hidden_grace_ms,
    )
    runner = WorkerRunner(
        queue,
        config,
        worker_url=worker_url,
        load_timeout_ms=load_timeout_ms,
        hard_grace_ms=hard_grace_ms,
        silent_ms=silent_ms,
        backoff=backoff,
    )
    wq = WorkerQueue(store, queue, runner)
    wq._connect_to_worker()
    if forward_visibility:
        wq._undo.push(forward_page_visibility(runner))
    if unpark_on_online:
        wq._undo.push(await unpark_when_online(queue))
    if autostart:
        runner.start()
    return wq

"""The app's task types, built the same way on the page and in the worker that runs them.

The page needs the registry to enqueue (and, with ``?runner=page``, to run);
the worker runner (``pyqueue.browser.worker``) imports :func:`worker_registry`
by name, with the page's settings as its options, and opens the memory's own
database there: IndexedDB works the same in a worker. The memory's handlers
touch no DOM, so no type is marked to run on the page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyqueue import TaskRegistry
from pyqueue.browser.network import online

from .demo_tasks import demo_registry
from .memory.idb_store import IndexedDBMemory
from .memory.tasks import MemoryWorker
from .settings import Settings

if TYPE_CHECKING:
    from pyqueue.browser.worker import WorkerSetup

WORKER_ENTRY = "web.registry:worker_registry"


def app_registry(worker: MemoryWorker) -> TaskRegistry:
    """The demo types and the memory's, with *worker*'s handlers."""
    registry = demo_registry()
    worker.register(registry)
    return registry


def memory_worker(memory: IndexedDBMemory, settings: Settings) -> MemoryWorker:
    """The memory's handlers on its database (bind them to the queue before they run)."""
    return MemoryWorker(memory, config=settings.memory, online=online)


async def worker_registry(setup: WorkerSetup) -> TaskRegistry:
    """In the worker: the registry for the page's settings (``setup.options`` are its query values)."""
    settings = Settings.from_values(setup.options)
    worker = memory_worker(await IndexedDBMemory.open(settings.memory_db_name), settings)
    setup.on_queue(worker.bind)
    return app_registry(worker)

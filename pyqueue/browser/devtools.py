"""A read-only JavaScript view of one queue, for the page's own tests and the browser's devtools.

``globalThis.pyqueue`` (the name is the page's choice) answers JSON text:
``stats()``, ``tasks(status, limit)``, ``task(id)``, and ``idle(timeout_ms)``,
which resolves ``true`` once nothing is due, running or waiting to be recorded,
in any tab (``false`` if that takes longer than *timeout_ms*).
``ready`` is ``true`` once the queue runs; ``error`` says why it could not
start. Nothing here writes: a test drives the page through the page's own
controls, as a user would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from ..errors import QueueError
from ..queue import Queue
from ..runner import QueueRunner
from ..storage import Stats
from ..task import TaskStatus

IDLE_POLL_MS = 50.0


async def queue_idle(queue: Queue) -> bool:
    """True when no task is pending, processing (running, claimed or unrecorded) or scheduled and due."""
    counts = (await queue.stats()).by_status
    if counts.get(TaskStatus.PENDING, 0) or counts.get(TaskStatus.PROCESSING, 0):
        return False
    waiting = counts.get(TaskStatus.SCHEDULED, 0)
    if not waiting:
        return True
    now = queue.clock()
    return all(t.run_at > now for t in await queue.tasks(TaskStatus.SCHEDULED, limit=waiting))


class DevtoolsHook:
    """Publishes the read-only view as ``globalThis[name]``; :meth:`remove` takes it down again."""

    def __init__(self, name: str, queue: Queue, runner: QueueRunner, live_runners: Callable[[], Awaitable[int]]):
        self.name = name
        self.queue = queue
        self.runner = runner
        self.live_runners = live_runners
        self._proxies: list[Any] = []

    async def stats_json(self) -> str:
        """Counts per status and type, and this tab's runner: state, owner, what it did, what it runs.

        The runner part answers even when the store cannot (closed for another
        tab's upgrade): then the counts are ``null`` and ``store_error`` says why.
        """
        stats: Stats | None = None
        store_error: str | None = None
        try:
            stats = await self.queue.stats()
        except QueueError as e:
            store_error = str(e)
        return json.dumps(
            {
                "by_status": None if stats is None else stats.by_status,
                "by_type": None if stats is None else stats.by_type,
                "store_error": store_error,
                "runner": {
                    "state": self.runner.state.value,
                    "owner": self.runner.owner,
                    "counts": vars(self.runner.counts),
                    "running": self.runner.running_tasks,
                    "last_error": self.runner.last_error,
                },
                "live_runners": await self.live_runners(),
            }
        )

    async def tasks_json(self, status: str | None = None, limit: int = 100) -> str:
        """Up to *limit* task records, newest first, of one status (or all: ``null``, ``""``)."""
        tasks = await self.queue.tasks(str(status) if status else None, limit=int(limit))
        return json.dumps([t.to_record() for t in tasks])

    async def task_json(self, task_id: str) -> str:
        """One task's record, or ``null``."""
        task = await self.queue.store.get(str(task_id))
        return json.dumps(None if task is None else task.to_record())

    async def idle_json(self, timeout_ms: float = 30_000.0) -> str:
        """Resolve ``true`` once :func:`queue_idle`, or ``false`` if it is not within *timeout_ms*."""
        deadline = asyncio.get_running_loop().time() + float(timeout_ms) / 1000.0
        while not await queue_idle(self.queue):
            if asyncio.get_running_loop().time() >= deadline:
                return "false"
            await asyncio.sleep(IDLE_POLL_MS / 1000.0)
        return "true"

    def publish(self) -> None:
        """Install ``globalThis[name]`` with ``ready`` true."""
        import js
        from pyodide.ffi import create_proxy

        hook = js.Object.new()
        for attr, fn in (
            ("stats", self.stats_json),
            ("tasks", self.tasks_json),
            ("task", self.task_json),
            ("idle", self.idle_json),
        ):
            proxy = create_proxy(fn)
            self._proxies.append(proxy)
            setattr(hook, attr, proxy)
        hook.ready = True
        setattr(js.globalThis, self.name, hook)

    def remove(self) -> None:
        """Take the view down and free its proxies."""
        import js

        js.Reflect.deleteProperty(js.globalThis, self.name)
        proxies, self._proxies = self._proxies, []
        for proxy in proxies:
            proxy.destroy()


def publish_failure(name: str, error: BaseException) -> None:
    """Install ``globalThis[name]`` with ``ready`` false and ``error``: a test waiting for it fails at once."""
    import js

    hook = js.Object.new()
    hook.ready = False
    hook.error = f"{type(error).__name__}: {error}"
    setattr(js.globalThis, name, hook)

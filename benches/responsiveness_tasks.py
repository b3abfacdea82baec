"""The responsiveness bench's task type and its two runs, loaded into the bench page (and the worker).

``spin`` computes for its payload's ``ms`` without yielding, the kind of
handler that freezes a page when it runs on the main thread. The page's
probe (``window.respProbe``, installed by benches/responsiveness.py) records
main-thread long tasks and input delays while the tasks run.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from pyqueue import Queue, QueueRunner, TaskContext, TaskRegistry, TaskSpec
from pyqueue.browser import IndexedDBStore
from pyqueue.browser.idb import delete_database

registry = TaskRegistry()
POLL_S = 0.05


@dataclass
class Spin:
    ms: float = 20.0


@registry.task("spin")
def spin(payload: Spin, ctx: TaskContext) -> None:
    end = time.perf_counter() + payload.ms / 1000.0
    while time.perf_counter() < end:
        pass


def _specs(n: int, ms: float) -> list[TaskSpec]:
    return [TaskSpec("spin", {"ms": ms}) for _ in range(n)]


def _probe_start() -> None:
    import js

    js.respProbe.start()


def _probe_stop(n: int, seconds: float) -> dict[str, Any]:
    import js

    probe: dict[str, Any] = json.loads(str(js.respProbe.stop()))
    return {**probe, "per_s": n / seconds}


async def main_thread_run(n: int, ms: float) -> dict[str, Any]:
    """*n* spin tasks through a runner on this page's main thread."""
    await delete_database("bench-resp-main")
    queue = Queue(await IndexedDBStore.open("bench-resp-main"), registry)
    runner = QueueRunner(queue)
    await queue.enqueue_many(_specs(n, ms))
    _probe_start()
    t0 = time.perf_counter()
    runner.start()
    while runner.counts.completed < n:
        await asyncio.sleep(POLL_S)
    seconds = time.perf_counter() - t0
    report = _probe_stop(n, seconds)
    await runner.stop()
    queue.store.close()
    return report


async def worker_run(n: int, ms: float) -> dict[str, Any]:
    """*n* spin tasks through a worker runner started from this page (its start-up is not timed)."""
    from pyqueue.browser.worker import start_worker

    await delete_database("bench-resp-worker")
    wq = await start_worker(
        registry,
        entry="responsiveness_tasks:registry",
        db_name="bench-resp-worker",
        archives=["/static/pyqueue.zip"],
        files={"/benches/responsiveness_tasks.py": "responsiveness_tasks.py"},
    )
    while wq.runner.state != "running":
        if wq.runner.state == "failed":
            raise RuntimeError(f"the worker failed: {wq.runner.error}")
        await asyncio.sleep(POLL_S)
    wq.runner.pause()
    await wq.queue.enqueue_many(_specs(n, ms))
    _probe_start()
    t0 = time.perf_counter()
    wq.runner.resume()
    while wq.runner.counts.completed < n:
        await asyncio.sleep(POLL_S)
    seconds = time.perf_counter() - t0
    report = _probe_stop(n, seconds)
    await wq.close()
    return report

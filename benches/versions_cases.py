"""The page side of ``benches/versions.py``: two versions of pyqueue enqueue alternately, in one page.

``pyqueue`` is the working tree's (``static/pyqueue.zip``); ``pyqueue_base`` is
a git ref's copy, written into the page's file system by ``versions.py``.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import pyqueue_base  # type: ignore[import-not-found]
import pyqueue_base.browser  # type: ignore[import-not-found]

import pyqueue
from pyqueue.browser import IndexedDBStore, schema
from pyqueue.browser.idb import delete_database, js_object, transaction

TASK_TYPE = "bench.noop"


@dataclass
class Noop:
    i: int = 0


async def noop(payload: Noop, ctx: object) -> None:
    return None


async def fresh_queue(package: Any, store: Any, name: str) -> Any:
    """A queue of *package* (``pyqueue`` or ``pyqueue_base``) over its *store* class, on a new database."""
    await delete_database(name)
    registry = package.TaskRegistry()
    registry.register(TASK_TYPE, noop)
    return package.Queue(await store.open(name), registry)


async def alternate(n: int, many: int, many_runs: int) -> dict[str, Any]:
    """*n* single enqueues of each version and *n* bare puts (the floor), op by op; then the batches.

    Returns the median ms of each single variant and the median tasks per
    second of ``enqueue_many`` of *many* tasks for each version (*many_runs*
    each, in A B then B A order).
    """
    queues = {
        "base": await fresh_queue(pyqueue_base, pyqueue_base.browser.IndexedDBStore, "versions-base"),
        "tree": await fresh_queue(pyqueue, IndexedDBStore, "versions-tree"),
    }
    floor = await fresh_queue(pyqueue, IndexedDBStore, "versions-floor")
    db = floor.store._connection.db()
    task = queues["tree"]._build(pyqueue.TaskSpec(TASK_TYPE, {"i": 0}), time.time() * 1000)
    row = schema.encode(task, numbered=False)

    def put(i: int) -> Any:
        one = js_object({**row, "id": f"floor-{i}"})
        return transaction(db, (schema.TASKS,), "readwrite", lambda tx: tx.store(schema.TASKS).put(one))

    try:
        for i in range(10):  # warm-up: first calls pay for imports and caches
            for queue in queues.values():
                await queue.enqueue(TASK_TYPE, {"i": -i})
            await put(-i - 1)
        ms: dict[str, list[float]] = {"base": [], "tree": [], "py_put": []}
        for i in range(n):
            for name in list(ms) if i % 2 == 0 else list(reversed(ms)):
                t0 = time.perf_counter()
                await (put(i) if name == "py_put" else queues[name].enqueue(TASK_TYPE, {"i": i}))
                ms[name].append((time.perf_counter() - t0) * 1000)
        per_s: dict[str, list[float]] = {"base": [], "tree": []}
        for run in range(many_runs):
            for name in list(per_s) if run % 2 == 0 else list(reversed(per_s)):
                package = pyqueue_base if name == "base" else pyqueue
                specs = [package.TaskSpec(TASK_TYPE, {"i": i}) for i in range(many)]
                t0 = time.perf_counter()
                await queues[name].enqueue_many(specs)
                per_s[name].append(many / (time.perf_counter() - t0))
        return {
            "enqueue_one_p50_ms": {k: statistics.median(v) for k, v in ms.items()},
            "enqueue_one_mean_ms": {k: statistics.fmean(v) for k, v in ms.items()},
            "enqueue_many_per_s": {k: statistics.median(v) for k, v in per_s.items()},
            "enqueue_many_runs": per_s,
        }
    finally:
        for queue in (*queues.values(), floor):
            queue.store.close()

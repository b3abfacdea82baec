"""The page side of ``benches/versions.py``: two versions of pyqueue enqueue, or process, alternately in one page.

``pyqueue`` is the working tree's (``static/pyqueue.zip``); ``pyqueue_base`` is
a git ref's copy, written into the page's file system by ``versions.py``.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import bench_cases  # benches/cases.py, which the bench page loads beside this file
import pyqueue_base  # type: ignore[import-not-found]
import pyqueue_base.browser  # type: ignore[import-not-found]

import pyqueue
from pyqueue.browser import IndexedDBStore
from pyqueue.browser.idb import delete_database

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
    put = bench_cases.bare_put(floor)

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


async def run_chunk(package: Any, store: Any, n: int, concurrency: int, batch_size: int | None) -> float:
    """*n* waiting no-op tasks run to completion by a runner of *package*, on a fresh database; tasks/s.

    As ``bench_cases.process_noop``: enqueued first, then the runner's own loop
    started, timed until its *n*-th completion (``bench_cases.run_until``), and stopped.
    """
    queue = await fresh_queue(package, store, "versions-process")
    try:
        await queue.enqueue_many([package.TaskSpec(TASK_TYPE, {"i": i}) for i in range(n)])
        options = {} if batch_size is None else {"batch_size": batch_size}
        runner = package.QueueRunner(queue, concurrency=concurrency, **options)
        seconds = await bench_cases.run_until(runner, n)
        if runner.counts.completed != n:
            raise RuntimeError(f"versions: {runner.counts} after {n} tasks")
        return n / seconds
    finally:
        queue.store.close()


async def alternate_process(chunks: int, n: int, batch_size: int) -> dict[str, Any]:
    """Runner chunks of each version, alternated (A B, then B A): *n* tasks at concurrency 1, no batches,
    then ``2 * n`` at concurrency 4 with batches of *batch_size* (the sizes of ``bench_cases.ab_process``).

    Returns, per configuration, each version's tasks/s per chunk, their medians
    and the median of tree / base over the chunk pairs.
    """
    versions = {"base": (pyqueue_base, pyqueue_base.browser.IndexedDBStore), "tree": (pyqueue, IndexedDBStore)}
    configs = {"c1": (n, 1, None), "c4_batch": (2 * n, 4, batch_size)}
    out: dict[str, Any] = {}
    for config, (tasks, concurrency, batch) in configs.items():
        for package, store in versions.values():  # warm-up: first runs pay for imports and caches
            await run_chunk(package, store, min(tasks, 50), concurrency, batch)
        per_s: dict[str, list[float]] = {"base": [], "tree": []}
        for chunk in range(chunks):
            for name in list(per_s) if chunk % 2 == 0 else list(reversed(per_s)):
                per_s[name].append(await run_chunk(*versions[name], tasks, concurrency, batch))
        out[config] = {
            "tasks_per_chunk": tasks,
            "per_s": {k: statistics.median(v) for k, v in per_s.items()},
            "tree_vs_base": statistics.median(t / b for t, b in zip(per_s["tree"], per_s["base"], strict=True)),
            "runs": per_s,
        }
    return out

"""The page side of ``benches/probes.py``: where one enqueue's time goes, and which reads slow down with depth.

Loaded into the bench page beside ``bench_cases`` (``benches/cases.py``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import bench_cases  # benches/cases.py, which the bench page loads beside this file

from pyqueue import Queue
from pyqueue.browser import IndexedDBStore, indexeddb_store, task_rows

SEGMENTS = ("before", "body", "idb", "after")
"""An awaited write, cut where Python hands over to IndexedDB and back:
``before`` the transaction starts (the task's build and checks), ``body`` (the
transaction's own Python: encode, convert, put), ``idb`` (until the commit is
reported: IndexedDB and the browser), ``after`` (from the commit to the caller
resuming: numbering, events, the await's own turn)."""


@contextmanager
def _marked(marks: dict[str, float]) -> Iterator[Callable[..., Any]]:
    """The store's transaction starter, wrapped to note the time at its start, return and commit, in *marks*."""
    start = indexeddb_store.start_transaction

    def timed(*args: Any) -> Any:
        marks["a"] = time.perf_counter()
        future = start(*args)
        marks["b"] = time.perf_counter()
        future.add_done_callback(lambda _: marks.__setitem__("c", time.perf_counter()))
        return future

    indexeddb_store.start_transaction = timed
    try:
        yield timed
    finally:
        indexeddb_store.start_transaction = start


async def enqueue_segments(n: int) -> dict[str, dict[str, float]]:
    """Single enqueues and single bare puts from Python (the ``ab`` case's floor), alternated; mean ms per segment.

    The bare put is ``bench_cases.bare_put``, through the same timed
    helper: what any Python code pays to await one write. The segments
    of the two, side by side, say where the enqueue's time beyond that floor
    goes. Means, not medians: each segment is shorter than the browser's
    0.1 ms clock step, and only an average of many resolves it.
    """
    queue = await bench_cases.fresh_queue("bench-probe-segments")
    marks: dict[str, float] = {}
    totals = {name: dict.fromkeys(SEGMENTS, 0.0) for name in ("py_put", "enqueue")}
    try:
        with _marked(marks) as timed:
            variants: dict[str, Callable[[int], Awaitable[Any]]] = {
                "py_put": bench_cases.bare_put(queue, timed),
                "enqueue": lambda i: queue.enqueue(bench_cases.TASK_TYPE, {"i": i}),
            }
            for i in range(n):
                for name in list(variants) if i % 2 == 0 else list(reversed(variants)):
                    marks.clear()
                    t0 = time.perf_counter()
                    await variants[name](i)
                    t1 = time.perf_counter()
                    assert marks.keys() == {"a", "b", "c"}, f"{name} did not go through one transaction: {marks}"
                    spans = (marks["a"] - t0, marks["b"] - marks["a"], marks["c"] - marks["b"], t1 - marks["c"])
                    for segment, seconds in zip(SEGMENTS, spans, strict=True):
                        totals[name][segment] += seconds
    finally:
        bench_cases.close(queue)
    return {name: {s: seconds * 1000 / n for s, seconds in spans_of.items()} for name, spans_of in totals.items()}


async def depth_fill(name: str, tasks: int) -> None:
    """A new database *name* holding *tasks* pending no-op tasks (enqueued in chunks, as the ``depth`` case does)."""
    queue = await bench_cases.fresh_queue(name)
    try:
        await bench_cases.top_up(queue, 0, tasks)
    finally:
        bench_cases.close(queue)


async def depth_churn(name: str, n: int) -> float:
    """Enqueue *n* + 1 tasks into database *name*, then claim and complete *n* with a c1 runner; ms per task.

    As the ``depth`` case does. The runner may complete one task more while it
    stops (it claims the next as it completes the last): the spare keeps the
    database at its level, give or take one, for the reads that follow.
    """
    queue = Queue(await IndexedDBStore.open(name), bench_cases.registry())
    try:
        await queue.enqueue_many(bench_cases.specs(n + 1))
        task_rows.forget()
        seconds = await bench_cases.run_until(bench_cases.make_runner(queue), n)
    finally:
        bench_cases.close(queue)
    return seconds * 1000 / n

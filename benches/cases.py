"""The pyqueue side of the benchmarks, run inside Pyodide on ``benches/bench.html``.

``benches/bench.py`` copies this file into the page as ``bench_cases`` and calls
one coroutine per measurement through ``window.pyRun``; each returns plain JSON
data. Every case opens a fresh IndexedDB database, so runs do not see each
other's rows. Timing uses ``time.perf_counter`` (``performance.now`` in the
browser: 0.1 ms resolution in a page that is not cross-origin isolated).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import inspect
import json
import pstats
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pyqueue import Queue, QueueRunner, TaskContext, TaskRegistry, TaskSpec
from pyqueue.browser import IndexedDBStore, schema, task_rows
from pyqueue.browser.idb import Transaction, delete_database, js_object, transaction
from pyqueue.turns import PlainEvent

TASK_TYPE = "bench.noop"
FILL_CHUNK = 10_000


@dataclass
class Noop:
    i: int = 0


async def noop(payload: Noop, ctx: TaskContext) -> None:
    return None


def registry() -> TaskRegistry:
    reg = TaskRegistry()
    reg.register(TASK_TYPE, noop)
    return reg


async def fresh_queue(name: str) -> Queue:
    """A queue on a new database."""
    await delete_database(name)
    return Queue(await IndexedDBStore.open(name), registry())


def close(queue: Queue) -> None:
    queue.store.close()


def specs(n: int, start: int = 0) -> list[TaskSpec]:
    return [TaskSpec(TASK_TYPE, {"i": i}) for i in range(start, start + n)]


def runner_options() -> dict[str, Any]:
    """What this build's QueueRunner accepts beyond the basics (``batch_size`` once batch claims land)."""
    params = inspect.signature(QueueRunner).parameters
    return {"batch_size": "batch_size" in params}


def make_runner(queue: Queue, *, concurrency: int = 1, batch_size: int | None = None) -> QueueRunner:
    if batch_size is None:
        return QueueRunner(queue, concurrency=concurrency)
    return QueueRunner(queue, concurrency=concurrency, batch_size=batch_size)


async def completed(runner: QueueRunner, target: int) -> None:
    """Wait until *runner* has completed *target* tasks in all (it must be running)."""
    reached = asyncio.Event()

    def check() -> None:
        if runner.counts.completed >= target:
            reached.set()

    unsubscribe = runner.on_change(check)
    try:
        check()
        await reached.wait()
    finally:
        unsubscribe()
    if runner.counts.failed or runner.counts.lost:
        raise RuntimeError(f"benchmark tasks did not all complete: {runner.counts}")


async def run_until(runner: QueueRunner, n: int) -> float:
    """Start *runner* (its real loop, as the page runs it), wait until it completed *n* more tasks, stop it.

    Returns the seconds from start until the *n*-th completion.
    """
    target = runner.counts.completed + n
    t0 = time.perf_counter()
    runner.start()
    await completed(runner, target)
    seconds = time.perf_counter() - t0
    await runner.stop()
    return seconds


# --------------------------------------------------------------------------- cases


async def enqueue_one(n: int) -> dict[str, Any]:
    """*n* single enqueues awaited one after another; every latency in ms."""
    queue = await fresh_queue("bench-enqueue-one")
    try:
        for i in range(10):  # warm-up: first calls pay for imports and caches
            await queue.enqueue(TASK_TYPE, {"i": -i})
        ms = []
        for i in range(n):
            t0 = time.perf_counter()
            await queue.enqueue(TASK_TYPE, {"i": i})
            ms.append((time.perf_counter() - t0) * 1000)
        return {"ms": ms}
    finally:
        close(queue)


async def enqueue_many(n: int) -> dict[str, Any]:
    """One ``enqueue_many`` call of *n* tasks into an empty queue."""
    queue = await fresh_queue("bench-enqueue-many")
    try:
        batch = specs(n)
        t0 = time.perf_counter()
        ids = await queue.enqueue_many(batch)
        seconds = time.perf_counter() - t0
        assert len(ids) == n
        newest = await queue.store.tasks(limit=2)
        assert [t.seq for t in newest] == [n, n - 1], f"not numbered 1..{n}: newest {newest}"
        return {"seconds": seconds, "tasks": n, "per_s": n / seconds}
    finally:
        close(queue)


async def process_noop(n: int, concurrency: int = 1, batch_size: int | None = None) -> dict[str, Any]:
    """*n* waiting no-op tasks run to completion by one runner; tasks per second."""
    queue = await fresh_queue("bench-process")
    try:
        await queue.enqueue_many(specs(n))
        worker = make_runner(queue, concurrency=concurrency, batch_size=batch_size)
        seconds = await run_until(worker, n)
        stats = await queue.stats()
        assert stats.by_status["completed"] == n, stats
        return {"seconds": seconds, "tasks": n, "per_s": n / seconds}
    finally:
        close(queue)


def bare_put(queue: Queue, start: Callable[..., Awaitable[Any]] = transaction) -> Callable[[int], Awaitable[Any]]:
    """``put(i)``: Pyodide's floor for an awaited write, on *queue*'s database.

    An already-encoded task row, under the id ``floor-<i>``, put in its own
    transaction through pyqueue's transaction helper (or *start*, which
    takes its arguments), with nothing else of the queue: no checks, no task,
    no numbering. What any Python code pays to await one IndexedDB put.
    """
    db = queue.store._connection.db()  # type: ignore[attr-defined]
    row = schema.encode(queue._build(TaskSpec(TASK_TYPE, {"i": 0}), time.time() * 1000), numbered=False)

    def put(i: int) -> Awaitable[Any]:
        one = js_object({**row, "id": f"floor-{i}"})
        return start(db, (schema.TASKS,), "readwrite", lambda tx: tx.store(schema.TASKS).put(one))

    return put


async def ab_enqueue(n: int, blocks: int) -> dict[str, list[float]]:
    """Single enqueues, single JS puts, and single puts issued from Python, alternated one by one.

    Returns the p50 ms of each block. ``py_put`` is Pyodide's floor for an
    awaited write (:func:`bare_put`). ``today`` minus ``py_put`` is the
    queue's own work; ``py_put`` minus ``js_put`` is Pyodide's.

    On a machine shared with other work the load changes from one second to
    the next; alternating every operation puts each variant under the same
    load. *n* operations of each variant, reported as *blocks* medians (the spread).
    """
    import js

    queue = await fresh_queue("bench-ab-today")
    floor = await fresh_queue("bench-ab-py-put")
    put = bare_put(floor)
    await js.benchJs.putOneOpen()
    ms: dict[str, list[float]] = {"js_put": [], "py_put": [], "today": []}
    try:
        for i in range(n):
            for name in list(ms) if i % 2 == 0 else list(reversed(ms)):
                if name == "js_put":
                    ms[name].append(float(await js.benchJs.putOne()))
                    continue
                t0 = time.perf_counter()
                if name == "py_put":
                    await put(i)
                else:
                    await queue.enqueue(TASK_TYPE, {"i": i})
                ms[name].append((time.perf_counter() - t0) * 1000)
    finally:
        js.benchJs.putOneClose()
        close(queue)
        close(floor)
    size = max(1, n // blocks)
    return {
        name: [sorted(values[k : k + size])[len(values[k : k + size]) // 2] for k in range(0, n - size + 1, size)]
        for name, values in ms.items()
    }


# The Python floor of processing: the JS loops' own IndexedDB requests (benches/baselines.js
# claimOne/completeOne, claimBatch/completeBatch) on their own database, issued and awaited from
# Python through pyqueue's transaction helper, with none of the queue's logic. The loop over it
# minus the JS loop is Pyodide's own cost; the runner minus it, the queue's.

LEASE_MS = 30_000


def _floor_row(rec: dict[str, Any]) -> dict[str, Any]:
    """``row()`` of baselines.js: the record as JSON text beside the baseline's index fields."""
    out: dict[str, Any] = {
        "id": rec["id"],
        "data": json.dumps(rec),
        "seq": rec["seq"],
        "status_seq": [rec["status"], rec["seq"]],
        "status_type": [rec["status"], rec["type"]],
    }
    if rec["status"] == "pending":
        out["ready"] = [-rec["priority"], rec["seq"]]
    elif rec["status"] == "processing":
        out["lease"] = rec["lease_until"]
    elif rec["finished_at"] is not None:
        out["status_finished"] = [rec["status"], rec["finished_at"]]
    return out


def _floor_claimed(data: str, owner: str, now: float) -> dict[str, Any]:
    rec: dict[str, Any] = json.loads(data)
    rec.update(status="processing", started_at=now, lease_owner=owner, lease_until=now + LEASE_MS, progress=None)
    rec["attempts"] += 1
    return rec


def _floor_finish(store: Any, stored: Any, owner: str, now: float) -> bool:
    current = None if stored is None else json.loads(stored.data)
    if current is None or current["status"] != "processing" or current["lease_owner"] != owner:
        return False
    current.update(status="completed", finished_at=now, lease_owner=None, lease_until=None, result=None)
    store.put(js_object(_floor_row(current)))
    return True


async def _floor_claim(db: Any, owner: str, limit: int) -> list[dict[str, Any]]:
    """claimOne (``limit`` 1: a cursor on ``ready``, one update) or claimBatch (a getAll, one put each)."""

    def body(tx: Transaction[list[dict[str, Any]]]) -> list[dict[str, Any]]:
        store = tx.store(schema.TASKS)
        out: list[dict[str, Any]] = []
        if limit == 1:

            def one(cursor: Any) -> None:
                if cursor is not None:
                    out.append(_floor_claimed(cursor.value.data, owner, time.time() * 1000))
                    cursor.update(js_object(_floor_row(out[0])))

            tx.then(store.index("ready").openCursor(), one)
            return out

        def many(rows: Any) -> None:
            now = time.time() * 1000
            for row in rows:
                out.append(_floor_claimed(row.data, owner, now))
                store.put(js_object(_floor_row(out[-1])))

        tx.then(store.index("ready").getAll(None, limit), many)
        return out

    return await transaction(db, (schema.TASKS,), "readwrite", body)


async def _floor_complete(db: Any, recs: list[dict[str, Any]], owner: str) -> int:
    """completeOne / completeBatch: each row read again and finished if this owner still holds it."""

    def body(tx: Transaction[list[int]]) -> list[int]:
        store = tx.store(schema.TASKS)
        finished = [0]
        now = time.time() * 1000

        def finish(stored: Any) -> None:
            finished[0] += _floor_finish(store, stored, owner, now)

        for rec in recs:
            tx.then(store.get(rec["id"]), finish)
        return finished

    return (await transaction(db, (schema.TASKS,), "readwrite", body))[0]


async def floor_loop(n: int, concurrency: int = 1, batch: int = 1) -> dict[str, Any]:
    """The JS queue loop (*batch* 1) or batch loop, issued from Python: *n* tasks, tasks per second."""
    import js

    db = await js.benchJs.seeded("bench-py-floor", n)
    completed = 0

    async def worker(owner: str) -> None:
        nonlocal completed
        while recs := await _floor_claim(db, owner, batch):
            for rec in recs:
                await noop(rec["payload"], None)  # type: ignore[arg-type]
            completed += await _floor_complete(db, recs, owner)

    try:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(f"py-floor-{w}") for w in range(concurrency)))
        seconds = time.perf_counter() - t0
    finally:
        db.close()
    if completed != n:
        raise RuntimeError(f"floor_loop completed {completed} of {n} tasks")
    return {"seconds": seconds, "tasks": n, "per_s": n / seconds}


async def ab_process(chunks: int, n: int, batch_size: int) -> dict[str, list[float]]:
    """Processing, alternated chunk by chunk: at concurrency 1, and at 4 with batches.

    Each chunk runs *n* tasks (``2 * n`` with batches) of each variant, on
    fresh databases; tasks/s per chunk. Variants: the JS loop, the same loop
    over rows with pyqueue's 12 indexes (``_pyq_indexes``: IndexedDB's own
    index work), that loop issued from Python (``py_floor``: Pyodide's floor),
    and the runner. The batch variants claim ``4 * batch_size`` at once, as
    the c4 batch runner's four workers do together.
    """
    import js

    async def js_per_s(loop: str, *args: Any) -> float:
        return float((await getattr(js.benchJs, loop)(*args)).per_s)

    async def py_per_s(result: Awaitable[dict[str, Any]]) -> float:
        return float((await result)["per_s"])

    c1: dict[str, Callable[[], Awaitable[float]]] = {
        "js_queue_loop": lambda: js_per_s("queueLoop", n, 1),
        "js_queue_loop_pyq_indexes": lambda: js_per_s("queueLoop", n, 1, True),
        "py_floor_queue_loop": lambda: py_per_s(floor_loop(n, 1, 1)),
        "process_noop": lambda: py_per_s(process_noop(n, 1, None)),
    }
    nb, claim = 2 * n, 4 * batch_size
    c4: dict[str, Callable[[], Awaitable[float]]] = {
        "js_batch_loop": lambda: js_per_s("batchLoop", nb, claim),
        "js_batch_loop_pyq_indexes": lambda: js_per_s("batchLoop", nb, claim, True),
        "py_floor_batch_loop": lambda: py_per_s(floor_loop(nb, 1, claim)),
        "process_noop_c4_batch": lambda: py_per_s(process_noop(nb, 4, batch_size)),
    }
    out: dict[str, list[float]] = {}
    for variants in (c1, c4):
        for chunk in range(chunks):
            for name in list(variants) if chunk % 2 == 0 else list(reversed(variants)):
                out.setdefault(name, []).append(await variants[name]())
    return out


_depth: dict[int, dict[str, Any]] = {}
"""Per level: its queue and how many tasks wait in it."""


def _depth_name(level: int) -> str:
    return f"bench-depth-{level}"


async def depth_open(levels: list[int]) -> None:
    """One queue per level, each on its own database, all open at once.

    A page's databases share one backing store (one LevelDB per origin in
    Chromium), so each level is measured in the same state of it: not the
    deepest last, just after the largest fills, while the store is still
    busy compacting them.
    """
    for level in levels:
        _depth[level] = {"queue": await fresh_queue(_depth_name(level)), "waiting": 0}


async def top_up(queue: Queue, waiting: int, target: int) -> int:
    """Enqueue no-op tasks into *queue*, :data:`FILL_CHUNK` at a time, from *waiting* up to *target*; the new count."""
    while waiting < target:
        n = min(FILL_CHUNK, target - waiting)
        await queue.enqueue_many(specs(n, waiting))
        waiting += n
    return waiting


async def depth_fill(level: int, target: int) -> dict[str, Any]:
    """Top the queue of *level* up to *target* waiting tasks."""
    state = _depth[level]
    t0 = time.perf_counter()
    state["waiting"] = await top_up(state["queue"], state["waiting"], target)
    return {"seconds": time.perf_counter() - t0}


async def depth_run(level: int, n: int) -> dict[str, Any]:
    """Claim and complete *n* tasks with *level* waiting (topped up first); ms per task."""
    await depth_fill(level, level + n)
    task_rows.forget()  # each depth's claims decode their rows, as the 100k backlog's must (see task_rows.forget)
    state = _depth[level]
    runner = make_runner(state["queue"])
    seconds = await run_until(runner, n)
    state["waiting"] -= runner.counts.completed  # n, or n + 1: it may complete the next one while it stops
    return {"ms_per_task": seconds * 1000 / n, "waiting": level}


async def depth_close() -> None:
    levels, states = list(_depth), list(_depth.values())
    _depth.clear()
    for state in states:
        close(state["queue"])
    for level in levels:
        await delete_database(_depth_name(level))


_soak: dict[str, Any] = {}


async def soak_open(concurrency: int, batch_size: int | None, warmup: int) -> dict[str, Any]:
    """Start one long-lived runner on a fresh queue, as a page does, and put *warmup* tasks through it."""
    queue = await fresh_queue("bench-soak")
    runner = make_runner(queue, concurrency=concurrency, batch_size=batch_size)
    _soak.update(queue=queue, runner=runner, enqueued=0, seconds=0.0)
    runner.start()
    await soak_chunk(warmup)
    _soak.update(enqueued=0, seconds=0.0, base=runner.counts.completed)
    return snapshot()


async def soak_chunk(n: int) -> dict[str, Any]:
    """Enqueue *n* tasks (the running runner wakes) and wait until it has completed them all."""
    queue: Queue = _soak["queue"]
    runner: QueueRunner = _soak["runner"]
    t0 = time.perf_counter()
    await queue.enqueue_many(specs(n, _soak["enqueued"]))
    _soak["enqueued"] += n
    await completed(runner, _soak.get("base", 0) + _soak["enqueued"])
    _soak["seconds"] += time.perf_counter() - t0
    return {"done": _soak["enqueued"], "seconds": _soak["seconds"]}


async def soak_stop() -> dict[str, Any]:
    """Stop the runner (the queue stays open) and return Python's memory view."""
    await _soak["runner"].stop()
    return snapshot()


async def soak_close() -> dict[str, Any]:
    queue: Queue = _soak["queue"]
    stats = await queue.stats()
    close(queue)
    _soak.clear()
    await delete_database("bench-soak")
    return {"by_status": stats.by_status}


_leaked: dict[str, Any] = {}


def leak_proxies(n: int) -> None:
    """For checking the proxy counter: *n* proxies made and never destroyed, *n* made implicitly."""
    import js
    from pyodide.ffi import create_proxy

    def handler(*_args: Any) -> None:
        pass

    holder = js.Object.new()
    explicit = [create_proxy(handler) for _ in range(n)]
    for i in range(n):
        setattr(holder, f"implicit{i}", lambda *_args: None)  # a Python callable given to JS: an implicit proxy
    _leaked.update(explicit=explicit, holder=holder)


def free_proxies() -> None:
    """Destroy the explicit ones; drop the JS object that holds the implicit ones (the JS GC collects them)."""
    for proxy in _leaked.pop("explicit"):
        proxy.destroy()
    _leaked.pop("holder")


def proxy_census() -> dict[str, int]:
    """The Python objects JS still holds, counted by what they are (``window.benchProxyCensus``).

    WebLoop's timers are ``create_once_callable(run_handle)`` closures over an
    ``asyncio.Handle``: those are named by the handle's callback (and for an
    ``asyncio.timeout`` deadline, by the coroutine it would cancel, with the
    line it waits at) and by whether the handle was cancelled, so a pending
    timer that nobody waits for any more can be told from one still needed.
    """
    import collections

    import js

    names = js.benchProxyCensus(_describe_held).to_py()
    return dict(collections.Counter(names).most_common())


def _describe_held(obj: Any) -> str:
    cells = [c.cell_contents for c in getattr(obj, "__closure__", None) or ()]
    handle = next((c for c in cells if isinstance(c, asyncio.Handle)), None)
    if handle is None:
        return f"{type(obj).__qualname__} {getattr(obj, '__qualname__', '')}".strip()
    if handle.cancelled():  # the callback is gone; where it was made is known in debug mode only
        made = getattr(handle, "_source_traceback", None) or []
        ours = [f"{f.name}:{f.lineno}" for f in made if "/pyqueue/" in f.filename]
        return f"timer (cancelled) made at {' > '.join(ours[-3:]) or '?'}"
    callback = handle._callback  # type: ignore[attr-defined]
    owner = getattr(callback, "__self__", None)
    what = getattr(callback, "__qualname__", repr(callback))
    if isinstance(owner, asyncio.Timeout) and owner._task is not None:  # type: ignore[attr-defined]
        what += " of " + _where(owner._task.get_coro())  # type: ignore[attr-defined]
    return f"timer {what}"


def _where(coro: Any) -> str:
    """The chain of coroutines a task is suspended in, outermost first, each with its line."""
    chain = []
    while inspect.iscoroutine(coro):
        chain.append(f"{coro.__qualname__}:{coro.cr_frame.f_lineno if coro.cr_frame else '-'}")
        coro = coro.cr_await
    return " > ".join(chain)


def snapshot() -> dict[str, Any]:
    """Python's own view of its memory, after a full collection (the driver adds the wasm heap)."""
    gc.collect()
    return {"gc_objects": len(gc.get_objects())}


async def seed_first_task(db_name: str) -> str:
    """Leave one due task (``demo.flaky`` that succeeds at once) in a fresh app database; return its id."""
    from web.demo_tasks import demo_registry

    await delete_database(db_name)
    queue = Queue(await IndexedDBStore.open(db_name), demo_registry())
    try:
        return await queue.enqueue("demo.flaky", {"label": "first", "fail_first": 0})
    finally:
        close(queue)


# --------------------------------------------------------------------------- profile


def _category(filename: str, function: str) -> str:
    """Where a profiled function's own time goes, for the report."""
    if filename == "~":  # a built-in: pstats names it by its function
        if "to_js" in function or "to_py" in function or "create_proxy" in function:
            return "conversions and proxies"
        if "create_once_callable" in function or "_contextvars" in function or "asyncgen" in function:
            return "event loop"
        return "other built-ins"
    if "/pyqueue/browser/" in filename:
        return "store (with the IndexedDB calls it makes)"
    if "/pyodide/webloop" in filename or "/asyncio/" in filename:
        return "event loop"
    if "/json/" in filename:
        return "json"
    if filename.endswith(("/typing.py", "/annotationlib.py", "/dataclasses.py", "/inspect.py")):
        return "typing and dataclasses (payload checks)"
    if "/pyqueue/" in filename:
        return "pyqueue core (runner, queue, task model)"
    return "other"


def _breakdown(profile: cProfile.Profile, per: int, wall_s: float) -> dict[str, Any]:
    stats = pstats.Stats(profile)
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    by_category: dict[str, float] = {}
    calls: dict[str, int] = {"event_loop_turns": 0, "js_to_python_callbacks": 0, "transactions": 0}
    top: list[tuple[float, str]] = []
    for (filename, line, function), (_cc, ncalls, tottime, _ct, callers) in raw.items():
        category = _category(filename, function)
        by_category[category] = by_category.get(category, 0.0) + tottime
        top.append((tottime, f"{filename.rsplit('/', 2)[-1] if filename != '~' else ''}:{line}({function})"))
        if filename.endswith("/webloop.py") and function == "call_later":
            calls["event_loop_turns"] += ncalls
        if not callers and not filename.endswith("/webloop.py"):  # entered from JavaScript: an IndexedDB event
            calls["js_to_python_callbacks"] += ncalls
        if filename.endswith("/browser/idb.py") and function == "transaction":
            calls["transactions"] += ncalls
    python_ms = sum(by_category.values()) * 1000 / per
    return {
        "wall_ms": wall_s * 1000 / per,
        "python_ms": python_ms,
        "python_ms_by_category": {k: v * 1000 / per for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])},
        "per_task": {k: v / per for k, v in calls.items()},
        "top": [{"ms": t * 1000 / per, "function": f} for t, f in sorted(top, reverse=True)[:12]],
    }


async def profile_process(n: int, concurrency: int = 1, batch_size: int | None = None) -> dict[str, Any]:
    """``process_noop`` under cProfile: Python time per task by category, and event counts per task.

    cProfile's times are wall-clock time inside Python functions, including the
    JavaScript they call (IndexedDB requests, conversions); what is left of the
    wall time is time Python was not running: IndexedDB at work, the browser.
    """
    queue = await fresh_queue("bench-profile")
    try:
        await queue.enqueue_many(specs(n))
        worker = make_runner(queue, concurrency=concurrency, batch_size=batch_size)
        profile = cProfile.Profile()
        profile.enable()
        seconds = await run_until(worker, n)
        profile.disable()
        return _breakdown(profile, n, seconds)
    finally:
        close(queue)


async def profile_enqueue(n: int) -> dict[str, Any]:
    """``enqueue_one`` under cProfile, as :func:`profile_process`."""
    queue = await fresh_queue("bench-profile")
    try:
        await queue.enqueue(TASK_TYPE, {"i": -1})
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.enable()
        for i in range(n):
            await queue.enqueue(TASK_TYPE, {"i": i})
        profile.disable()
        return _breakdown(profile, n, time.perf_counter() - t0)
    finally:
        close(queue)


async def loop_costs(n: int) -> dict[str, float]:
    """What one turn of Pyodide's event loop costs, beside a plain JavaScript macrotask (microseconds)."""
    import js

    t0 = time.perf_counter()
    for _ in range(n):
        await asyncio.sleep(0)
    python_turn = (time.perf_counter() - t0) * 1e6 / n
    js_turn = await js.benchJs.macrotaskMicros(n)
    f = js.Math.max
    t0 = time.perf_counter()
    for _ in range(n):
        f(1, 2)
    ffi_call = (time.perf_counter() - t0) * 1e6 / n
    return {"python_event_loop_turn_us": python_turn, "js_macrotask_us": float(js_turn), "ffi_call_us": ffi_call}


BLOCKS = 10
"""Micro-costs are timed in this many blocks and the fastest block is kept: other work on the machine only adds."""


async def turn_costs(n: int) -> dict[str, dict[str, float]]:
    """What the awaits the runner uses cost on Pyodide's WebLoop: turns of the browser's event loop and us each.

    Each pattern is repeated *n* times (us: the fastest of :data:`BLOCKS`
    blocks); turns are counted on the loop's ``call_later`` (through which
    WebLoop schedules everything).
    """
    loop = asyncio.get_running_loop()
    turns = [0]
    original = loop.call_later

    def counting(*args: Any, **kwargs: Any) -> Any:
        turns[0] += 1
        return original(*args, **kwargs)

    async def nothing() -> None:
        return None

    async def plain_future() -> None:
        future: asyncio.Future[None] = asyncio.Future(loop=loop)
        loop.call_soon(future.set_result, None)
        await future

    async def loop_future() -> None:
        future: asyncio.Future[None] = loop.create_future()
        loop.call_soon(future.set_result, None)
        await future

    async def event(kind: type[asyncio.Event]) -> None:
        wake = kind()
        loop.call_soon(wake.set)
        await wake.wait()

    async def created_task() -> None:
        await loop.create_task(nothing())

    async def eager_task() -> None:
        await asyncio.Task(nothing(), loop=loop, eager_start=True)

    async def timeout_none() -> None:
        async with asyncio.timeout(None):
            await nothing()

    patterns: dict[str, Any] = {
        "call_soon + await plain Future (the floor: 1 turn to resolve, 1 to resume)": plain_future,
        "call_soon + await loop.create_future()": loop_future,
        "asyncio.Event set/wait (runner._wake)": lambda: event(asyncio.Event),
        "PlainEvent set/wait": lambda: event(PlainEvent),
        "await loop.create_task(coro) (ensure_future: runner._work)": created_task,
        "await asyncio.Task(coro, eager_start=True)": eager_task,
        "async with asyncio.timeout(None) (run_task)": timeout_none,
    }
    out: dict[str, dict[str, float]] = {}
    loop.call_later = counting  # type: ignore[method-assign]
    try:
        for name, pattern in patterns.items():
            turns[0] = 0
            us = []
            for _ in range(BLOCKS):
                t0 = time.perf_counter()
                for _ in range(n // BLOCKS):
                    await pattern()
                us.append((time.perf_counter() - t0) * 1e6 / (n // BLOCKS))
            out[name] = {"turns": turns[0] / (n // BLOCKS * BLOCKS), "us": min(us)}
    finally:
        del loop.call_later  # type: ignore[method-assign]
    return out


async def ffi_costs(n: int) -> dict[str, float]:
    """What the pieces of one IndexedDB write cost from Python, in us each (*n* of each, fastest block)."""
    import js
    from pyodide.ffi import create_proxy

    queue = await fresh_queue("bench-ffi")
    try:
        db = queue.store._connection.db()  # type: ignore[attr-defined]
        task = queue._build(TaskSpec(TASK_TYPE, {"i": 1}), time.time() * 1000)
        row = schema.encode(task)
        data = schema.encode(task, numbered=False)["data"]  # a new row, as an enqueue writes it
        task_rows.remember(data, task.replace(seq=7))  # as the enqueue does once the row is numbered 7
        target = js.Object.new()
        handler = create_proxy(lambda _event: None)
        futures: list[Any] = []
        steps: dict[str, Any] = {
            "set an expando (int) on a JS object": lambda: setattr(target, "pyqueueCallback", 1),
            "assign a shared proxy as a handler (onsuccess = proxy)": lambda: setattr(target, "onsuccess", handler),
            "read the expando back (as _Dispatch does per event)": lambda: target.pyqueueCallback,
            "db.transaction(store, mode), nothing else": lambda: db.transaction(schema.TASKS, "readonly"),
            "idb.transaction(...) with an empty body (wiring included)": lambda: futures.append(
                transaction(db, (schema.TASKS,), "readonly", lambda tx: None)
            ),
            "schema.encode(task)": lambda: schema.encode(task),
            "js_object(encoded row) (to_js)": lambda: js_object(row),
            "JSON.parse(json.dumps(row)) (one string across)": lambda: js.JSON.parse(json.dumps(row)),
            "schema.decode of a row (a claim of a task another tab enqueued)": lambda: schema.decode(data, task.id, 7),
            "task_rows.decode of a row this tab enqueued (the memo)": lambda: task_rows.decode(data, task.id, 7),
        }
        out: dict[str, float] = {}
        for name, step in steps.items():
            us = []
            for _ in range(BLOCKS):
                t0 = time.perf_counter()
                for _ in range(n // BLOCKS):
                    step()
                us.append((time.perf_counter() - t0) * 1e6 / (n // BLOCKS))
            out[name] = min(us)
        await asyncio.gather(*futures)
        handler.destroy()
        return out
    finally:
        close(queue)


async def import_costs(module: str = "web.launch", top: int = 12) -> dict[str, Any]:
    """What importing the app page's Python costs: ``web.launch`` is the bulk of ``first_task_imports_s``.

    First the wall time of one import as the page does it (stdlib modules that
    nothing here loaded yet are loaded too), then, after dropping the app's own
    modules again, the same import under cProfile to rank the modules by the
    cumulative time of their top-level code (the profiler inflates every figure;
    compare them with each other).
    """
    import importlib
    import sys

    def drop() -> None:
        for name in [m for m in sys.modules if m == "web" or m.startswith("web.")]:
            del sys.modules[name]

    drop()
    before = set(sys.modules)
    t0 = time.perf_counter()
    importlib.import_module(module)
    wall_ms = (time.perf_counter() - t0) * 1000
    loaded = sorted(m for m in set(sys.modules) - before if m != "web" and not m.startswith("web."))
    drop()
    profile = cProfile.Profile()
    profile.enable()
    importlib.import_module(module)
    profile.disable()
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    ranked = sorted(
        (stats[3] * 1000, filename.rsplit("/app/", 1)[-1])
        for (filename, _, name), stats in raw.items()
        if name == "<module>"
    )
    return {
        "wall_ms": wall_ms,
        "other_modules_loaded": loaded,
        "profiled_cumulative_ms": [{"ms": ms, "module": path} for ms, path in reversed(ranked[-top:])],
    }

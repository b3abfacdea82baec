"""pyqueue benchmarks in headless Debian Chromium, each figure beside a plain-JavaScript baseline.

Run through ``benches/run`` (which sets up first); ``--quick`` uses small sizes and
is what CI runs. The browser gets an on-disk profile (a persistent context in a
temporary directory), so IndexedDB really writes to disk. The repository is
served on loopback by ``scripts/serve.py``.

Every case runs at least three times; a figure is the median of its runs and
the table shows the spread (lowest to highest run). The baselines run in the
same browser, interleaved with the pyqueue cases they are compared with (A B
in one run, B A in the next, so that a slow minute of a shared machine falls on
both sides), and ratios are taken between medians; a ratio's spread is the
lowest to highest of its run-by-run ratios. The table goes to stdout, progress to
stderr, and every figure to ``benches/results/latest.json``:

``figures``  flat ``{key: number}``, the keys that ``REQUIRED_KEYS`` lists and more;
``spread``   per key, the runs behind it (``runs``, ``min``, ``max``);
``targets``  per key, the target and whether it was met;
``meta``     sizes, browser version, date, and what the runner supports.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import importlib.util
import itertools
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import responsiveness  # benches/responsiveness.py, beside this script
from playwright.sync_api import BrowserContext, Page, sync_playwright

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO_ROOT / "benches" / "results" / "latest.json"
BENCH_PAGE = "benches/bench.html"
BARE_PAGE = "benches/bare_pyscript.html"
KEYGEN_PAGE = "benches/keygen.html"
APP_PAGE = "index.html"
CASES_IN_PYODIDE = "/home/pyodide/app/bench_cases.py"
REQUIRED_BUILD_FILES = ("static/vendor/pyodide/pyodide.mjs", "static/pyqueue.zip", "static/vendor/pyscript/core.js")
PAGE_LOAD_TIMEOUT_MS = 120_000

REQUIRED_KEYS = (
    "enqueue_one_p50_ms",
    "enqueue_one_p99_ms",
    "enqueue_one_p50_vs_js_put_per_tx",
    "enqueue_many_per_s",
    "enqueue_many_vs_js_put_batch",
    "process_noop_per_s",
    "process_noop_vs_js_queue_loop",
    "process_noop_c4_vs_js_queue_loop",
    "depth_100k_vs_1k",
    "depth_100k_vs_1k_over_js",
    "first_task_minus_pyodide_load_s",
    "first_task_worker_minus_pyodide_load_s",
    "soak_heap_growth_mb",
    "soak_proxy_growth",
    "js_put_per_tx_ms",
    "js_put_batch_per_s",
    "js_queue_loop_per_s",
    "js_batch_loop_per_s",
    "ab_enqueue_today_p50_ms",
    "js_put_auto_seq_ms",
)
"""Keys every run writes (the issue's list, the baselines' own figures, the ``ab`` enqueue's); all finite."""

CASES = ("enqueue", "process", "ab", "depth", "first_task", "soak", "profile", "keygen", "responsiveness")
"""Case groups; ``enqueue`` includes js_put_per_tx and js_put_batch, ``process`` js_queue_loop and
js_batch_loop, their baselines; ``ab`` alternates variants operation by operation (a JS put, a put
awaited from Python, an enqueue) or chunk by chunk (the JS loop, the runner); ``keygen`` checks the key
generator facts the store's numbering relies on; ``responsiveness`` is in ``benches/responsiveness.py``."""


@dataclass(frozen=True)
class Sizes:
    runs: int
    put_n: int  # js_put_per_tx and enqueue_one: operations per run
    enqueue_many_n: int
    process_n: int  # tasks per process_noop / js_queue_loop run
    batch_size: int  # the runner's; js_batch_loop claims 4 * batch_size (what the c4 batch runner claims)
    depth_levels: tuple[int, int, int]  # reported as 1k / 10k / 100k
    depth_n: int  # tasks claimed and completed per depth run
    first_task_runs: int
    ab_enqueue_n: int  # single enqueues per variant in ``ab``
    ab_chunks: int  # runner chunks per variant in ``ab``
    ab_chunk_n: int  # tasks per runner chunk
    micro_n: int  # repeats of each FFI micro-cost in the profile (a fifth of that for each event-loop pattern)
    soak_n: int
    soak_chunk: int
    soak_warmup: int


FULL = Sizes(
    runs=3,
    put_n=1_000,
    enqueue_many_n=10_000,
    process_n=1_000,
    batch_size=16,
    depth_levels=(1_000, 10_000, 100_000),
    depth_n=300,
    first_task_runs=3,
    ab_enqueue_n=1_000,
    ab_chunks=6,
    ab_chunk_n=150,
    micro_n=5_000,
    soak_n=100_000,
    soak_chunk=2_000,
    soak_warmup=2_000,
)
QUICK = Sizes(
    runs=3,
    put_n=40,
    enqueue_many_n=300,
    process_n=40,
    batch_size=8,
    depth_levels=(50, 100, 200),
    depth_n=10,
    first_task_runs=1,
    ab_enqueue_n=40,
    ab_chunks=3,
    ab_chunk_n=20,
    micro_n=500,
    soak_n=200,
    soak_chunk=100,
    soak_warmup=50,
)

TARGETS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "enqueue_one_p50_ms": ("< 1 ms", lambda v: v < 1.0),
    "enqueue_one_p50_vs_js_put_per_tx": ("<= 1.5", lambda v: v <= 1.5),
    "enqueue_many_vs_js_put_batch": (">= 0.7", lambda v: v >= 0.7),
    "process_noop_vs_js_queue_loop": (">= 0.8", lambda v: v >= 0.8),
    "process_noop_batch_vs_js_queue_loop": ("> 1.0", lambda v: v > 1.0),
    "process_noop_c4_batch_vs_js_batch_loop": (">= 0.7", lambda v: v >= 0.7),
    "depth_100k_vs_1k": ("<= 1.5", lambda v: v <= 1.5),
    "depth_100k_vs_1k_over_js": ("<= 1.0", lambda v: v <= 1.0),
    "first_task_minus_pyodide_load_s": ("<= 0.3 s", lambda v: v <= 0.3),
    "soak_heap_growth_mb": ("< 10 MB", lambda v: v < 10.0),
    # Fewer live proxies at the end than at the start is no growth: timers of the runners that earlier cases
    # stopped, still pending at the start (WebLoop cannot cancel one), have fired by the end.
    "soak_proxy_growth": ("<= 0", lambda v: v <= 0),
}
TARGETS.update(responsiveness.TARGETS)


_LOG_STARTED = time.monotonic()


def log(message: str) -> None:
    """A progress line on stderr, with the minutes and seconds since the bench started."""
    minutes, seconds = divmod(int(time.monotonic() - _LOG_STARTED), 60)
    print(f"bench: [{minutes:02d}:{seconds:02d}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- numbers


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


class Results:
    """Figures (medians of runs), their spread, and the order they were reported in."""

    def __init__(self) -> None:
        self.figures: dict[str, float] = {}
        self.spread: dict[str, dict[str, Any]] = {}

    def add_runs(self, key: str, runs: Sequence[float]) -> float:
        value = statistics.median(runs)
        self.figures[key] = value
        self.spread[key] = {"runs": list(runs), "min": min(runs), "max": max(runs)}
        return value

    def add(self, key: str, value: float) -> float:
        self.figures[key] = value
        return value

    def ratio(self, key: str, numerator: str, denominator: str) -> float:
        """``key`` = median(numerator) / median(denominator); spread from the run-by-run ratios."""
        value = self.figures[numerator] / self.figures[denominator]
        self.figures[key] = value
        top, bottom = self.spread.get(numerator), self.spread.get(denominator)
        if top and bottom and len(top["runs"]) == len(bottom["runs"]):
            runs = [a / b for a, b in zip(top["runs"], bottom["runs"], strict=True)]
            self.spread[key] = {"runs": runs, "min": min(runs), "max": max(runs)}
        return value


# --------------------------------------------------------------------------- browser


def load_script(name: str) -> Any:
    """Load scripts/<name>.py by path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"pyqueue_{name}", REPO_ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_chromium = load_script("chromium")
CHROMIUM: str = _chromium.PATH
CHROMIUM_ARGS: list[str] = _chromium.ARGS


def serve() -> Any:
    """The repository served on loopback, as a context manager yielding its base URL."""
    return load_script("serve").serving(REPO_ROOT)


@contextmanager
def browser(base_url: str) -> Iterator[BrowserContext]:
    """Headless Chromium with an on-disk profile: IndexedDB writes go to a real LevelDB on disk."""
    with tempfile.TemporaryDirectory(prefix="pyqueue-bench-profile-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, base_url=base_url
        )
        try:
            yield context
        finally:
            context.close()


class BenchPage:
    """``benches/bench.html``: Pyodide with pyqueue and ``bench_cases``, and the JS baselines."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.page = context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("console", lambda m: self.errors.append(f"console error: {m.text}") if m.type == "error" else None)
        self.page.goto(f"/{BENCH_PAGE}")
        self.page.wait_for_function(
            "() => window.harnessReady === true || window.harnessError !== undefined", timeout=PAGE_LOAD_TIMEOUT_MS
        )
        error = self.page.evaluate("() => window.harnessError")
        if error is not None:
            raise RuntimeError(f"bench page failed to start: {error}")
        self.page.evaluate("([url, path]) => window.pyLoadFile(url, path)", ["/benches/cases.py", CASES_IN_PYODIDE])
        self.py("import json, bench_cases")
        self.cdp = context.new_cdp_session(self.page)

    def py(self, code: str) -> Any:
        """Run Python in the page; its last expression is passed through ``json.dumps`` and decoded here."""
        lines = code.strip().splitlines()
        lines[-1] = f"json.dumps({lines[-1]})" if not lines[-1].startswith(("import ", "from ")) else lines[-1]
        try:
            text = self.page.evaluate("(code) => window.pyRun(code)", "\n".join(lines))
        except Exception as e:
            raise RuntimeError(f"Python failed in the bench page:\n{e}\n" + "\n".join(self.errors[-20:])) from None
        return json.loads(text) if text != "None" else None

    def call(self, function: str, *args: Any) -> Any:
        """``await bench_cases.<function>(*args)``, arguments and answer as JSON."""
        return self.py(f"await bench_cases.{function}(*json.loads({json.dumps(json.dumps(args))}))")

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def full_gc(self) -> None:
        """Collect Python's garbage, then Chromium's, until the live proxy count holds still.

        A proxy collected by the JS GC leaves the count only when its finalizer
        has run, which the browser schedules some time after the collection.
        """
        seen: list[int] = []
        for _ in range(12):
            self.py("bench_cases.snapshot()")
            self.cdp.send("HeapProfiler.collectGarbage")
            self.page.wait_for_timeout(250)
            seen.append(self.js("() => window.benchProxies().live"))
            if len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]:
                return

    def memory(self) -> dict[str, Any]:
        """Wasm heap size, JS heap use, live PyProxies, and Python's own counts: after a full GC."""
        self.full_gc()
        py_view = self.py("bench_cases.snapshot()")
        return {
            "wasm_heap_bytes": self.js("() => window.pyodide._module.HEAPU8.length"),
            "js_heap_used_bytes": self.cdp.send("Runtime.getHeapUsage")["usedSize"],
            "proxies": self.js("() => window.benchProxies()"),
            **py_view,
        }


# --------------------------------------------------------------------------- cases


def interleaved(run: int, measures: Sequence[Callable[[], None]]) -> None:
    """Call *measures* in order on even runs and in reverse on odd ones (A B, then B A)."""
    for measure in measures if run % 2 == 0 else reversed(measures):
        measure()


def case_put_and_enqueue(bench: BenchPage, sizes: Sizes, results: Results) -> None:
    """Single enqueues beside single JS puts; bulk enqueue beside one JS transaction.

    Also the JS twins of the two numbering designs weighed in benches/NOTES-perf.md
    (``putAutoSeq``: a separate key-generator store; ``putInlineSeq``: the tasks
    store keyed by its own generator, which is what the store does since schema 3).
    """
    runs: dict[str, list[float]] = {}

    def js_put(key: str, call: str) -> Callable[[], None]:
        def measure() -> None:
            ms = bench.js(f"(n) => window.benchJs.{call}", sizes.put_n)["ms"]
            runs.setdefault(f"{key}_ms", []).append(percentile(ms, 50))
            if key == "js_put_per_tx":
                runs.setdefault(f"{key}_p99_ms", []).append(percentile(ms, 99))

        return measure

    def enqueue_one() -> None:
        ms = bench.call("enqueue_one", sizes.put_n)["ms"]
        runs.setdefault("enqueue_one_p50_ms", []).append(percentile(ms, 50))
        runs.setdefault("enqueue_one_p99_ms", []).append(percentile(ms, 99))

    def per_s(key: str, measure_call: Callable[[], dict[str, Any]]) -> Callable[[], None]:
        return lambda: runs.setdefault(f"{key}_per_s", []).append(measure_call()["per_s"])

    n_many = sizes.enqueue_many_n
    measures = [
        js_put("js_put_per_tx", "putPerTx(n)"),
        enqueue_one,
        js_put("js_put_with_seq", "putWithSeq(n)"),
        js_put("js_put_auto_seq", "putAutoSeq(n)"),
        js_put("js_put_inline_seq", "putInlineSeq(n)"),
        per_s("js_put_batch", lambda: bench.js("(n) => window.benchJs.putBatch(n)", n_many)),
        per_s("enqueue_many", lambda: bench.call("enqueue_many", n_many)),
    ]
    for run in range(sizes.runs):
        log(f"enqueue (one, many) and the JS baselines, run {run + 1}/{sizes.runs}")
        interleaved(run, measures)
    for key, values in runs.items():
        results.add_runs(key, values)
    results.ratio("enqueue_one_p50_vs_js_put_per_tx", "enqueue_one_p50_ms", "js_put_per_tx_ms")
    results.ratio("enqueue_one_p50_vs_js_put_with_seq", "enqueue_one_p50_ms", "js_put_with_seq_ms")
    results.ratio("js_put_auto_seq_vs_js_put_per_tx", "js_put_auto_seq_ms", "js_put_per_tx_ms")
    results.ratio("js_put_inline_seq_vs_js_put_per_tx", "js_put_inline_seq_ms", "js_put_per_tx_ms")
    results.ratio("enqueue_many_vs_js_put_batch", "enqueue_many_per_s", "js_put_batch_per_s")


def case_process(bench: BenchPage, sizes: Sizes, results: Results, batch: bool) -> None:
    """The runner beside the JS loops, each run alternating which side goes first.

    ``js_batch_loop`` claims ``4 * batch_size`` tasks in one transaction and
    records them in one: what the c4 batch runner asks of IndexedDB.
    """
    configs: list[tuple[str, int, int | None]] = [("process_noop", 1, None), ("process_noop_c4", 4, None)]
    if batch:
        configs += [("process_noop_batch", 1, sizes.batch_size), ("process_noop_c4_batch", 4, sizes.batch_size)]
    runs: dict[str, list[float]] = {}

    def measure(key: str, call: Callable[[], dict[str, Any]]) -> Callable[[], None]:
        return lambda: runs.setdefault(key, []).append(call()["per_s"])

    def js(call: str, *args: int) -> Callable[[], dict[str, Any]]:
        return lambda: bench.js(f"(args) => window.benchJs.{call}(...args)", list(args))

    def py(concurrency: int, batch_size: int | None) -> Callable[[], dict[str, Any]]:
        return lambda: bench.call("process_noop", sizes.process_n, concurrency, batch_size)

    n = sizes.process_n
    baselines = {
        "process_noop": ("js_queue_loop", js("queueLoop", n, 1)),
        "process_noop_c4": ("js_queue_loop_c4", js("queueLoop", n, 4)),
        "process_noop_batch": ("js_queue_loop", None),
        "process_noop_c4_batch": ("js_batch_loop", js("batchLoop", n, 4 * sizes.batch_size)),
    }
    measures: list[Callable[[], None]] = []
    for key, concurrency, batch_size in configs:
        base_key, base_call = baselines[key]
        if base_call is not None:
            measures.append(measure(base_key, base_call))
        measures.append(measure(key, py(concurrency, batch_size)))
    if not batch:
        measures.append(measure("js_batch_loop", js("batchLoop", n, 4 * sizes.batch_size)))
    for run in range(sizes.runs):
        log(f"process_noop ({', '.join(c[0] for c in configs)}) and the JS loops, run {run + 1}/{sizes.runs}")
        interleaved(run, measures)
    for key, values in runs.items():
        results.add_runs(f"{key}_per_s", values)
    for key, _, _ in configs:
        results.ratio(f"{key}_vs_js_queue_loop", f"{key}_per_s", "js_queue_loop_per_s")
    results.ratio("process_noop_c4_vs_js_queue_loop_c4", "process_noop_c4_per_s", "js_queue_loop_c4_per_s")
    if batch:
        results.ratio("process_noop_c4_batch_vs_js_batch_loop", "process_noop_c4_batch_per_s", "js_batch_loop_per_s")


def case_ab(bench: BenchPage, sizes: Sizes, results: Results) -> None:
    """The prototypes against today's paths and JS, alternated operation by operation (load-proof A/B)."""
    log(f"ab: {sizes.ab_enqueue_n:,} single enqueues, alternated with JS puts and bare puts from Python")
    blocks = bench.call("ab_enqueue", sizes.ab_enqueue_n, 5)
    for name, values in blocks.items():
        results.add_runs(f"ab_enqueue_{name}_p50_ms", values)
    for name in ("today", "py_put"):
        results.ratio(f"ab_enqueue_{name}_vs_js_put", f"ab_enqueue_{name}_p50_ms", "ab_enqueue_js_put_p50_ms")
    results.ratio("ab_enqueue_today_vs_py_put", "ab_enqueue_today_p50_ms", "ab_enqueue_py_put_p50_ms")
    log(
        f"ab: {sizes.ab_chunks} chunks of {sizes.ab_chunk_n} tasks (c1) and of {2 * sizes.ab_chunk_n} (c4 batch): "
        "JS loop, JS loop with pyqueue's indexes, that loop from Python, runner"
    )
    for name, values in bench.call("ab_process", sizes.ab_chunks, sizes.ab_chunk_n, sizes.batch_size).items():
        results.add_runs(f"ab_{name}_per_s", values)
    for runner, floor, js in AB_PROCESS:
        results.ratio(f"ab_{runner}_vs_{js}", f"ab_{runner}_per_s", f"ab_{js}_per_s")
        results.ratio(f"ab_{floor}_vs_{js}", f"ab_{floor}_per_s", f"ab_{js}_per_s")
        results.ratio(f"ab_{runner}_vs_{floor}", f"ab_{runner}_per_s", f"ab_{floor}_per_s")
        results.ratio(f"ab_{js}_pyq_indexes_vs_{js}", f"ab_{js}_pyq_indexes_per_s", f"ab_{js}_per_s")


AB_PROCESS = (
    ("process_noop", "py_floor_queue_loop", "js_queue_loop"),
    ("process_noop_c4_batch", "py_floor_batch_loop", "js_batch_loop"),
)
"""The ``ab`` processing variants: (runner, its Python floor, its JS loop); the ratios split the runner's
gap to the JS loop into Pyodide's (floor / JS) and the queue's own (runner / floor), and say what
pyqueue's 12 indexes cost IndexedDB itself (the JS loop over rows with them / the JS loop)."""


def case_keygen(context: BrowserContext, sizes: Sizes) -> dict[str, Any]:
    """The key generator facts of ``keygen_facts.js`` in one tab, then two tabs adding at once.

    Raises if a fact does not hold: the enqueue prototype would then be wrong.
    """
    first, second = context.new_page(), context.new_page()
    try:
        for page in (first, second):
            page.goto(f"/{KEYGEN_PAGE}")
        facts: dict[str, Any] = first.evaluate("() => window.keygenFacts()")
        n, name = sizes.put_n, "bench-keygen-tabs"
        first.evaluate("(name) => window.keygenReset(name)", name)
        second.evaluate("([name, n]) => { window.keygenRun = window.keygenAdds(name, n); }", [name, n])
        mine: list[int] = first.evaluate("([name, n]) => window.keygenAdds(name, n)", [name, n])
        theirs: list[int] = second.evaluate("() => window.keygenRun")
        first.evaluate("(name) => window.keygenReset(name)", name)
        in_first = set(mine)
        switches = sum(1 for a, b in itertools.pairwise(sorted(mine + theirs)) if (a in in_first) != (b in in_first))
        seen = {
            "distinct, 1..2n": sorted(mine + theirs) == list(range(1, 2 * n + 1)),
            "each tab increasing": all(a < b for keys in (mine, theirs) for a, b in itertools.pairwise(keys)),
        }
        facts[f"two tabs, {n} adds each at once"] = {"expected": True, "seen": seen, "holds": all(seen.values())}
        facts[f"two tabs, {n} adds each at once"]["switches_between_tabs"] = switches
    finally:
        first.close()
        second.close()
    broken = [what for what, fact in facts.items() if not fact["holds"]]
    if broken:
        raise RuntimeError(f"key generator facts do not hold in this browser: {broken}: {facts}")
    return facts


def case_depth(bench: BenchPage, sizes: Sizes, results: Results) -> None:
    """Claim and complete with 1k / 10k / 100k tasks waiting, pyqueue and the JS loop in turn.

    Every level has its own database, pyqueue's and the JS loop's, all filled
    first, then one pass over them unrecorded; then each run goes through the
    levels (in turn forwards and backwards), the JS loop and pyqueue
    alternating at each. The page's databases share one backing store, which
    is slower for a while after a large fill (it compacts): filling to 100k
    just before measuring it, as this case did before, charged that to the
    100k figure and to whichever side came second (benches/NOTES-perf.md,
    round 5).
    """
    names = ("1k", "10k", "100k")
    levels = list(sizes.depth_levels)
    try:
        bench.call("depth_open", levels)
        bench.js("(levels) => window.benchJs.depthOpen(levels)", levels)
        for level in levels:
            log(f"depth: filling to {level:,} waiting tasks")
            bench.call("depth_fill", level, level + sizes.depth_n)
            bench.js("([l, t]) => window.benchJs.depthFill(l, t)", [level, level + sizes.depth_n])
        py_ms: dict[str, list[float]] = {name: [] for name in names}
        js_ms: dict[str, list[float]] = {name: [] for name in names}

        def js_run(level: int) -> float:
            return float(bench.js("([l, n]) => window.benchJs.depthRun(l, n)", [level, sizes.depth_n])["ms_per_task"])

        def py_run(level: int) -> float:
            return float(bench.call("depth_run", level, sizes.depth_n)["ms_per_task"])

        def record(ms: list[float], measure: Callable[[int], float], level: int) -> None:
            ms.append(measure(level))

        order = list(zip(names, levels, strict=True))
        log("depth: one pass unrecorded, while the store settles after the fills")
        for level in levels:
            js_run(level)
            py_run(level)
        for run in range(sizes.runs):
            log(f"depth: run {run + 1}/{sizes.runs}")
            for i, (name, level) in enumerate(order if run % 2 == 0 else order[::-1]):
                measures = [
                    functools.partial(record, js_ms[name], js_run, level),
                    functools.partial(record, py_ms[name], py_run, level),
                ]
                interleaved(run + i, measures)
        for name in names:
            results.add_runs(f"depth_{name}_ms", py_ms[name])
            results.add_runs(f"js_depth_{name}_ms", js_ms[name])
    finally:
        bench.call("depth_close")
        bench.js("() => window.benchJs.depthClose()")
    results.ratio("depth_100k_vs_1k", "depth_100k_ms", "depth_1k_ms")
    results.ratio("js_depth_100k_vs_1k", "js_depth_100k_ms", "js_depth_1k_ms")
    # IndexedDB itself slows down as the database grows: what pyqueue adds to that.
    results.ratio("depth_100k_vs_1k_over_js", "depth_100k_vs_1k", "js_depth_100k_vs_1k")


def case_first_task(bench: BenchPage, sizes: Sizes, results: Results) -> None:
    """Navigation start -> first task completed on index.html, beside navigation start -> Python runs (bare).

    The app runs its tasks in a Web Worker by default, which boots a Pyodide
    of its own: the headline figure is the page runner's (``?runner=page``),
    and ``first_task_worker_minus_pyodide_load_s`` the same figure for the
    default, with where its time goes (``worker_*``: the page creates the
    worker, the worker boots, the worker runs the task).

    Both are PyScript pages with the same Pyodide; ``first_task_probe.js`` notes
    PyScript's ``py:ready`` on both, and the app's steps after it, without
    touching the app. Loading Pyodide takes seconds and varies by a second or
    more from one load to the next on a busy machine, so the difference of
    the two pages' load times is mostly that noise. The headline figure is
    therefore taken within each page, where Pyodide's load cancels out: what the
    app needs after ``py:ready`` to complete its first task, minus what the bare
    page needs after ``py:ready`` to run its script, plus the app's extra
    download before it (static/pyqueue.zip, from Resource Timing: the part that
    arrived after the runtime's own files, as index.html preloads it beside
    them). The plain difference of the two medians is reported beside it.
    """
    keys = ("first_task_s", "pyodide_load_s", "app_py_ready_s", "app_idb_open_s", "app_ready_s", "app_zip_s")
    worker_keys = ("worker_first_task_s", "worker_app_py_ready_s", "worker_start_s", "worker_ready_s")
    runs: dict[str, list[float]] = {k: [] for k in (*keys, *worker_keys, "bare_py_ready_s")}
    for run in range(max(sizes.first_task_runs, 1)):
        log(f"first_task: run {run + 1}/{sizes.first_task_runs}")
        bare = bare_pyodide_load(bench.context)
        runs["pyodide_load_s"].append(bare["pyodide_load_s"])
        runs["bare_py_ready_s"].append(bare["bare_py_ready_s"])
        db_name = f"bench-first-task-{run}"
        task_id = bench.call("seed_first_task", db_name)
        app = app_first_task(bench.context, db_name, task_id, "page")
        for key in ("first_task_s", "app_py_ready_s", "app_idb_open_s", "app_ready_s", "app_zip_s"):
            runs[key].append(app[key])
        task_id = bench.call("seed_first_task", f"{db_name}-worker")
        app = app_first_task(bench.context, f"{db_name}-worker", task_id, "worker")
        for key in ("first_task_s", "app_py_ready_s", "worker_start_s", "worker_ready_s"):
            runs[key if key.startswith("worker_") else f"worker_{key}"].append(app[key])
    for key, values in runs.items():
        results.add_runs(key, values)

    def between(start: str, end: str) -> list[float]:
        return [b - a for a, b in zip(runs[start], runs[end], strict=True)]

    after_ready = results.add_runs("first_task_after_py_ready_s", between("app_py_ready_s", "first_task_s"))
    bare_after_ready = results.add_runs("bare_after_py_ready_s", between("bare_py_ready_s", "pyodide_load_s"))
    results.add("first_task_minus_pyodide_load_s", after_ready - bare_after_ready + results.figures["app_zip_s"])
    raw = results.figures["first_task_s"] - results.figures["pyodide_load_s"]
    results.add("first_task_minus_pyodide_load_raw_s", raw)
    # Where the app's part goes: Python start to the store's open (imports, app setup), then to the task's end.
    results.add_runs("first_task_imports_s", between("app_py_ready_s", "app_idb_open_s"))
    results.add_runs("first_task_after_open_s", between("app_idb_open_s", "first_task_s"))
    worker_after_ready = results.add_runs(
        "first_task_worker_after_py_ready_s", between("worker_app_py_ready_s", "worker_first_task_s")
    )
    results.add(
        "first_task_worker_minus_pyodide_load_s", worker_after_ready - bare_after_ready + results.figures["app_zip_s"]
    )
    results.add_runs("worker_created_after_py_ready_s", between("worker_app_py_ready_s", "worker_start_s"))
    results.add_runs("worker_boot_s", between("worker_start_s", "worker_ready_s"))
    results.add_runs("worker_ready_to_task_done_s", between("worker_ready_s", "worker_first_task_s"))


def probed_page(context: BrowserContext) -> Page:
    page = context.new_page()
    page.add_init_script(path=str(REPO_ROOT / "benches" / "first_task_probe.js"))
    return page


def bare_pyodide_load(context: BrowserContext) -> dict[str, float]:
    page = probed_page(context)
    try:
        page.goto(f"/{BARE_PAGE}")
        page.wait_for_selector("body[data-python-ready-ms]", state="attached", timeout=PAGE_LOAD_TIMEOUT_MS)
        python_ready = float(page.eval_on_selector("body", "b => b.dataset.pythonReadyMs"))
        return {
            "pyodide_load_s": python_ready / 1000,
            "bare_py_ready_s": page.evaluate("() => window.benchMarks.pyReady") / 1000,
        }
    finally:
        page.close()


def app_first_task(context: BrowserContext, db_name: str, task_id: str, runner: str) -> dict[str, float]:
    """The app page's marks until the seeded task completed, with its tasks run by *runner* (``page``/``worker``)."""
    page = probed_page(context)
    try:
        page.goto(f"/{APP_PAGE}?db={db_name}&runner={runner}")
        page.wait_for_selector("body[data-ready='true']", state="attached", timeout=PAGE_LOAD_TIMEOUT_MS)
        deadline = time.monotonic() + 30
        while True:
            record = json.loads(page.evaluate("(id) => window.pyqueueApp.task(id)", task_id))
            if record and record["status"] == "completed":
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"first_task: the seeded task did not complete on the app page: {record}")
            page.wait_for_timeout(20)
        origin = page.evaluate("() => performance.timeOrigin")
        marks = page.evaluate("() => window.benchMarks")
        # The part of the zip's download that came after the runtime's own files had arrived: all of it when
        # PyScript fetches it once Pyodide is up, none when index.html preloads it beside Pyodide.
        zip_ms = page.evaluate(
            """() => {
                 const entries = performance.getEntriesByType("resource");
                 const runtime = Math.max(0, ...entries
                   .filter((e) => e.name.endsWith("/pyodide.asm.wasm") || e.name.endsWith("/python_stdlib.zip"))
                   .map((e) => e.responseEnd));
                 return entries.filter((e) => e.name.endsWith("/pyqueue.zip"))
                   .reduce((ms, e) => ms + Math.max(0, e.responseEnd - Math.max(e.startTime, runtime)), 0);
               }"""
        )
        return {
            "first_task_s": (record["finished_at"] - origin) / 1000,
            "app_py_ready_s": marks["pyReady"] / 1000,
            "app_idb_open_s": marks[f"idbOpen:{db_name}"] / 1000,
            "app_ready_s": marks["ready"] / 1000,
            "app_zip_s": zip_ms / 1000,
            "worker_start_s": marks.get("workerStart", math.nan) / 1000,
            "worker_ready_s": marks.get("workerReady", math.nan) / 1000,
        }
    finally:
        page.close()


def case_soak(bench: BenchPage, sizes: Sizes, results: Results, batch: bool) -> dict[str, Any]:
    """Many tasks through one long-lived runner: what the wasm heap and the live PyProxies do.

    Memory is read after a full collection (Python's gc, then Chromium's over
    CDP) at the start and after each third of the tasks; the figures are the
    growth from start to end, the spread the growth of each third. The wasm
    heap never shrinks, so any growth is memory Python needed and kept. The
    proxy counter is checked first: it must see ten deliberately leaked
    proxies, and see them go once they are destroyed or collected. What the
    live proxies hold at the first and the last checkpoint is kept in the
    report (``proxy_census``): a growth says there who grew.
    """
    concurrency, batch_size = 4, (sizes.batch_size if batch else None)
    calibration = proxy_counter_check(bench)
    log(f"soak: warm-up of {sizes.soak_warmup:,} tasks (concurrency {concurrency}, batch_size {batch_size})")
    bench.call("soak_open", concurrency, batch_size, sizes.soak_warmup)
    checkpoints = [bench.memory()]
    census = {"start": bench.py("bench_cases.proxy_census()")}
    marks = [round(sizes.soak_n * k / 3) for k in (1, 2, 3)]
    done, seconds = 0, 0.0
    last_log = time.monotonic()
    while done < sizes.soak_n:
        target = next(m for m in marks if m > done)
        step = bench.call("soak_chunk", min(sizes.soak_chunk, target - done))
        done, seconds = step["done"], step["seconds"]
        if done == target:
            checkpoints.append(bench.memory())
        if time.monotonic() - last_log > 15 or done >= sizes.soak_n:
            log(f"soak: {done:,}/{sizes.soak_n:,} tasks, {done / seconds:,.0f} tasks/s")
            last_log = time.monotonic()
    census["end"] = bench.py("bench_cases.proxy_census()")  # read right after the last checkpoint's collection
    bench.call("soak_stop")
    close = bench.call("soak_close")
    if close["by_status"].get("completed") != sizes.soak_n + sizes.soak_warmup:
        raise RuntimeError(f"soak: not every task completed: {close['by_status']}")

    def growth(key: str, read: Callable[[dict[str, Any]], float]) -> None:
        values = [read(c) for c in checkpoints]
        thirds = [b - a for a, b in itertools.pairwise(values)]
        results.add(key, values[-1] - values[0])
        results.spread[key] = {"runs": thirds, "min": min(thirds), "max": max(thirds)}

    results.add("soak_tasks", done)
    results.add("soak_per_s", done / seconds)
    growth("soak_heap_growth_mb", lambda c: c["wasm_heap_bytes"] / 2**20)
    growth("soak_proxy_growth", lambda c: c["proxies"]["live"])
    growth("soak_js_heap_growth_mb", lambda c: c["js_heap_used_bytes"] / 2**20)
    growth("soak_py_gc_objects_growth", lambda c: c["gc_objects"])
    return {
        "checkpoints": checkpoints,
        "concurrency": concurrency,
        "batch_size": batch_size,
        "proxy_counter_check": calibration,
        "proxy_census": census,
    }


def proxy_counter_check(bench: BenchPage) -> dict[str, int]:
    """Leak five explicit and five implicit proxies, then free them: the counter must follow.

    Other proxies may be waiting for their finalizers at any moment (the browser
    runs them when it likes), so the freeing is checked on the counter's own
    tallies: five more destroyed at once, five more finalized after a GC.
    """
    bench.memory()
    before = bench.js("() => window.benchProxies()")
    bench.py("bench_cases.leak_proxies(5)")
    leaked = bench.js("() => window.benchProxies()")["live"] - before["live"]
    bench.py("bench_cases.free_proxies()")
    destroyed = bench.js("() => window.benchProxies()")["unregistered"] - before["unregistered"]
    finalized = bench.memory()["proxies"]["finalized"] - before["finalized"]
    if leaked != 10 or destroyed < 5 or finalized < 5:
        raise RuntimeError(
            f"proxy counter off: 10 leaked proxies counted as {leaked}; of those, {destroyed} seen destroyed "
            f"(5 expected) and {finalized} seen collected (5 expected)"
        )
    return {"leaked": leaked, "destroyed": destroyed, "finalized": finalized}


PROFILE_N = 300
"""Tasks (or enqueues) per profiled case: enough for per-task figures, few enough to keep the run short."""


def case_profile(bench: BenchPage, sizes: Sizes, batch: bool) -> dict[str, Any]:
    """Where the time goes: Chromium's sampling profiler and cProfile over the same cases.

    The sampling profile (CDP ``Profiler``, 200 us) sees the whole main thread:
    idle (waiting for IndexedDB), the IndexedDB API calls, Python's interpreter
    (wasm), Pyodide's JS glue, and "(program)" (the browser's own work between
    JavaScript: task scheduling, event dispatch, stack switches). cProfile splits
    the Python side by category and counts event-loop turns and IndexedDB
    events per task.
    """
    n, puts = min(sizes.process_n, PROFILE_N), min(sizes.put_n, PROFILE_N)
    out: dict[str, Any] = {"sampled_ms_per_task": {}}
    configs: list[tuple[str, str, int]] = [
        ("js_put_per_tx", f"window.benchJs.putPerTx({puts})", puts),
        ("enqueue_one", f"await bench_cases.enqueue_one({puts})", puts),
        ("js_queue_loop", f"window.benchJs.queueLoop({n}, 1)", n),
        ("process_noop", f"await bench_cases.process_noop({n}, 1, None)", n),
    ]
    if batch:
        configs.append(("process_noop_batch", f"await bench_cases.process_noop({n}, 1, {sizes.batch_size})", n))
    for name, call, per in configs:
        log(f"profile: sampling {name}")
        out["sampled_ms_per_task"][name] = sampled(bench, call, per)
    log("profile: cProfile")
    out["cprofile"] = {
        "process_noop": bench.call("profile_process", n, 1, None),
        "enqueue_one": bench.call("profile_enqueue", puts),
    }
    if batch:
        out["cprofile"]["process_noop_batch"] = bench.call("profile_process", n, 1, sizes.batch_size)
    out["loop_costs"] = bench.call("loop_costs", 1_000)
    out["turn_costs"] = bench.call("turn_costs", sizes.micro_n // 5)
    out["ffi_costs"] = bench.call("ffi_costs", sizes.micro_n)
    out["imports"] = bench.call("import_costs", "web.launch")
    out["imports_views"] = bench.call("import_costs", "web.app")
    return out


def sampled(bench: BenchPage, call: str, per: int) -> dict[str, float]:
    """Run *call* (JS, or Python if it starts with ``await``) under the CDP sampling profiler; ms per task."""
    cdp = bench.cdp
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    cdp.send("Profiler.start")
    if call.startswith("await "):
        bench.py(f"({call}) and None")
    else:
        bench.js(f"() => {call}")
    profile = cdp.send("Profiler.stop")["profile"]
    cdp.send("Profiler.disable")
    nodes = {node["id"]: node["callFrame"] for node in profile["nodes"]}
    by: dict[str, float] = {}
    for node_id, delta_us in zip(profile["samples"], profile["timeDeltas"], strict=True):
        key = _sample_category(nodes[node_id])
        by[key] = by.get(key, 0.0) + delta_us / 1000 / per
    return dict(sorted(by.items(), key=lambda kv: -kv[1]))


def _sample_category(frame: dict[str, Any]) -> str:
    name, url = frame["functionName"], frame["url"]
    if name in ("(idle)", "(program)", "(garbage collector)"):
        return name
    if url.endswith(".wasm") or name.startswith("$"):
        return "Python interpreter (wasm)"
    if "pyodide.asm" in url or name.startswith(("js-to-wasm", "wasm-to-js")):
        return "Pyodide glue (JS <-> wasm)"
    if not url and name in ("put", "add", "get", "getAll", "getAllKeys", "update", "delete", "count"):
        return "IndexedDB: requests (put/get/getAll/update)"
    if not url and name in ("transaction", "openCursor", "openKeyCursor", "continue", "objectStore", "index"):
        return "IndexedDB: transactions and cursors"
    if not url and name == "postMessage":
        return "event-loop turns (postMessage)"
    if "baselines.js" in url:
        return "baseline JS"
    return "other"


# --------------------------------------------------------------------------- report

ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    # (label, pyqueue key, unit, baseline key, ratio key)
    ("js_put_per_tx (p50)", "js_put_per_tx_ms", "ms", "", ""),
    ("js_put_per_tx (p99)", "js_put_per_tx_p99_ms", "ms", "", ""),
    ("js_put_with_seq (p50)", "js_put_with_seq_ms", "ms", "", ""),
    ("js_put_auto_seq (p50)", "js_put_auto_seq_ms", "ms", "js_put_per_tx_ms", "js_put_auto_seq_vs_js_put_per_tx"),
    ("js_put_inline_seq (p50)", "js_put_inline_seq_ms", "ms", "js_put_per_tx_ms", "js_put_inline_seq_vs_js_put_per_tx"),
    ("js_put_batch", "js_put_batch_per_s", "/s", "", ""),
    ("js_queue_loop c1", "js_queue_loop_per_s", "/s", "", ""),
    ("js_queue_loop c4", "js_queue_loop_c4_per_s", "/s", "", ""),
    ("js_batch_loop", "js_batch_loop_per_s", "/s", "", ""),
    ("enqueue_one p50", "enqueue_one_p50_ms", "ms", "js_put_per_tx_ms", "enqueue_one_p50_vs_js_put_per_tx"),
    ("  (vs js_put_with_seq)", "enqueue_one_p50_ms", "ms", "js_put_with_seq_ms", "enqueue_one_p50_vs_js_put_with_seq"),
    ("enqueue_one p99", "enqueue_one_p99_ms", "ms", "js_put_per_tx_p99_ms", ""),
    ("enqueue_many", "enqueue_many_per_s", "/s", "js_put_batch_per_s", "enqueue_many_vs_js_put_batch"),
    ("process_noop c1", "process_noop_per_s", "/s", "js_queue_loop_per_s", "process_noop_vs_js_queue_loop"),
    ("process_noop c4", "process_noop_c4_per_s", "/s", "js_queue_loop_per_s", "process_noop_c4_vs_js_queue_loop"),
    ("  (vs js c4)", "process_noop_c4_per_s", "/s", "js_queue_loop_c4_per_s", "process_noop_c4_vs_js_queue_loop_c4"),
    (
        "process_noop c1 batch",
        "process_noop_batch_per_s",
        "/s",
        "js_queue_loop_per_s",
        "process_noop_batch_vs_js_queue_loop",
    ),
    (
        "process_noop c4 batch",
        "process_noop_c4_batch_per_s",
        "/s",
        "js_queue_loop_per_s",
        "process_noop_c4_batch_vs_js_queue_loop",
    ),
    (
        "  (vs js_batch_loop)",
        "process_noop_c4_batch_per_s",
        "/s",
        "js_batch_loop_per_s",
        "process_noop_c4_batch_vs_js_batch_loop",
    ),
    ("ab: js put (p50)", "ab_enqueue_js_put_p50_ms", "ms", "", ""),
    (
        "ab: put from Python (p50)",
        "ab_enqueue_py_put_p50_ms",
        "ms",
        "ab_enqueue_js_put_p50_ms",
        "ab_enqueue_py_put_vs_js_put",
    ),
    ("ab: enqueue today", "ab_enqueue_today_p50_ms", "ms", "ab_enqueue_js_put_p50_ms", "ab_enqueue_today_vs_js_put"),
    (
        "  (vs put from Python)",
        "ab_enqueue_today_p50_ms",
        "ms",
        "ab_enqueue_py_put_p50_ms",
        "ab_enqueue_today_vs_py_put",
    ),
    ("ab: js_queue_loop c1", "ab_js_queue_loop_per_s", "/s", "", ""),
    (
        "  with pyqueue's indexes",
        "ab_js_queue_loop_pyq_indexes_per_s",
        "/s",
        "ab_js_queue_loop_per_s",
        "ab_js_queue_loop_pyq_indexes_vs_js_queue_loop",
    ),
    (
        "ab: floor c1 (from Python)",
        "ab_py_floor_queue_loop_per_s",
        "/s",
        "ab_js_queue_loop_per_s",
        "ab_py_floor_queue_loop_vs_js_queue_loop",
    ),
    ("ab: runner c1", "ab_process_noop_per_s", "/s", "ab_js_queue_loop_per_s", "ab_process_noop_vs_js_queue_loop"),
    (
        "  (vs floor)",
        "ab_process_noop_per_s",
        "/s",
        "ab_py_floor_queue_loop_per_s",
        "ab_process_noop_vs_py_floor_queue_loop",
    ),
    ("ab: js_batch_loop", "ab_js_batch_loop_per_s", "/s", "", ""),
    (
        "  with pyqueue's indexes",
        "ab_js_batch_loop_pyq_indexes_per_s",
        "/s",
        "ab_js_batch_loop_per_s",
        "ab_js_batch_loop_pyq_indexes_vs_js_batch_loop",
    ),
    (
        "ab: floor batch (from Python)",
        "ab_py_floor_batch_loop_per_s",
        "/s",
        "ab_js_batch_loop_per_s",
        "ab_py_floor_batch_loop_vs_js_batch_loop",
    ),
    (
        "ab: runner c4 batch",
        "ab_process_noop_c4_batch_per_s",
        "/s",
        "ab_js_batch_loop_per_s",
        "ab_process_noop_c4_batch_vs_js_batch_loop",
    ),
    (
        "  (vs floor)",
        "ab_process_noop_c4_batch_per_s",
        "/s",
        "ab_py_floor_batch_loop_per_s",
        "ab_process_noop_c4_batch_vs_py_floor_batch_loop",
    ),
    ("depth 1k", "depth_1k_ms", "ms/task", "", ""),
    ("depth 10k", "depth_10k_ms", "ms/task", "", ""),
    ("depth 100k", "depth_100k_ms", "ms/task", "depth_1k_ms", "depth_100k_vs_1k"),
    ("js depth 1k", "js_depth_1k_ms", "ms/task", "", ""),
    ("js depth 10k", "js_depth_10k_ms", "ms/task", "", ""),
    ("js depth 100k", "js_depth_100k_ms", "ms/task", "js_depth_1k_ms", "js_depth_100k_vs_1k"),
    ("  depth 100k/1k over js's", "depth_100k_vs_1k", "", "js_depth_100k_vs_1k", "depth_100k_vs_1k_over_js"),
    ("pyodide_load (bare page)", "pyodide_load_s", "s", "", ""),
    ("first_task (index.html)", "first_task_s", "s", "pyodide_load_s", ""),
    ("first_task - pyodide_load", "first_task_minus_pyodide_load_s", "s", "", ""),
    ("  (difference of medians)", "first_task_minus_pyodide_load_raw_s", "s", "", ""),
    ("  app: py:ready", "app_py_ready_s", "s", "", ""),
    ("  app: py:ready -> task done", "first_task_after_py_ready_s", "s", "", ""),
    ("  bare: py:ready -> Python runs", "bare_after_py_ready_s", "s", "", ""),
    ("  app: fetch pyqueue.zip", "app_zip_s", "s", "", ""),
    ("  app: py:ready -> idb open", "first_task_imports_s", "s", "", ""),
    ("  app: idb open -> task done", "first_task_after_open_s", "s", "", ""),
    ("first_task - pyodide_load, worker", "first_task_worker_minus_pyodide_load_s", "s", "", ""),
    ("  worker app: py:ready -> task done", "first_task_worker_after_py_ready_s", "s", "", ""),
    ("  worker app: py:ready -> new Worker", "worker_created_after_py_ready_s", "s", "", ""),
    ("  worker app: new Worker -> ready", "worker_boot_s", "s", "", ""),
    ("  worker app: ready -> task done", "worker_ready_to_task_done_s", "s", "", ""),
    ("soak throughput", "soak_per_s", "/s", "", ""),
    ("soak wasm heap growth", "soak_heap_growth_mb", "MB", "", ""),
    ("soak live proxy growth", "soak_proxy_growth", "", "", ""),
    ("soak JS heap growth", "soak_js_heap_growth_mb", "MB", "", ""),
    ("soak Python objects growth", "soak_py_gc_objects_growth", "", "", ""),
)
ROWS += responsiveness.ROWS


def fmt(value: float) -> str:
    if value == 0 or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def table(results: Results) -> str:
    """One line per case: the figure and its spread, the baseline, the ratio and its spread, the targets."""
    header = (
        f"{'case':<28} {'pyqueue (median)':>18} {'spread (min..max)':>18} {'baseline':>12} "
        f"{'ratio':>6} {'ratio spread':>12}  target (met)"
    )
    lines = [header, "-" * len(header)]
    shown: set[str] = set()
    for label, key, unit, base_key, ratio_key in ROWS:
        if key not in results.figures:
            continue
        spread = results.spread.get(key)
        spread_text = f"{fmt(spread['min'])}..{fmt(spread['max'])}" if spread else ""
        base = f"{fmt(results.figures[base_key])} {unit}" if base_key in results.figures else ""
        ratio = f"{results.figures[ratio_key]:.2f}" if ratio_key in results.figures else ""
        ratio_spread = results.spread.get(ratio_key)
        ratio_spread_text = f"{ratio_spread['min']:.2f}..{ratio_spread['max']:.2f}" if ratio_spread else ""
        targets = []
        for target_key in (key, ratio_key):
            if target_key in TARGETS and target_key in results.figures and target_key not in shown:
                shown.add(target_key)
                text, check = TARGETS[target_key]
                targets.append(f"{text} ({'yes' if check(results.figures[target_key]) else 'NO'})")
        lines.append(
            f"{label:<28} {fmt(results.figures[key]) + ' ' + unit:>18} {spread_text:>18} {base:>12} "
            f"{ratio:>6} {ratio_spread_text:>12}  {'; '.join(targets)}".rstrip()
        )
    return "\n".join(lines)


def keygen_table(facts: dict[str, Any]) -> str:
    lines = ["", "IndexedDB key generator (what the enqueue prototype relies on), seen in this Chromium:"]
    for what, fact in facts.items():
        lines.append(f"  {'holds' if fact['holds'] else 'FAILS'}  {what}: {json.dumps(fact['seen'])}")
    return "\n".join(lines)


def profile_table(profile: dict[str, Any]) -> str:
    lines = ["", "Where the time goes (ms per task; sampled main thread, then cProfile of the Python side):"]
    sampled_cases = profile["sampled_ms_per_task"]
    names = list(sampled_cases)
    keys: list[str] = []
    for case in sampled_cases.values():
        keys += [k for k in case if k not in keys]
    lines.append(f"  {'':<44}" + "".join(f"{n:>19}" for n in names))
    for key in keys:
        lines.append(f"  {key:<44}" + "".join(f"{sampled_cases[n].get(key, 0.0):>19.3f}" for n in names))
    lines.append(f"  {'total':<44}" + "".join(f"{sum(sampled_cases[n].values()):>19.3f}" for n in names))
    for name, prof in profile["cprofile"].items():
        counts = ", ".join(f"{k} {v:.2f}" for k, v in prof["per_task"].items())
        lines.append(f"  cProfile {name}: wall {prof['wall_ms']:.3f} ms, Python {prof['python_ms']:.3f} ms; {counts}")
        for category, ms in prof["python_ms_by_category"].items():
            lines.append(f"      {category:<46} {ms:8.3f} ms")
    costs = profile["loop_costs"]
    lines.append(
        f"  one Python event-loop turn {costs['python_event_loop_turn_us']:.1f} us, one JS macrotask "
        f"{costs['js_macrotask_us']:.1f} us, one Python->JS call {costs['ffi_call_us']:.1f} us"
    )
    lines.append("  awaits on Pyodide's WebLoop (turns of the browser's event loop, and us, each):")
    for pattern, cost in profile["turn_costs"].items():
        lines.append(f"    {cost['turns']:4.1f} turns {cost['us']:7.1f} us  {pattern}")
    lines.append("  the pieces of one IndexedDB write, from Python (us each):")
    for piece, us in profile["ffi_costs"].items():
        lines.append(f"    {us:7.1f} us  {piece}")
    for key, what in (
        ("imports", "import web.launch (the app's Python before its first task)"),
        ("imports_views", "import web.app (with the dashboard and views, after the first claim)"),
    ):
        imports = profile[key]
        lines.append(
            f"  {what}: {imports['wall_ms']:.0f} ms, with "
            f"{', '.join(imports['other_modules_loaded']) or 'no other module'}; by module under cProfile (cumulative):"
        )
        for row in imports["profiled_cumulative_ms"]:
            lines.append(f"    {row['ms']:7.1f} ms  {row['module']}")
    return "\n".join(lines)


def target_report(results: Results) -> dict[str, Any]:
    return {
        key: {"target": text, "value": results.figures[key], "met": check(results.figures[key])}
        for key, (text, check) in TARGETS.items()
        if key in results.figures
    }


# --------------------------------------------------------------------------- main


@contextmanager
def timed(case: str, seconds: dict[str, float]) -> Iterator[None]:
    """Time one case into *seconds* and log it: the full run must stay under 12 minutes, this says where it goes."""
    started = time.monotonic()
    yield
    seconds[case] = round(time.monotonic() - started, 1)
    log(f"{case} took {seconds[case]} s")


def run(sizes: Sizes, cases: Sequence[str], out: Path, *, quick: bool) -> dict[str, Any]:
    missing = [p for p in REQUIRED_BUILD_FILES if not (REPO_ROOT / p).is_file()]
    if missing:
        raise SystemExit(f"bench: missing {', '.join(missing)}: run scripts/setup.sh (benches/run does)")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"bench: {CHROMIUM} not found: benches/run installs Debian's chromium")
    results = Results()
    profile: dict[str, Any] | None = None
    keygen: dict[str, Any] | None = None
    meta: dict[str, Any] = {
        "quick": quick,
        "sizes": vars(sizes),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
    }
    started = time.monotonic()
    with serve() as base_url, browser(base_url) as context:
        meta["browser"] = context.browser.version if context.browser else "chromium"
        bench = BenchPage(context)
        meta["runner"] = bench.py("bench_cases.runner_options()")
        batch = bool(meta["runner"]["batch_size"])
        case_seconds: dict[str, float] = {}
        if "enqueue" in cases:
            with timed("enqueue", case_seconds):
                case_put_and_enqueue(bench, sizes, results)
        if "process" in cases:
            with timed("process", case_seconds):
                case_process(bench, sizes, results, batch)
        if "ab" in cases:
            with timed("ab", case_seconds):
                case_ab(bench, sizes, results)
        if "depth" in cases:
            with timed("depth", case_seconds):
                case_depth(bench, sizes, results)
        if "first_task" in cases:
            with timed("first_task", case_seconds):
                case_first_task(bench, sizes, results)
        if "soak" in cases:
            with timed("soak", case_seconds):
                meta["soak"] = case_soak(bench, sizes, results, batch)
        if "profile" in cases:
            with timed("profile", case_seconds):
                profile = case_profile(bench, sizes, batch)
        if "keygen" in cases:
            with timed("keygen", case_seconds):
                keygen = case_keygen(context, sizes)
        if "responsiveness" in cases:
            with timed("responsiveness", case_seconds):
                responsiveness.case_responsiveness(bench, results, runs=sizes.runs, quick=quick, log=log)
        meta["case_seconds"] = case_seconds
        if bench.errors:
            meta["page_errors"] = bench.errors[-20:]
    meta["seconds"] = round(time.monotonic() - started, 1)
    meta["load_average_at_end"] = os.getloadavg()
    report = {
        "figures": results.figures,
        "spread": results.spread,
        "targets": target_report(results),
        "profile": profile,
        "keygen_facts": keygen,
        "meta": meta,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(results))
    if profile is not None:
        print(profile_table(profile))
    if keygen is not None:
        print(keygen_table(keygen))
    load = ", ".join(f"{x:.1f}" for x in meta["load_average_at_end"])
    print(f"\n{len(results.figures)} figures in {meta['seconds']} s -> {out}")
    print("per case: " + ", ".join(f"{case} {seconds} s" for case, seconds in meta["case_seconds"].items()))
    print(f"load average {load} on {os.cpu_count()} CPUs: other work on the machine slows every figure")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (what CI runs): checks the bench works")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON output (default {DEFAULT_OUT})")
    parser.add_argument("--runs", type=int, help="runs per case (at least 3 for a report)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated subset of {','.join(CASES)}")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    if args.runs:
        sizes = Sizes(**{**vars(sizes), "runs": args.runs})
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    run(sizes, cases, args.out, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())

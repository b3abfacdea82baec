"""Responsiveness: the same CPU-bound tasks through a main-thread runner and a worker runner, in one browser run.

Each run enqueues ``n`` tasks that each compute for about 20 ms without
yielding (``benches/responsiveness_tasks.py``), then runs them while the page
records, on its main thread:

- long tasks (``PerformanceObserver`` of type ``longtask``), counted over 50 ms;
- input delay: every 100 ms a timer fires a synthetic ``click``; its delay is
  how late the timer ran (a blocked main thread runs it late) plus the time
  until the click handler ran. p50, p95 and max.

and the throughput (tasks/s). Targets for the worker runner: no long task, an
input delay p95 under 50 ms, and at least 0.8x the main-thread runner's throughput.
Called by ``benches/bench.py`` (case ``responsiveness``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PROBE_JS = """() => {
  if (window.respProbe) return;
  const button = document.createElement("button");
  let state = null;
  button.addEventListener("click", () => {
    if (state) state.delays.push(Math.max(0, performance.now() - state.due));  // a timer may fire 0.1 ms early
  });
  // Entries arrive after their task ended: one that began before start() (the setup's last turn, which
  // also starts the probe) is not the runner's.
  const observer = new PerformanceObserver((list) => {
    if (!state) return;
    for (const entry of list.getEntries()) {
      if (entry.startTime >= state.started) state.longtasks.push(entry.duration);
    }
  });
  observer.observe({ type: "longtask" });
  function tick() {
    const late = performance.now();
    state.due = state.next;
    button.dispatchEvent(new MouseEvent("click"));
    state.next = Math.max(state.next + 100, late);
    state.timer = setTimeout(tick, state.next - performance.now());
  }
  window.respProbe = {
    start() {
      const now = performance.now();
      state = { started: now, delays: [], longtasks: [], next: now + 100, timer: null };
      state.timer = setTimeout(tick, 100);
    },
    stop() {
      clearTimeout(state.timer);
      const result = JSON.stringify({ delays: state.delays, longtasks: state.longtasks });
      state = null;
      return result;
    },
  };
}"""

TASK_MS = 20.0
FULL_N = 500
QUICK_N = 30


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values) or [0.0]
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def _summary(report: dict[str, Any]) -> dict[str, float]:
    delays: list[float] = report["delays"]
    return {
        "longtasks_over_50ms": float(sum(1 for d in report["longtasks"] if d > 50)),
        "input_delay_p50_ms": _percentile(delays, 50),
        "input_delay_p95_ms": _percentile(delays, 95),
        "input_delay_max_ms": max(delays, default=0.0),
        "per_s": float(report["per_s"]),
    }


def case_responsiveness(bench: Any, results: Any, *, runs: int, quick: bool, log: Any) -> None:
    """Run both runners *runs* times, interleaved, and add the medians to *results* (a bench.Results).

    The quick variant (CI) runs once, on few tasks: it checks the case works, within the quick time budget.
    """
    n = QUICK_N if quick else FULL_N
    runs = 1 if quick else runs
    bench.js(PROBE_JS)
    bench.page.evaluate(
        "([url, path]) => window.pyLoadFile(url, path)",
        ["/benches/responsiveness_tasks.py", "/home/pyodide/app/responsiveness_tasks.py"],
    )
    bench.py("import responsiveness_tasks")
    per_run: dict[str, list[float]] = {}
    for run in range(runs):
        for where, call in (("main", "main_thread_run"), ("worker", "worker_run")):
            log(f"responsiveness: {n} tasks of {TASK_MS:g} ms on the {where} runner, run {run + 1}/{runs}")
            report = bench.py(f"await responsiveness_tasks.{call}({n}, {TASK_MS})")
            for key, value in _summary(report).items():
                per_run.setdefault(f"{where}_{key}", []).append(value)
    for key, values in per_run.items():
        results.add_runs(key, values)
    results.ratio("worker_vs_main_throughput", "worker_per_s", "main_per_s")
    # The target is "no long task": the worst run counts, not the median.
    results.figures["worker_longtasks_over_50ms"] = max(per_run["worker_longtasks_over_50ms"])


TARGETS: dict[str, tuple[str, Callable[[float], bool]]] = {
    "worker_longtasks_over_50ms": ("0", lambda v: v == 0),
    "worker_input_delay_p95_ms": ("< 50 ms", lambda v: v < 50.0),
    "worker_vs_main_throughput": (">= 0.8", lambda v: v >= 0.8),
}
"""Added to bench.py's targets."""

ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    # (label, key, unit, baseline key, ratio key), as bench.py's table rows
    ("resp. main long tasks>50ms", "main_longtasks_over_50ms", "", "", ""),
    ("resp. worker long tasks>50ms", "worker_longtasks_over_50ms", "", "", ""),
    ("resp. main input delay p50", "main_input_delay_p50_ms", "ms", "", ""),
    ("resp. main input delay p95", "main_input_delay_p95_ms", "ms", "", ""),
    ("resp. main input delay max", "main_input_delay_max_ms", "ms", "", ""),
    ("resp. worker input p50", "worker_input_delay_p50_ms", "ms", "", ""),
    ("resp. worker input p95", "worker_input_delay_p95_ms", "ms", "main_input_delay_p95_ms", ""),
    ("resp. worker input max", "worker_input_delay_max_ms", "ms", "", ""),
    ("resp. main runner", "main_per_s", "/s", "", ""),
    ("resp. worker runner", "worker_per_s", "/s", "main_per_s", "worker_vs_main_throughput"),
)
"""Added to bench.py's table."""

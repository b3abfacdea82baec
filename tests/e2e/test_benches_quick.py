"""The benchmark's quick variant, so that ``benches/run`` cannot rot: it runs and reports every figure.

No timing is asserted here (CI machines vary); the targets are reported by
the full ``benches/run``. The bench drives its own Chromium and server, so it
runs as a subprocess, away from this session's Playwright.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from .conftest import CHROMIUM, REPO_ROOT, REQUIRED_BUILD_FILES

# The issue's keys, then the baselines' own figures; each must be a finite number.
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
    "worker_longtasks_over_50ms",
    "worker_input_delay_p95_ms",
    "main_input_delay_p95_ms",
    "worker_vs_main_throughput",
)
QUICK_TIMEOUT_S = 300  # about a minute alone; a machine shared with other work can triple it


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``benches/<name> *args`` in a subprocess (the scripts drive their own Chromium and server)."""
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / "benches" / name), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=QUICK_TIMEOUT_S,
        check=False,
    )


def test_quick_benchmark_reports_every_figure_as_a_finite_number(tmp_path: Path) -> None:
    # Given the built page and Debian's Chromium (the other e2e tests need them too)
    assert all((REPO_ROOT / p).is_file() for p in REQUIRED_BUILD_FILES), "run scripts/setup.sh"
    assert Path(CHROMIUM).exists()
    out = tmp_path / "latest.json"

    # When the quick variant runs
    done = run_script("bench.py", "--quick", "--out", str(out))

    # Then it prints its table and writes every figure, each a finite number with its runs behind it
    assert done.returncode == 0, f"benches/bench.py --quick failed:\n{done.stdout}\n{done.stderr}"
    assert "process_noop c1" in done.stdout
    report = json.loads(out.read_text())
    figures = report["figures"]
    missing = [k for k in REQUIRED_KEYS if k not in figures]
    assert not missing, f"latest.json lacks {missing}"
    not_finite = {k: v for k, v in figures.items() if not (isinstance(v, int | float) and math.isfinite(v))}
    assert not not_finite, f"figures that are not finite numbers: {not_finite}"
    assert report["meta"]["quick"] is True
    assert all(len(report["spread"][k]["runs"]) >= 3 for k in ("enqueue_one_p50_ms", "process_noop_per_s"))
    ratios = ("enqueue_one_p50_vs_js_put_per_tx", "enqueue_many_vs_js_put_batch", "process_noop_vs_js_queue_loop")
    assert all(len(report["spread"][k]["runs"]) >= 3 for k in ratios), "a ratio without its run-by-run spread"
    assert "ratio spread" in done.stdout
    assert all(fact["holds"] for fact in report["keygen_facts"].values())
    if report["meta"]["runner"]["batch_size"]:
        assert "process_noop_batch_vs_js_queue_loop" in figures
        assert "process_noop_c4_batch_vs_js_batch_loop" in figures


def _numbers(value: object) -> list[float]:
    """Every number in a JSON value, however nested."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, int | float) and not isinstance(value, bool) else []


def test_probes_cut_an_enqueue_in_segments_and_time_the_reads_at_each_depth() -> None:
    # Given the built page and Debian's Chromium
    assert all((REPO_ROOT / p).is_file() for p in REQUIRED_BUILD_FILES), "run scripts/setup.sh"
    assert Path(CHROMIUM).exists()

    # When benches/probes.py runs both probes at tiny sizes
    done = run_script("probes.py", "--enqueue", "20", "--depth", "30,60", "--churn", "5", "--reads", "5")

    # Then it prints the four segments of both variants, and every read at each level before and after each churn
    assert done.returncode == 0, f"benches/probes.py failed:\n{done.stdout}\n{done.stderr}"
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    segments = lines[0]["enqueue_segments_ms"]
    assert set(segments) == {"py_put", "enqueue"}
    assert all(set(s) == {"before", "body", "idb", "after"} for s in segments.values())
    depth = lines[1:]
    assert [(d["level"], d["round"]) for d in depth] == [(level, r) for level in (30, 60) for r in range(3)]
    assert all(d["churn_ms_per_task"] is None for d in depth if d["round"] == 0)
    assert all(len(d["read_ms"]) == 7 for d in depth)
    numbers = _numbers(lines)
    assert numbers and all(math.isfinite(n) and n >= 0 for n in numbers)

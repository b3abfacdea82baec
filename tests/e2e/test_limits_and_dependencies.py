"""Rate limits across tabs and dependencies, in real Chromium, counted from the durable execution log.

The rate limit is kept in IndexedDB inside each claim's transaction, so three
tabs claiming at once still never start more than the limit in any window; a
dependant runs only after every one of its dependencies completed, and when
one fails it is failed with that dependency named, never run.
"""

from __future__ import annotations

import json

from playwright.sync_api import Browser

from .conftest import py
from .reliability import executions, wait_all_finished, worker_tabs

RATE = (5, 1_000.0)  # five starts in any second
TASKS = 30


def test_a_rate_limit_holds_across_three_tabs_claiming_at_once(browser: Browser, server_url: str) -> None:
    # Given three tabs of one origin, each running a queue on one database with a rate limit of 5 per second
    with worker_tabs(browser, server_url, 3, "rate-limit", lease_ms=10_000, concurrency=3, rate_limit=RATE) as pages:
        # When 30 short tasks are enqueued, a third from each tab
        for i, page in enumerate(pages):
            py(page, f"await worker.enqueue({i * 10}, 10, chunk=5)")
        wait_all_finished(pages[0], TASKS, timeout_s=60)
        # Then every task ran once, work was shared, and no second held more than five starts
        runs = executions(pages[0])
        assert len(runs) == TASKS and len({r["task"] for r in runs}) == TASKS
        assert len({r["owner"] for r in runs}) >= 2, "the tabs did not share the work"
        starts = sorted(r["started"] for r in runs)
        limit, per_ms = RATE
        crowded = [(a, b) for a, b in zip(starts, starts[limit:], strict=False) if b - a < per_ms]
        assert not crowded, f"more than {limit} starts within {per_ms} ms: {crowded[:3]}"
        per_window = [sum(1 for s in starts if w <= (s - starts[0]) // per_ms < w + 1) for w in range(7)]
        assert max(per_window) <= limit, per_window


def test_a_join_runs_after_all_its_steps_and_a_failed_step_fails_its_join(browser: Browser, server_url: str) -> None:
    # Given two tabs running one queue
    with worker_tabs(browser, server_url, 2, "flows", lease_ms=10_000, concurrency=2) as pages:
        # When six flows (three steps, then a join first in line) are enqueued, and flow 4 has a failing step
        flows = json.loads(py(pages[0], "await worker.enqueue_flows(6, ms=40, failing=4)"))
        state = wait_all_finished(pages[1], 6 * 4, timeout_s=60)
        tasks = {t["id"]: t for t in state["tasks"]}
        runs = {r["task"]: r for r in executions(pages[0])}
        for n, (steps, join) in enumerate(flows):
            if n == 4:
                # Then the join of the flow with the failing step never ran, and says which step failed
                assert join not in runs
                assert tasks[join]["status"] == "failed"
                assert tasks[join]["errors"][-1]["error"] == (
                    f"dependency {steps[1]} (work) failed: this task will not run"
                )
                continue
            # Then each other join ran once, after every one of its steps had completed
            assert tasks[join]["status"] == "completed" and tasks[join]["depends_on"] == steps
            last_step_done = max(tasks[s]["finished_at"] for s in steps)
            assert runs[join]["started"] >= last_step_done, (n, runs[join], last_step_done)
            assert all(runs[join]["at"] > runs[s]["at"] for s in steps)

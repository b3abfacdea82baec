"""A long-lived tab does not pile up PyProxies: counts at two checkpoints, in real Chromium.

The page counts live proxies with benches/proxy_count.js (a counting
FinalizationRegistry installed before Pyodide starts) and names what each
holds with the benches' census (``bench_cases.proxy_census``). Counts are read
after a full collection (Python's, then Chromium's over CDP, until the count
holds still), so a proxy only waiting for the JS GC is not taken for a leak.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from .app_page import wait_until
from .conftest import PageGuard, load_file, open_harness, py

REPO = Path(__file__).resolve().parents[2]
APP = "/home/pyodide/app"
DB = "proxies-test"

PRELUDE = f"""
import bench_cases
from wiring_tasks import Nap, nap, registry
from pyqueue.browser import start
registry.register("nap within a minute", nap, timeout_ms=60_000)
registry.register("nap within 50 ms", nap, timeout_ms=50, max_attempts=1)
bq = await start(registry, db_name={DB!r})
done = 0
"""

WAKE_UPS = """
for _ in range({n}):
    await bq.queue.enqueue({task_type!r}, Nap(0))  # the runner is idle: each enqueue wakes it
    done += 1
    await bench_cases.completed(bq.runner, done)
done
"""

LATE_TASK = """
from pyqueue import TaskFailed
late = await bq.queue.enqueue("nap within 50 ms", Nap(10_000))
try:
    await bq.queue.result(late, timeout_ms=5_000)
except TaskFailed as e:
    failed = e.error
failed
"""


@pytest.fixture
def counted_page(page: Page, page_guard: PageGuard) -> Iterator[Page]:
    """The harness with the proxy counter installed before Pyodide, and the queue of a tab started."""
    page.add_init_script(path=str(REPO / "benches" / "proxy_count.js"))
    open_harness(page)
    load_file(page, "benches/cases.py", f"{APP}/bench_cases.py")
    load_file(page, "tests/e2e/wiring_tasks.py", f"{APP}/wiring_tasks.py")
    py(page, PRELUDE)
    yield page
    py(page, "await bq.close()")


def live_proxies(page: Page) -> int:
    """Live proxies after collecting garbage in Python and in Chromium, once three readings agree."""
    cdp = page.context.new_cdp_session(page)
    seen: list[int] = []

    def settled() -> bool:
        py(page, "import gc\ngc.collect()")
        cdp.send("HeapProfiler.collectGarbage")
        page.wait_for_timeout(100)  # finalizers run in a later task
        seen.append(int(page.evaluate("() => window.benchProxies().live")))
        return len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]

    wait_until(page, settled, "the live proxy count to hold still", every_s=0)
    return seen[-1]


def test_a_runner_woken_again_and_again_keeps_the_same_live_proxies(counted_page: Page) -> None:
    # Given a started queue whose runner has gone idle and been woken 10 times
    py(counted_page, WAKE_UPS.format(n=10, task_type="nap"))
    before = live_proxies(counted_page)
    # When it is woken 40 more times (well within a minute: the idle re-check's timer has not fired)
    assert py(counted_page, WAKE_UPS.format(n=40, task_type="nap")) == "50"
    # Then not one more proxy is alive: a wake-up leaves no timer behind
    assert live_proxies(counted_page) == before, census(counted_page)


def test_tasks_that_finish_well_within_their_timeout_keep_the_same_live_proxies(counted_page: Page) -> None:
    # Given 10 tasks of a type with a one-minute timeout, each done at once
    py(counted_page, WAKE_UPS.format(n=10, task_type="nap within a minute"))
    before = live_proxies(counted_page)
    # When 40 more run (well within the minute: the first task's timeout has not come)
    assert py(counted_page, WAKE_UPS.format(n=40, task_type="nap within a minute")) == "50"
    # Then not one more proxy is alive: a task's timeout leaves no timer behind when the task ends
    assert live_proxies(counted_page) == before, census(counted_page)


def test_a_task_past_a_timeout_shorter_than_one_pending_still_times_out_on_time(counted_page: Page) -> None:
    # Given a task of the one-minute type done, so a timer a minute on is pending
    py(counted_page, WAKE_UPS.format(n=1, task_type="nap within a minute"))
    # When a task whose type allows 50 ms naps for 10 s
    # Then it is stopped at its own timeout, not when its nap (or the minute) ends
    assert py(counted_page, LATE_TASK) == "timed out after 50 ms"


def test_a_queue_started_and_closed_again_and_again_leaves_no_proxy_but_its_pending_timers(counted_page: Page) -> None:
    # Given one more queue started and closed in the same tab, so every piece has been set up once
    cycle = f"q = await start(registry, db_name={DB + '-cycled'!r})\nawait q.close()"
    py(counted_page, cycle)
    before = census(counted_page)
    # When it is started and closed five more times
    for _ in range(5):
        py(counted_page, cycle)
    # Then all that is left of them is the timers of their stopped runners, alive until they are due
    after = census(counted_page)
    assert without_timers(after) == without_timers(before), after


def census(page: Page) -> dict[str, int]:
    """What the live proxies hold, by kind, after a full collection."""
    live_proxies(page)
    counts: dict[str, int] = json.loads(py(page, "import json\njson.dumps(bench_cases.proxy_census())"))
    return counts


def without_timers(counts: dict[str, int]) -> dict[str, int]:
    """The census without WebLoop timers: each goes when its time comes (a stopped runner's, within a minute)."""
    return {what: n for what, n in counts.items() if not what.startswith("timer ")}

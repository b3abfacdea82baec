"""pyqueue.browser.start(): one call runs a queue in a tab, and each piece of its wiring can be turned off.

Tabs are harness pages (``py()`` runs Python in them) sharing one browser
context, so one IndexedDB. Each test reads the queue through the read-only
view the wiring publishes, with :class:`pyqueue.testing.page.PyqueuePage`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from pyqueue.constants import SCHEMA_VERSION
from pyqueue.testing.page import PyqueuePage

from .app_page import wait_until
from .conftest import guarded_harness, load_file, py
from .test_upgrade import NEWER_PAGE_OPENS

DB = "wiring-test"
LONG_LEASE_MS = 60_000  # so a task can only move to another tab by being handed back, never by expiry

PRELUDE = """
import wiring_tasks
from wiring_tasks import Nap, registry
from pyqueue.browser import start
"""


def prepare(page: Page, tab: str, **options: Any) -> PyqueuePage:
    """Load the test task types into a harness tab named *tab* and start the queue there with *options*."""
    load_file(page, "tests/e2e/wiring_tasks.py", "/home/pyodide/app/wiring_tasks.py")
    py(page, PRELUDE + f"wiring_tasks.TAB['name'] = {tab!r}")
    py(page, f"upgrades = []\nbq = await start(registry, db_name={DB!r}, on_upgrade=upgrades.append, **{options!r})")
    view = PyqueuePage(page)
    view.wait_ready()
    return view


def enqueue_nap(page: Page, ms: float) -> str:
    return py(page, f"await bq.queue.enqueue('nap', Nap({ms}))")


def runner_state(view: PyqueuePage) -> str:
    return str(view.stats()["runner"]["state"])


@pytest.fixture
def second_tab(context: BrowserContext, server_url: str) -> Iterator[Page]:
    """Another guarded harness page in the same context: same origin, same IndexedDB."""
    with guarded_harness(context, server_url, "the second tab") as page:
        yield page


def test_one_call_starts_a_runner_that_runs_an_enqueued_task(harness_page: Page) -> None:
    view = prepare(harness_page, "A")
    task_id = enqueue_nap(harness_page, 5)
    assert view.wait_task(task_id)["result"] == {"tab": "A"}
    view.wait_idle()
    stats = view.stats()
    assert stats["by_status"]["completed"] == 1
    assert stats["runner"]["state"] == "running"
    assert stats["runner"]["counts"]["completed"] == 1
    assert stats["live_runners"] == 1
    assert view.tasks("completed")[0]["id"] == task_id


def test_close_stops_the_runner_and_takes_down_what_start_put_up(harness_page: Page) -> None:
    view = prepare(harness_page, "A")
    py(harness_page, "changes = []\nbq.on_change(lambda: changes.append(1))")
    view.wait_task(enqueue_nap(harness_page, 0))
    assert int(py(harness_page, "len(changes)")) > 0  # the enqueue and the run were reported
    py(harness_page, "await bq.close()")
    assert py(harness_page, "bq.runner.state.value") == "stopped"
    # the browser frees the presence lock once the released holder returns
    wait_until(harness_page, lambda: py(harness_page, "await bq.live_runners()") == "0", "the presence lock to go")
    assert py(harness_page, "bq.store.closed_because") == "closed by this page"
    assert harness_page.evaluate("() => typeof globalThis.pyqueue") == "undefined"


def test_a_hidden_tab_pauses_its_runner_and_resumes_when_visible(harness_page: Page) -> None:
    view = prepare(harness_page, "A", hidden_grace_ms=0)
    view.set_hidden(True)
    wait_until(harness_page, lambda: runner_state(view) == "paused-hidden", "the runner to pause")
    task_id = enqueue_nap(harness_page, 0)
    view.set_hidden(False)
    view.wait_task(task_id)
    assert runner_state(view) == "running"


def test_without_pause_when_hidden_a_hidden_tab_keeps_running(harness_page: Page) -> None:
    view = prepare(harness_page, "A", hidden_grace_ms=0, pause_when_hidden=False)
    view.set_hidden(True)
    task_id = enqueue_nap(harness_page, 0)
    view.wait_task(task_id)
    assert runner_state(view) == "running"


@pytest.mark.parametrize("unpark_on_online", [True, False])
def test_a_task_parked_while_offline_runs_when_the_browser_is_back_online(
    harness_page: Page, unpark_on_online: bool
) -> None:
    view = prepare(harness_page, "A", unpark_on_online=unpark_on_online)
    harness_page.context.set_offline(True)
    task_id = py(harness_page, "await bq.queue.enqueue('fetch', Nap())")
    parked = view.wait_task(task_id, ("scheduled",))
    assert (parked["parked"], parked["attempts"]) == ("offline: waits for the network", 0)
    harness_page.context.set_offline(False)
    if unpark_on_online:
        assert view.wait_task(task_id)["result"] == {"tab": "A"}
    else:
        harness_page.wait_for_timeout(1_000)  # it would have run by now
        assert view.task(task_id)["parked"] is not None  # type: ignore[index]


def test_an_enqueue_wakes_the_other_tabs_runner_and_both_runners_are_counted(
    harness_page: Page, second_tab: Page
) -> None:
    # Given tab A whose runner never starts, and tab B whose runner sleeps on an empty queue
    view_a = prepare(harness_page, "A", autostart=False)
    view_b = prepare(second_tab, "B")
    view_b.wait_idle()
    # When A enqueues, B runs the task at once (not after its next timer, up to a minute later)
    task_id = enqueue_nap(harness_page, 0)
    assert view_a.wait_task(task_id, timeout_ms=10_000)["result"] == {"tab": "B"}
    assert view_a.stats()["live_runners"] == 2


def test_without_cross_tab_and_count_runners_the_other_tab_is_not_woken_nor_counted(
    harness_page: Page, second_tab: Page
) -> None:
    view_a = prepare(harness_page, "A", autostart=False, cross_tab=False, count_runners=False)
    view_b = prepare(second_tab, "B")
    view_b.wait_idle()
    task_id = enqueue_nap(harness_page, 0)
    harness_page.wait_for_timeout(1_500)  # B would have run it by now had it been woken
    assert view_a.task(task_id)["status"] == "pending"  # type: ignore[index]
    assert view_a.stats()["live_runners"] == 1


def test_pagehide_hands_back_claimed_unstarted_tasks_and_another_tab_runs_them_at_once(
    harness_page: Page, second_tab: Page
) -> None:
    # Given tab A that claimed four tasks in one batch and is busy with the first, a slow one
    view_a = prepare(harness_page, "A", batch_size=4, lease_ms=LONG_LEASE_MS, pause_when_hidden=False)
    py(harness_page, "bq.runner.pause()")
    slow = enqueue_nap(harness_page, 20_000)
    quick = [enqueue_nap(harness_page, 0) for _ in range(3)]
    py(harness_page, "bq.runner.resume()")
    view_a.wait_task(slow, ("processing",))
    assert {view_a.task(t)["status"] for t in quick} == {"processing"}  # type: ignore[index]
    # and tab B, whose runner finds nothing to claim (every lease runs for another minute)
    view_b = prepare(second_tab, "B", lease_ms=LONG_LEASE_MS)
    assert view_b.stats()["runner"]["counts"]["claimed"] == 0
    # When A's page is hidden for good
    harness_page.evaluate("() => dispatchEvent(new PageTransitionEvent('pagehide'))")
    # Then B runs the three unstarted tasks while A is still on its slow one
    for task_id in quick:
        assert view_b.wait_task(task_id, timeout_ms=10_000)["result"] == {"tab": "B"}
    assert view_b.task(slow)["status"] == "processing"  # type: ignore[index]
    assert view_b.task(quick[0])["attempts"] == 1  # type: ignore[index]  # handing back cost no attempt
    assert runner_state(view_a) == "paused-hidden"  # and A claims nothing more


def test_a_tab_whose_database_another_tab_upgrades_pauses_and_says_so(harness_page: Page) -> None:
    view = prepare(harness_page, "A")
    newer = harness_page.context.new_page()
    newer.goto("/README.md")  # any page of the origin shares its IndexedDB
    newer.evaluate(NEWER_PAGE_OPENS, [DB, SCHEMA_VERSION + 1])
    newer.close()
    wait_until(harness_page, lambda: runner_state(view) == "upgrade-pending", "the runner to step aside")
    assert py(harness_page, "upgrades") == f"[{SCHEMA_VERSION + 1}]"
    assert "newer schema version" in view.stats()["store_error"]

"""The runner in a dedicated Web Worker: tasks run off the page's main thread, and the page guards the worker.

Each test opens tests/e2e/worker_page.html (strict CSP, workers from 'self'
only), starts the worker runner from the page's Python with
``pyqueue.browser.worker.start_worker`` and enqueues from the page. The page
guard fails a test on any console error (unless the test provokes it) and on
any off-origin request, the worker's included.
"""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Page

from .app_page import wait_until
from .conftest import PageGuard, load_file, py, wait_ready

PAGE = "/tests/e2e/worker_page.html"
APP = "/home/pyodide/app"
DB = "worker-test"

START = """
from pyqueue.browser.worker import start_worker
import worker_tasks
from worker_tasks import Empty, Ms, registry
wq = await start_worker(
    registry,
    entry="worker_tasks:registry",
    db_name={db!r},
    archives=["/static/pyqueue.zip"],
    files={{"/tests/e2e/worker_tasks.py": "worker_tasks.py"}},
    **{options!r},
)
"""


def open_page(page: Page) -> None:
    page.goto(PAGE)
    wait_ready(page, "() => window.harnessReady === true || window.harnessError !== undefined", 60_000)
    load_file(page, "tests/e2e/worker_tasks.py", f"{APP}/worker_tasks.py")


def start(page: Page, **options: Any) -> None:
    """Start the worker runner on *page* and wait until it runs."""
    py(page, START.format(db=DB, options=options))
    wait_runner(page, "running")


def runner(page: Page) -> dict[str, Any]:
    state = py(
        page,
        "import json\n"
        "r = wq.runner\n"
        "json.dumps({'state': r.state, 'error': r.error, 'owner': r.owner, 'scope': r.scope,"
        " 'counts': vars(r.counts), 'running': r.running, 'terminations': r.terminations})",
    )
    result: dict[str, Any] = json.loads(state)
    return result


def wait_runner(page: Page, state: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """Wait until the page's handle says *state*; fails with the last state seen."""

    def check() -> dict[str, Any] | None:
        seen = runner(page)
        return seen if seen["state"] == state else None

    found: dict[str, Any] = wait_until(page, check, f"the worker runner to be {state!r}", timeout_s=timeout_s)
    return found


def enqueue(page: Page, task_type: str, payload: str = "Empty()") -> str:
    return py(page, f"await wq.queue.enqueue({task_type!r}, {payload})")


def task(page: Page, task_id: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(
        py(page, f"import json\njson.dumps((await wq.queue.get({task_id!r})).to_record())")
    )
    return record


def wait_task(page: Page, task_id: str, statuses: tuple[str, ...], timeout_s: float = 60.0) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        record = task(page, task_id)
        return record if record["status"] in statuses else None

    found: dict[str, Any] = wait_until(page, check, f"task {task_id} to be one of {statuses}", timeout_s=timeout_s)
    return found


def test_a_task_enqueued_on_the_page_completes_in_the_worker(page: Page, page_guard: PageGuard) -> None:
    open_page(page)
    start(page)
    assert runner(page)["scope"] == "DedicatedWorkerGlobalScope"

    py(page, "heard = []\nwq.queue.events.subscribe(lambda e: heard.append((e.kind.value, e.task_id, e.remote)))")

    task_id = enqueue(page, "where")
    result = py(page, f"await wq.queue.result({task_id!r}, timeout_ms=60_000)")  # awaited on the page
    done = wait_task(page, task_id, ("completed",))

    assert result == str({"scope": "DedicatedWorkerGlobalScope", "has_document": False})
    assert done["result"] == {"scope": "DedicatedWorkerGlobalScope", "has_document": False}
    assert done["lease_owner"] is None and done["attempts"] == 1
    # The worker's task events reach the page's queue.events.
    heard = py(page, "[h for h in heard if h[1] == " + repr(task_id) + "]")
    assert heard == str([("enqueued", task_id, False), ("started", task_id, True), ("completed", task_id, True)])


def test_the_page_answers_a_click_while_a_two_second_handler_computes_in_the_worker(
    page: Page, page_guard: PageGuard
) -> None:
    open_page(page)
    start(page)
    task_id = enqueue(page, "spin", "Ms(2000)")
    wait_until(page, lambda: task_id in runner(page)["running"], "the spin task to start in the worker")

    page.click("#ping")

    # The click handler ran, and the page's Python read the store, while the handler still computed.
    assert page.evaluate("() => window.clickTimes.length") == 1
    assert task(page, task_id)["status"] == "processing"
    assert wait_task(page, task_id, ("completed",))["attempts"] == 1


HIDE = """() => {
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
  Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
  document.dispatchEvent(new Event('visibilitychange'));
}"""
SHOW = """() => {
  delete document.visibilityState; delete document.hidden;
  document.dispatchEvent(new Event('visibilitychange'));
}"""


def test_hidden_longer_than_the_grace_pauses_the_worker_runner_and_visible_resumes_it(
    page: Page, page_guard: PageGuard
) -> None:
    open_page(page)
    start(page, hidden_grace_ms=500)

    page.evaluate(HIDE)
    wait_runner(page, "paused-hidden")
    waiting = enqueue(page, "nap", "Ms(0)")
    page.wait_for_timeout(500)
    assert task(page, waiting)["status"] == "pending"  # paused: claims nothing

    page.evaluate(SHOW)
    assert wait_runner(page, "running")["state"] == "running"
    wait_task(page, waiting, ("completed",))


def test_a_hide_shorter_than_the_grace_does_not_pause_the_worker_runner(page: Page, page_guard: PageGuard) -> None:
    open_page(page)
    start(page, hidden_grace_ms=3_000)

    page.evaluate(HIDE)
    task_id = enqueue(page, "nap", "Ms(0)")
    wait_task(page, task_id, ("completed",))  # runs while hidden, within the grace
    page.evaluate(SHOW)
    assert runner(page)["state"] == "running"


def test_a_tab_closed_mid_task_leaves_a_task_the_next_pages_worker_recovers_and_completes_once(
    page: Page, page_guard: PageGuard
) -> None:
    open_page(page)
    start(page, lease_ms=2_000)
    task_id = enqueue(page, "nap", "Ms(3000)")
    wait_until(page, lambda: task_id in runner(page)["running"], "the nap to start in the first tab's worker")
    first_owner = runner(page)["owner"]

    page.goto("about:blank")  # the tab leaves: its worker ends mid-task
    open_page(page)
    start(page, lease_ms=2_000)
    done = wait_task(page, task_id, ("completed",))

    assert done["result"] == "rested"
    assert done["attempts"] == 2  # the lost attempt, then the one that completed
    assert [e["error"].split(":")[0] for e in done["errors"]] == ["lease lost"]
    assert runner(page)["owner"] != first_owner
    assert runner(page)["counts"]["completed"] == 1


def test_a_worker_script_that_fails_to_load_is_reported_on_the_page(page: Page, page_guard: PageGuard) -> None:
    page_guard.allow_errors(r"no_such_worker\.mjs|worker runner failed|404")
    open_page(page)
    py(page, START.format(db=DB, options={"worker_url": "/tests/e2e/no_such_worker.mjs"}))

    failed = wait_runner(page, "failed", timeout_s=30)

    assert "no_such_worker.mjs" in failed["error"]


def test_a_worker_whose_registry_cannot_be_imported_is_reported_with_the_reason(
    page: Page, page_guard: PageGuard
) -> None:
    page_guard.allow_errors(r"worker runner failed|ModuleNotFoundError|no_such_module")
    open_page(page)
    py(
        page,
        "from pyqueue.browser.worker import start_worker\nfrom worker_tasks import registry\n"
        f"wq = await start_worker(registry, entry='no_such_module:registry', db_name={DB!r},"
        " archives=['/static/pyqueue.zip'])",
    )

    failed = wait_runner(page, "failed")

    assert "ModuleNotFoundError" in failed["error"] and "no_such_module" in failed["error"]


def test_a_handler_stuck_past_its_timeout_is_stopped_by_terminating_the_worker(
    page: Page, page_guard: PageGuard
) -> None:
    page_guard.allow_errors(r"ran past their timeout")
    open_page(page)
    start(page)

    stuck = enqueue(page, "stuck")  # timeout 1.5 s, 2 attempts, never yields
    failed = wait_task(page, stuck, ("failed",), timeout_s=90)

    assert failed["attempts"] == 2
    assert [e["error"].split(":")[0] for e in failed["errors"]] == ["terminated after timeout"] * 2
    assert runner(page)["terminations"] == 2
    # A new worker took over: the queue runs on.
    after = enqueue(page, "where")
    assert wait_task(page, after, ("completed",))["result"]["scope"] == "DedicatedWorkerGlobalScope"


def test_a_worker_that_dies_mid_task_is_reported_its_task_recovered_and_the_page_restarts_it(
    page: Page, page_guard: PageGuard
) -> None:
    page_guard.allow_errors(r"worker runner failed: the worker stopped answering")
    open_page(page)
    start(page, silent_ms=2_000)

    lost = enqueue(page, "vanish")  # closes its worker mid-task; one attempt allowed
    failed = wait_runner(page, "failed")

    assert failed["error"].startswith("the worker stopped answering for 2000 ms")
    record = wait_task(page, lost, ("failed",))
    assert record["lease_owner"] is None
    assert record["errors"][-1]["error"].startswith("interrupted: the worker running this task ended")

    py(page, "await wq.runner.restart()")
    wait_runner(page, "running")
    after = enqueue(page, "where")
    assert wait_task(page, after, ("completed",))["result"]["scope"] == "DedicatedWorkerGlobalScope"


def test_a_type_marked_on_page_runs_its_handler_on_the_page_under_the_worker_runners_lease(
    page: Page, page_guard: PageGuard
) -> None:
    open_page(page)
    start(page)

    task_id = enqueue(page, "paint", "worker_tasks.Text('<b>not markup</b>')")
    done = wait_task(page, task_id, ("completed",))

    assert done["result"] == {"scope": "Window"}
    assert page.text_content("#painted") == "<b>not markup</b>"
    assert runner(page)["counts"]["completed"] == 1  # the worker's runner recorded it

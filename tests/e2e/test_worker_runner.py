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
        " 'counts': r.counts, 'running': r.running, 'terminations': r.terminations})",
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

    task_id = enqueue(page, "where")
    done = wait_task(page, task_id, ("completed",))

    assert done["result"] == {"scope": "DedicatedWorkerGlobalScope", "has_document": False}
    assert done["lease_owner"] is None and done["attempts"] == 1

"""Driving the app page (index.html) from tests: open it, call its JS API, read what it shows."""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import Locator, Page

from .conftest import console_lines, format_console, wait_ready

APP_READY_MS = 60_000

# The queue's part of the page is the library's dashboard component (pyqueue.browser.dashboard), mounted here:
DASHBOARD = "#queue-dashboard"
TASK_ROWS = f"{DASHBOARD} [data-part='tasks'] tbody tr"
STATUS_FILTER = f"{DASHBOARD} [data-part='tasks'] select >> nth=0"
TYPE_FILTER = f"{DASHBOARD} [data-part='tasks'] select >> nth=1"
DETAIL = f"{DASHBOARD} [data-part='detail']"
CHART = f"{DASHBOARD} svg.pqd-chart"
TYPE_ROWS = f"{DASHBOARD} [data-part='types'] tbody tr"
RUNNER_CONFIG = f"{DASHBOARD} [data-part='runner']"


def count_selector(status: str) -> str:
    """The dashboard's count of tasks in *status* (or ``"total"``)."""
    return f"{DASHBOARD} [data-part='overview'] li[data-status='{status}'] .pqd-n"


def task_row(page: Page, task_id: str) -> Locator:
    return page.locator(f"{TASK_ROWS}[data-task-id='{task_id}']")


def open_task(row: Locator) -> Locator:
    """Open a task table row's task in the dashboard's detail panel; return the panel."""
    row.locator("button.pqd-open").click()
    detail = row.page.locator(DETAIL)
    detail.locator(".pqd-detail-body dl").wait_for()
    return detail


def open_app(page: Page, query: str = "") -> None:
    """Load index.html (with optional ``a=1&b=2`` settings); wait until its Python runs, and its worker runner
    (the default) has booted its own Pyodide."""
    page.goto(f"/index.html{'?' + query if query else ''}")
    wait_ready(page, "body[data-ready='true']", APP_READY_MS)
    wait_ready(page, RUNNER_BOOTED, APP_READY_MS)


RUNNER_BOOTED = "#runner-state:not([data-state='loading'])"


def api(page: Page, method: str, *args: Any) -> Any:
    """Call ``window.pyqueueApp[method](...args)`` and decode its JSON answer."""
    raw = page.evaluate("([m, a]) => window.pyqueueApp[m](...a)", [method, list(args)])
    return json.loads(raw) if isinstance(raw, str) else raw


def enqueue(page: Page, task_type: str, payload: dict[str, Any], **options: Any) -> str:
    answer = api(page, "enqueue", task_type, json.dumps(payload), json.dumps(options))
    assert "id" in answer, answer
    return str(answer["id"])


def task(page: Page, task_id: str) -> dict[str, Any]:
    record = api(page, "task", task_id)
    assert record is not None, f"task {task_id} is gone"
    return dict(record)


def wait_until(page: Page, check: Any, what: str, timeout_s: float = 30.0, every_s: float = 0.1) -> Any:
    """Poll ``check()`` (a Python callable using the page) until truthy; fail with the console on timeout."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        page.wait_for_timeout(every_s * 1000)
    raise AssertionError(
        f"timed out after {timeout_s} s waiting for {what}; last: {last!r}\n" + format_console(console_lines(page))
    )


def wait_status(page: Page, task_id: str, status: str, timeout_s: float = 30.0) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        record = task(page, task_id)
        return record if record["status"] == status else None

    return wait_until(page, reached, f"task {task_id} to be {status}", timeout_s)  # type: ignore[no-any-return]


def shown_count(page: Page, status: str) -> int:
    return int(page.locator(count_selector(status)).inner_text())


def set_hidden(page: Page, hidden: bool) -> None:
    """Simulate the Page Visibility API (Playwright pages are always visible)."""
    if hidden:
        page.evaluate(
            """() => { Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
                Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
                document.dispatchEvent(new Event('visibilitychange')); }"""
        )
    else:
        page.evaluate(
            """() => { delete document.visibilityState; delete document.hidden;
                document.dispatchEvent(new Event('visibilitychange')); }"""
        )


# --------------------------------------------------------------------------- the memory app


def all_tasks(page: Page) -> list[dict[str, Any]]:
    """Every task record, newest first."""
    return list(api(page, "tasks", "", 100_000))


def tasks_of_type(page: Page, task_type: str) -> list[dict[str, Any]]:
    return [t for t in all_tasks(page) if t["type"] == task_type]


def memory(page: Page) -> dict[str, list[dict[str, Any]]]:
    """The memory's records per store (units, claims, flags, goals, chains, summaries, syntheses, meta)."""
    return dict(api(page, "memory"))


def chain_done(page: Page, unit_id: str) -> bool:
    """True once the note's extraction, observers and consolidation have all completed."""
    done = {t["type"] for t in all_tasks(page) if t["payload"].get("unit_id") == unit_id and t["status"] == "completed"}
    return {"extract_from_unit", "run_observer", "consolidate_memory"} <= done


def wait_chains(page: Page, unit_ids: list[str], timeout_s: float = 30.0) -> None:
    wait_until(page, lambda: all(chain_done(page, u) for u in unit_ids), f"the chains of {unit_ids}", timeout_s, 0.25)


def add_note(page: Page, text: str) -> dict[str, Any]:
    answer = api(page, "addNote", text)
    assert "unit_id" in answer, answer
    return dict(answer)


def shown_int(page: Page, selector: str, attribute: str | None = None) -> int:
    node = page.locator(selector)
    return int(node.get_attribute(attribute) or 0) if attribute else int(node.inner_text())

"""Where the app's tasks run: in a dedicated Web Worker by default, on the page with ``?runner=page``.

``demo.where`` returns the class of the global scope its handler ran in, so
the task's stored result says where it ran; the dashboard says where the
runner lives (text), and the page API's snapshot names it too.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .app_page import DASHBOARD, api, enqueue, open_app, wait_status
from .conftest import PageGuard

QUIET = "periodic=0"
LOCATION = f"{DASHBOARD} [data-part='overview'] [data-part='location']"


@pytest.mark.parametrize(
    ("query", "scope", "shown", "location", "workers"),
    [
        ("", "DedicatedWorkerGlobalScope", "runs in a Web Worker", "worker", 1),  # the default
        ("&runner=page", "Window", "runs on this page", "page", 0),
    ],
)
def test_the_apps_tasks_run_in_a_web_worker_by_default_or_on_the_page_and_the_dashboard_says_where(
    page: Page, page_guard: PageGuard, query: str, scope: str, shown: str, location: str, workers: int
) -> None:
    created: list[str] = []
    page.on("worker", lambda worker: created.append(worker.url))
    open_app(page, QUIET + query)
    expect(page.locator("#runner-state")).to_have_attribute("data-state", "running")

    done = wait_status(page, enqueue(page, "demo.where", {}), "completed")

    assert done["result"] == {"scope": scope}
    expect(page.locator(LOCATION)).to_have_text(shown)
    snapshot = api(page, "snapshot")
    assert snapshot["location"] == location and snapshot["runner"]["completed"] == 1
    assert snapshot["live_runners"] == 1  # with the worker, its runner; the page's own never starts
    # The one worker is the one web/boot.js created before Python ran (loading Pyodide early), adopted.
    assert len(created) == workers and all("pyqueue-worker.mjs?pyodide=" in url for url in created), created


def test_a_runner_setting_the_page_does_not_know_runs_the_worker_and_says_so(page: Page, page_guard: PageGuard) -> None:
    open_app(page, f"{QUIET}&runner=<b>gpu</b>")

    expect(page.locator("#settings-note")).to_contain_text("runner='<b>gpu</b>' is neither worker nor page")
    expect(page.locator(LOCATION)).to_have_text("runs in a Web Worker")


def test_the_memory_panel_shows_what_the_workers_tasks_changed_without_waiting_for_its_timer(
    page: Page, page_guard: PageGuard
) -> None:
    # Given the default worker runner, and a panel timer far longer than the test waits
    open_app(page, f"{QUIET}&pace_ms=1000&dashboard_every_ms=60000")
    note = api(page, "addNote", "Walking after lunch clears my head. Tea helps too.")
    unit = page.locator(f"#notes-list li[data-unit-id='{note['unit_id']}']")
    expect(unit).to_have_attribute("data-extracted", "false")  # the page's own render after saving the note

    # When the worker extracts the note, pausing between its steps (it changes the memory in its own context)
    wait_status(page, note["task_id"], "completed")

    # Then the panel shows the claim soon: the worker's runner told the page over the database's channel
    expect(unit).to_have_attribute("data-extracted", "true", timeout=20_000)
    expect(page.locator("#claims-list li", has_text="Walking after lunch clears my head.")).to_have_count(1)

"""The dashboard component mounted on a page of its own (tests/e2e/dashboard_page.html, strict CSP).

The page gives an empty element; the dashboard builds itself there over a queue on IndexedDB
(tests/e2e/dashboard_page.py) and is used as a person would: it shows completed tasks, retries a
failed task from its row, shows the traceback as text, previews a purge, and round-trips an export
through a real download and a real file chooser. page_guard fails a test on any console error
(a CSP violation is one) and on any request off the page's origin.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from .conftest import HARNESS_TIMEOUT_MS, PageGuard, load_file, py, wait_ready

PAGE = "/tests/e2e/dashboard_page.html"
HOSTILE = '<img src=x onerror="window.pwned=1">'
UI_MS = 20_000

expect.set_options(timeout=UI_MS)


def open_dashboard(page: Page) -> Locator:
    """Load the page, check the host element is empty, mount the dashboard, wait for its first render."""
    page.goto(PAGE)
    wait_ready(page, "() => window.harnessReady === true || window.harnessError !== undefined", HARNESS_TIMEOUT_MS)
    assert page.evaluate("() => window.harnessError") is None
    assert page.evaluate("() => document.getElementById('dashboard').childNodes.length") == 0
    load_file(page, "tests/e2e/dashboard_page.py", "/home/pyodide/app/dashboard_page.py")
    py(page, "import dashboard_page as d\nawait d.start()")
    wait_ready(page, "#dashboard > .pqd[data-ready='true']")
    return page.locator("#dashboard > .pqd")


def enqueue(page: Page, task_type: str, payload: dict[str, str]) -> str:
    return py(page, f"await d.queue.enqueue({task_type!r}, {payload!r})")


def count(dash: Locator, status: str) -> Locator:
    return dash.locator(f"[data-part='overview'] li[data-status='{status}'] .pqd-n")


def test_the_dashboard_builds_itself_in_an_empty_element_and_shows_completed_tasks(
    page: Page, page_guard: PageGuard
) -> None:
    dash = open_dashboard(page)
    for n in range(3):
        enqueue(page, "demo.echo", {"text": f"hello {n}"})

    expect(count(dash, "completed")).to_have_text("3")
    expect(count(dash, "total")).to_have_text("3")
    expect(dash.locator("[data-part='tasks'] tbody tr[data-status='completed']")).to_have_count(3)
    expect(dash.locator("[data-part='tasks'] [data-part='shown']")).to_have_text("showing 3 newest of 3")
    expect(dash.locator(".pqd-state")).to_have_attribute("data-state", "running")
    expect(dash.locator(".pqd-state")).to_have_text("running")
    expect(dash.locator("svg.pqd-chart")).to_have_attribute("data-completed", "3")
    expect(dash.locator("[data-part='types'] tr[data-type='demo.echo'] td").nth(4)).to_have_text("3")
    expect(dash.locator("[data-part='runners']")).to_have_text("1 runner alive")
    expect(dash.locator("[data-part='storage']")).to_contain_text(" of ")
    # A task that waits is cancelled from its row.
    later = py(page, "await d.queue.enqueue('demo.echo', {'text': 'later'}, delay_ms=600_000)")
    row = dash.locator(f"tbody tr[data-task-id='{later}']")
    expect(row).to_have_attribute("data-status", "scheduled")
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_attribute("data-status", "cancelled")
    expect(count(dash, "cancelled")).to_have_text("1")
    expect(row.get_by_role("button", name="Cancel")).to_have_count(0)

    # A parked task shows as parked, and stays so however often the dashboard renders: a render only reads.
    parked = enqueue(page, "demo.online", {"text": "sync"})
    expect(dash.locator(f"tbody tr[data-task-id='{parked}']")).to_have_attribute("data-parked", "true")
    py(page, "await d.dashboard.refresh()\nawait d.dashboard.refresh()")
    assert py(page, f"(await d.queue.get({parked!r})).parked") == "offline: waits for the network"

    # Styled by the package's style sheet through classes: no inline style anywhere (the CSP forbids it).
    assert dash.locator("[style]").count() == 0
    assert page.evaluate("() => getComputedStyle(document.querySelector('.pqd-card')).borderTopStyle") == "solid"


def test_a_failed_task_is_retried_from_its_row_and_its_detail_shows_the_traceback_as_text(
    page: Page, page_guard: PageGuard
) -> None:
    dash = open_dashboard(page)
    failed_id = py(page, f"await d.queue.enqueue('demo.boom', {{'reason': {HOSTILE!r}}}, meta={{'by': {HOSTILE!r}}})")
    enqueue(page, "demo.echo", {"text": "fine"})
    row = dash.locator(f"tbody tr[data-task-id='{failed_id}']")
    expect(row).to_have_attribute("data-status", "failed")
    expect(count(dash, "completed")).to_have_text("1")

    # The filters: failed shows the one failed task; failed and demo.echo shows none.
    tasks = dash.locator("[data-part='tasks']")
    tasks.locator("select").first.select_option("failed")
    expect(tasks.locator("tbody tr")).to_have_count(1)
    expect(tasks.locator("[data-part='shown']")).to_have_text("showing 1 newest of 1")
    tasks.locator("select").nth(1).select_option("demo.echo")
    expect(tasks.locator("tbody tr")).to_have_count(0)
    expect(tasks.locator(".pqd-empty")).to_be_visible()
    tasks.locator("select").nth(1).select_option("")
    tasks.locator("select").first.select_option("")
    expect(tasks.locator("tbody tr")).to_have_count(2)

    # The detail: the payload and the traceback are the characters they are; nothing ran.
    row.locator("button.pqd-open").click()
    detail = dash.locator("[data-part='detail']")
    expect(detail).to_be_visible()
    expect(detail).to_have_attribute("data-status", "failed")
    traceback = detail.locator(".pqd-attempts li pre.pqd-traceback")
    expect(traceback).to_have_count(1)
    expect(traceback).to_contain_text("Traceback (most recent call last)")
    expect(traceback).to_contain_text(f"ValueError: could not {HOSTILE}")
    expect(detail.locator(".pqd-error-line")).to_contain_text("attempt 1 at ")
    expect(detail.locator("[data-field='payload'] pre")).to_contain_text(HOSTILE.replace('"', '\\"'))
    expect(detail.locator("[data-field='meta'] pre")).to_contain_text(HOSTILE.replace('"', '\\"'))
    assert page.locator("#dashboard img").count() == 0
    assert page.evaluate("() => window.pwned") is None

    # Retry from the table row: the task runs again (now it works) and keeps its error history.
    py(page, "d.fixed = True")
    row.locator("button[data-action='retry']").click()
    expect(dash.locator("[data-part='message']")).to_contain_text("Retry: demo.boom")
    expect(row).to_have_attribute("data-status", "completed")
    expect(detail).to_have_attribute("data-status", "completed")
    expect(detail.locator("[data-field='result'] pre")).to_contain_text('"fixed"')
    expect(detail.locator(".pqd-attempts li")).to_have_count(1)
    expect(count(dash, "failed")).to_have_text("0")
    assert json.loads(py(page, f"import json\njson.dumps((await d.queue.get({failed_id!r})).status)")) == "completed"


def test_purge_previews_without_deleting_then_deletes_what_it_listed(page: Page, page_guard: PageGuard) -> None:
    dash = open_dashboard(page)
    for n in range(2):
        enqueue(page, "demo.echo", {"text": f"old {n}"})
    expect(count(dash, "completed")).to_have_text("2")

    retention = dash.locator("[data-part='retention']")
    retention.get_by_role("button", name="Dry run: what would go now").click()
    expect(retention.locator("[data-part='retention-list'] li")).to_have_count(2)
    expect(retention.locator("[data-part='retention-result']")).to_contain_text("would remove 2 tasks now")

    purge = dash.locator("[data-part='purge']")
    purge.get_by_role("button", name="Preview").click()
    expect(purge.locator("[data-part='purge-list'] li")).to_have_count(2)
    expect(purge.locator("[data-part='purge-result']")).to_contain_text("Would remove 2 tasks (completed)")
    assert py(page, "(await d.queue.stats()).total") == "2"  # previews delete nothing
    expect(count(dash, "completed")).to_have_text("2")

    purge.get_by_label("failed").check()  # a changed form makes the preview stale: Purge waits for a new one
    expect(purge.locator("button[data-action='purge-run']")).to_be_disabled()
    purge.get_by_role("button", name="Preview").click()
    dash.locator("tbody tr button.pqd-open").first.click()  # a task open in the detail while it is purged
    detail = dash.locator("[data-part='detail']")
    expect(detail).to_have_attribute("data-status", "completed")
    purge.get_by_role("button", name="Purge 2 tasks").click()
    expect(purge.locator("[data-part='purge-result']")).to_have_text("Purged 2 tasks.")
    expect(count(dash, "total")).to_have_text("0")
    assert py(page, "(await d.queue.stats()).total") == "0"
    expect(detail).to_contain_text("This task is no longer in the queue.")
    detail.get_by_role("button", name="Close").click()
    expect(detail).to_be_hidden()


def test_an_export_downloaded_then_imported_round_trips_every_task(
    page: Page, page_guard: PageGuard, tmp_path: Path
) -> None:
    dash = open_dashboard(page)
    enqueue(page, "demo.echo", {"text": "kept"})
    enqueue(page, "demo.boom", {"reason": HOSTILE})
    expect(count(dash, "failed")).to_have_text("1")
    expect(count(dash, "completed")).to_have_text("1")
    before = py(page, "import json\njson.dumps(await d.queue.export_records(), sort_keys=True)")

    transfer = dash.locator("[data-part='transfer']")
    with page.expect_download() as download:
        transfer.get_by_role("button", name="Export JSON").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name.startswith("pyqueue-tasks-") and path.suffix == ".json"
    document = json.loads(path.read_text())
    assert document["format"] == "pyqueue-tasks" and len(document["tasks"]) == 2
    expect(transfer.locator("[data-part='transfer-result']")).to_have_text("Exported 2 tasks.")

    py(page, "await d.queue.clear()\nawait d.dashboard.refresh()")
    assert count(dash, "total").text_content() == "0"  # refresh() returns once the page shows it

    with page.expect_file_chooser() as chooser:
        transfer.locator("input[type='file']").click()
    chooser.value.set_files(path)
    expect(transfer.locator("[data-part='transfer-result']")).to_have_text("Imported 2 tasks.")
    expect(count(dash, "failed")).to_have_text("1")
    expect(count(dash, "completed")).to_have_text("1")
    assert py(page, "json.dumps(await d.queue.export_records(), sort_keys=True)") == before

    # The same file again changes nothing; a file that is not an export is refused with the reason.
    transfer.locator("input[type='file']").set_input_files(path)
    expect(transfer.locator("[data-part='transfer-result']")).to_contain_text("Imported 0 tasks, skipped 2")
    bad = {"name": "notes.json", "mimeType": "application/json", "buffer": b'{"format": "other"}'}
    transfer.locator("input[type='file']").set_input_files(bad)
    expect(transfer.locator("[data-part='transfer-result']")).to_have_text(
        "Nothing was imported: the file is not a pyqueue-tasks export"
    )
    assert py(page, "json.dumps(await d.queue.export_records(), sort_keys=True)") == before


def test_unmount_removes_the_dashboard_and_a_new_one_mounts_in_the_same_element(
    page: Page, page_guard: PageGuard
) -> None:
    dash = open_dashboard(page)
    expect(dash).to_be_visible()
    py(page, "d.dashboard.unmount()")
    assert page.evaluate("() => document.getElementById('dashboard').childNodes.length") == 0
    enqueue(page, "demo.echo", {"text": "after"})  # the old dashboard no longer listens: no error, nothing drawn
    page.wait_for_timeout(800)
    assert page.evaluate("() => document.getElementById('dashboard').childNodes.length") == 0

    css = "/static/pyqueue-dashboard.css?again"
    py(
        page,
        "from pyqueue.browser.dashboard import DashboardOptions, mount_dashboard\n"
        f"d.dashboard = mount_dashboard('dashboard', d.queue, d.runner, DashboardOptions(css_url={css!r}))",
    )
    expect(count(page.locator("#dashboard > .pqd"), "completed")).to_have_text("1")
    assert page.locator(f"head link[href='{css}']").count() == 1
    py(page, "d.dashboard.unmount()")
    assert page.locator(f"head link[href='{css}']").count() == 0


def test_retry_all_from_the_filter_retries_every_failed_task_of_the_chosen_type(
    page: Page, page_guard: PageGuard
) -> None:
    # Given three failed demo.boom tasks and a completed demo.echo one
    dash = open_dashboard(page)
    failed = [enqueue(page, "demo.boom", {"reason": f"step {n}"}) for n in range(3)]
    enqueue(page, "demo.echo", {"text": "fine"})
    expect(count(dash, "failed")).to_have_text("3")
    tasks = dash.locator("[data-part='tasks']")
    bulk = tasks.locator("[data-part='bulk']")
    # No bulk button until a status is chosen; completed tasks offer none
    expect(bulk.get_by_role("button")).to_have_count(0)
    tasks.locator("select").first.select_option("completed")
    expect(tasks.locator("tbody tr")).to_have_count(1)
    expect(bulk.get_by_role("button")).to_have_count(0)
    # When failed demo.boom tasks are shown and "Retry all" is pressed (the handler works now)
    tasks.locator("select").first.select_option("failed")
    tasks.locator("select").nth(1).select_option("demo.boom")
    button = bulk.get_by_role("button", name="Retry all failed demo.boom")
    expect(button).to_have_count(1)
    py(page, "d.fixed = True")
    button.click()
    # Then all three are retried, say so, and complete
    expect(dash.locator("[data-part='message']")).to_have_text("Retried 3 tasks.")
    expect(count(dash, "failed")).to_have_text("0")
    expect(count(dash, "completed")).to_have_text("4")
    for task_id in failed:
        assert py(page, f"(await d.queue.get({task_id!r})).status.value") == "completed"

"""examples/minimal and the plain-Pyodide lines, loaded in Chromium exactly as the README's Install section says.

The example is driven through the ``pyqueue.testing`` plugin, as a user tests their own page: the
plugin's ``pyqueue_server`` serves it and ``pyqueue_page`` waits on the queue it started. It must
load the wheel, the vendored runtime and the dashboard's style sheet only: a request for anything
else (pyqueue's sources, static/pyqueue.zip, another origin) or a console error fails the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, Route, expect

import pyqueue
from pyqueue.testing.page import PyqueuePage

from ..readme_install import REPO_ROOT, WHEEL_NAME, built_wheel, install_blocks
from .conftest import PageGuard, is_allowed_url, wait_ready

EXAMPLE = "examples/minimal/"
BOOT_TIMEOUT_MS = 90_000  # the first Pyodide start in a busy CI; a broken page fails at its first error
UI_MS = 20_000
SITE_FILES = ("/static/vendor/", "/static/dist/", "/static/pyqueue-dashboard.css")
"""What the README tells a user to copy to their site; the example's own folder aside, a page needs nothing else."""
OUTAGE = "ConnectionError: could not greet world: the 'fail' box is ticked"

expect.set_options(timeout=UI_MS)


def _requested_paths(page: Page) -> list[str]:
    paths: list[str] = []
    page.on("request", lambda request: paths.append(urlsplit(request.url).path))
    return paths


@pytest.fixture
def example(pyqueue_page: PyqueuePage) -> Iterator[PyqueuePage]:
    """The example app, opened and ready; at teardown, no console error and no request outside the site's files."""
    built_wheel()
    urls: list[str] = []
    pyqueue_page.page.on("request", lambda request: urls.append(request.url))
    pyqueue_page.goto(EXAMPLE, wait=False)
    pyqueue_page.wait_ready(BOOT_TIMEOUT_MS)
    expect(pyqueue_page.page.locator("#enqueue")).to_be_enabled()
    yield pyqueue_page

    errors = [line for line in pyqueue_page.console if line.startswith(("[error]", "[pageerror]"))]
    assert errors == [], "\n".join(pyqueue_page.console)
    assert [url for url in urls if not is_allowed_url(url, pyqueue_page.base_url)] == []
    site = [urlsplit(url).path for url in urls if urlsplit(url).scheme.startswith("http")]
    assert f"/static/dist/{WHEEL_NAME}" in site
    assert [path for path in site if not path.startswith((f"/{EXAMPLE}", *SITE_FILES))] == []


def dashboard_of(example: PyqueuePage) -> Locator:
    return example.page.locator("#pyqueue-dashboard > .pqd")


def count(dash: Locator, status: str) -> Locator:
    return dash.locator(f"[data-part='overview'] li[data-status='{status}'] .pqd-n")


def enqueue_greeting(example: PyqueuePage, *, fail: bool = False) -> str:
    """Press the example's button (with its "fail" box as asked); return the new task's id."""
    before = {t["id"] for t in example.tasks()}
    example.page.locator("#fail").set_checked(fail)
    example.page.click("#enqueue")
    example.wait_until(lambda: len(example.tasks()) > len(before), "the greeting to be enqueued")
    [task_id] = [t["id"] for t in example.tasks() if t["id"] not in before]
    return str(task_id)


def by_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda record: str(record["id"]))


def test_the_readme_pyscript_lines_are_the_example_page_and_config() -> None:
    blocks = install_blocks()
    config = json.loads((REPO_ROOT / EXAMPLE / "pyscript.json").read_text())
    assert json.loads(blocks["json"]) == config
    assert config["packages"] == [f"/static/dist/{WHEEL_NAME}"]
    page_lines = {line.strip() for line in (REPO_ROOT / EXAMPLE / "index.html").read_text().splitlines()}
    assert [line for line in blocks["html"].splitlines() if line.strip() not in page_lines] == []


def test_the_example_runs_the_greetings_its_button_enqueues_and_its_dashboard_shows_them(
    example: PyqueuePage,
) -> None:
    example.page.fill("#name", "Ada")
    ids = {enqueue_greeting(example) for _ in range(3)}
    example.wait_idle()

    done = example.tasks("completed")
    assert {t["id"] for t in done} == ids
    assert [(t["type"], t["payload"], t["result"], t["attempts"]) for t in done] == [
        ("greet", {"name": "Ada"}, "Hello, Ada!", 1)
    ] * 3
    dash = dashboard_of(example)
    expect(count(dash, "completed")).to_have_text("3")
    expect(count(dash, "total")).to_have_text("3")
    rows = dash.locator("[data-part='tasks'] tbody tr[data-status='completed']")
    expect(rows).to_have_count(3)
    assert set(rows.evaluate_all("rows => rows.map(row => row.dataset.taskId)")) == ids
    expect(dash.locator("[data-part='runners']")).to_have_text("1 runner alive")


def test_a_failed_greeting_shows_its_traceback_and_is_retried_from_the_dashboard(example: PyqueuePage) -> None:
    # Given a greeting that failed every attempt while the "fail" box was ticked
    task_id = enqueue_greeting(example, fail=True)
    failed = example.wait_task(task_id, ("failed",))
    assert [e["error"] for e in failed["errors"]] == [OUTAGE] * failed["max_attempts"]

    # Then its detail on the dashboard shows each attempt's traceback, as text
    dash = dashboard_of(example)
    row = dash.locator(f"tbody tr[data-task-id='{task_id}']")
    expect(row).to_have_attribute("data-status", "failed")
    expect(count(dash, "failed")).to_have_text("1")
    row.locator("button.pqd-open").click()
    detail = dash.locator("[data-part='detail']")
    expect(detail).to_have_attribute("data-status", "failed")
    tracebacks = detail.locator(".pqd-attempts li pre.pqd-traceback")
    expect(tracebacks).to_have_count(failed["max_attempts"])
    expect(tracebacks.first).to_contain_text("Traceback (most recent call last)")
    expect(tracebacks.first).to_contain_text(OUTAGE)
    assert tracebacks.evaluate_all("pres => pres.map(pre => pre.children.length)") == [0] * failed["max_attempts"]

    # When the outage is over and the task is retried from its row
    example.page.locator("#fail").set_checked(False)
    row.locator("button[data-action='retry']").click()

    # Then it completes, keeping its error history
    done = example.wait_task(task_id, ("completed",))
    assert done["result"] == "Hello, world!" and len(done["errors"]) == failed["max_attempts"]
    expect(row).to_have_attribute("data-status", "completed")
    expect(detail).to_have_attribute("data-status", "completed")
    expect(count(dash, "failed")).to_have_text("0")


def test_an_export_from_the_dashboard_imported_into_the_cleared_queue_brings_back_the_same_records(
    example: PyqueuePage, tmp_path: Path
) -> None:
    page = example.page
    enqueue_greeting(example)
    example.wait_task(enqueue_greeting(example, fail=True), ("failed",))
    example.wait_idle()
    before = by_id(example.tasks())
    dash = dashboard_of(example)
    expect(count(dash, "total")).to_have_text("2")

    transfer = dash.locator("[data-part='transfer']")
    with page.expect_download() as download:
        transfer.get_by_role("button", name="Export JSON").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert by_id(json.loads(path.read_text())["tasks"]) == before

    # The queue is cleared from the dashboard: purge every completed and failed task.
    purge = dash.locator("[data-part='purge']")
    purge.get_by_label("failed").check()
    purge.get_by_role("button", name="Preview").click()
    purge.get_by_role("button", name="Purge 2 tasks").click()
    expect(count(dash, "total")).to_have_text("0")
    assert example.tasks() == []

    with page.expect_file_chooser() as chooser:
        transfer.locator("input[type='file']").click()
    chooser.value.set_files(path)
    expect(transfer.locator("[data-part='transfer-result']")).to_have_text("Imported 2 tasks.")
    assert by_id(example.tasks()) == before
    expect(count(dash, "completed")).to_have_text("1")
    expect(count(dash, "failed")).to_have_text("1")


def test_the_readme_pyodide_lines_install_the_wheel_in_a_page_without_pyscript(
    page: Page, page_guard: PageGuard, server_url: str
) -> None:
    built_wheel()
    # A page at the site's root whose module script is the README's block, verbatim.
    script = install_blocks()["js"] + "window.readmePyodide = pyodide;\n"
    html = f'<!doctype html><link rel="icon" href="data:,"><script type="module">\n{script}</script>'

    def serve_page(route: Route) -> None:
        route.fulfill(body=html, content_type="text/html")

    page.route(f"{server_url}readme-pyodide.html", serve_page)
    paths = _requested_paths(page)
    page.goto("/readme-pyodide.html")
    wait_ready(page, "() => window.readmePyodide !== undefined", BOOT_TIMEOUT_MS)

    checker = (REPO_ROOT / "tests" / "installed_check.py").read_text()
    report = json.loads(
        page.evaluate(
            """async (source) => {
                 const pyodide = window.readmePyodide;
                 pyodide.FS.writeFile("/tmp/installed_check.py", source);
                 return await pyodide.runPythonAsync(
                   "import sys, json; sys.path.insert(0, '/tmp'); import installed_check; "
                   + "json.dumps(await installed_check.check())");
               }""",
            checker,
        )
    )
    assert report["package_dir"].endswith("/site-packages/pyqueue")
    assert report == {**report, "version": pyqueue.__version__, "py_typed": True, "status": "completed", "result": 5}
    assert [path for path in paths if not path.startswith(("/readme-pyodide.html", *SITE_FILES))] == []

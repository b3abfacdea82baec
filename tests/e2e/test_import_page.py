"""Importing a task file through the memory app page's file input, in real Chromium.

The file is untrusted: the page must say exactly what it did with it (added,
skipped and why, broken rows set aside), overwrite nothing already in the
queue, and stay working after a file nested deeply enough to crash Pyodide.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from pyqueue.task import TaskStatus

from ..contract_cases import make_task
from .app_page import api, enqueue, open_app, task, wait_status
from .conftest import PageGuard

SETTINGS = "pace_ms=15&backoff_ms=150&dashboard_every_ms=500"


@pytest.fixture
def app(browser: Browser, server_url: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server_url)
    try:
        page = context.new_page()
        guard = PageGuard(origin=server_url)
        guard.attach(page)
        open_app(page, SETTINGS)
        yield page
        guard.check("the import page")
    finally:
        context.close()


def choose_file(page: Page, text: str) -> None:
    page.set_input_files(
        "#import-file", files=[{"name": "export.json", "mimeType": "application/json", "buffer": text.encode()}]
    )


def export_of(tasks: list[Any]) -> str:
    doc = {"format": "pyqueue-memory-export", "version": 1, "queue": {"tasks": tasks}, "memory": {}}
    return json.dumps(doc)


def record(task_id: str, label: str, **changes: Any) -> dict[str, Any]:
    task = make_task(task_id, task_type="demo.work", payload={"label": label, "duration_ms": 1})
    return {**task.replace(status=TaskStatus.PENDING, seq=100).to_record(), **changes}


def test_an_import_with_duplicate_and_colliding_ids_says_what_it_did_and_overwrites_nothing(app: Page) -> None:
    page = app
    # Given a task that already ran in this queue
    existing = enqueue(page, "demo.work", {"label": "already here", "duration_ms": 1})
    before = wait_status(page, existing, "completed")
    # When a file brings a new task twice, the existing task's id, and a row with a priority out of range
    choose_file(
        page,
        export_of(
            [
                record("fresh", "first copy"),
                record("fresh", "second copy"),
                record(existing, "impostor"),
                record("loud", "too loud", priority=5000),
            ]
        ),
    )
    # Then the page says exactly what happened, as text
    expect(page.locator("#transfer-result")).to_have_text(
        "Imported 1 tasks and 0 memory records; skipped 2 (1 duplicate id in the file, 1 id already in the queue); "
        "set aside 1 broken row as a failed task: loud: field 'priority' should be from -1000 to 1000, got 5000."
    )
    # And the existing task keeps its history, the first copy runs, the broken row is failed with its reason
    assert task(page, existing) == before
    assert wait_status(page, "fresh", "completed")["payload"]["label"] == "first copy"
    loud = task(page, "loud")
    assert loud["status"] == "failed" and "priority" in loud["errors"][-1]["error"]


def test_a_deeply_nested_file_is_refused_and_the_page_keeps_working(app: Page) -> None:
    page = app
    # When a person imports a 9 KB file nested 4,500 levels deep (fatal to Pyodide if parsed as is)
    choose_file(page, export_of(["[" * 4_500 + "]" * 4_500]).replace('"[', "[").replace(']"', "]"))
    # Then the page refuses it, saying why
    result = page.locator("#transfer-result")
    expect(result).to_have_text("the file nests lists and objects more than 70 levels deep")
    expect(result).to_have_attribute("data-kind", "error")
    # And everything still works: a task enqueued now completes, and a deep payload in the form is refused
    done = wait_status(page, enqueue(page, "demo.work", {"label": "after", "duration_ms": 1}), "completed")
    assert done["result"] is not None
    answer = api(page, "enqueue", "demo.work", "[" * 4_500 + "]" * 4_500, "{}")
    assert answer["error"]["message"] == "payload nests lists and objects more than 64 levels deep"

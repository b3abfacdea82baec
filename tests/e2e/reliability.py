"""Helpers for the reliability tests: harness pages running reliability_worker, and the checks on what they did."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page

from .conftest import load_file, open_harness, py

WORKER = "tests/e2e/reliability_worker.py"


def start_worker(
    page: Page,
    db: str,
    *,
    lease_ms: float,
    concurrency: int = 1,
    batch_size: int = 1,
    rate_limit: tuple[int, float] | None = None,
) -> None:
    """Load the worker module into a ready harness page and start its runner."""
    load_file(page, WORKER, "/home/pyodide/app/reliability_worker.py")
    options = f"lease_ms={lease_ms}, concurrency={concurrency}, batch_size={batch_size}, rate_limit={rate_limit!r}"
    py(
        page,
        f"from reliability_worker import Worker\nworker = await Worker.open({db!r}, {options})\n"
        "worker.runner.start()\n"
        "worker.runner.owner",
    )


def summary(page: Page) -> dict[str, Any]:
    return dict(json.loads(py(page, "await worker.summary()")))


def executions(page: Page) -> list[dict[str, Any]]:
    return list(json.loads(py(page, "await worker.executions()")))


def runs_per_task(page: Page) -> Counter[str]:
    return Counter(e["task"] for e in executions(page))


def wait_all_finished(page: Page, total: int, timeout_s: float) -> dict[str, Any]:
    """Wait until *total* tasks are finished (completed, failed or cancelled); return the summary."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = summary(page)
        counts = state["counts"]
        finished = counts["completed"] + counts["failed"] + counts["cancelled"]
        if finished == total or time.monotonic() > deadline:
            assert finished == total, f"only {finished} of {total} finished: {counts}"
            return state
        page.wait_for_timeout(250)


@contextmanager
def worker_tabs(browser: Browser, server_url: str, count: int, db: str, **options: Any) -> Iterator[list[Page]]:
    """*count* harness tabs of one origin, each running a worker on database *db*; closed afterwards."""
    context = browser.new_context(base_url=server_url)
    try:
        pages = [context.new_page() for _ in range(count)]
        for page in pages:
            open_harness(page)
            start_worker(page, db, **options)
        yield pages
    finally:
        context.close()

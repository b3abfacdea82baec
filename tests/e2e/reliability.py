"""Helpers for the reliability tests: harness pages running reliability_worker, and the checks on what they did."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from playwright.sync_api import Page

from .conftest import load_file, py

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

"""Many tabs, long tasks and killed browsers, in real Chromium: nothing lost, nothing run twice.

Every execution is logged durably (``reliability_worker.py``) before the handler
works, so the tests count real executions, not just final statuses.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright

from .conftest import CHROMIUM, CHROMIUM_ARGS, open_harness, py
from .reliability import executions, runs_per_task, start_worker, wait_all_finished

LEASE_LOST = "lease lost"


def test_three_tabs_run_two_thousand_tasks_each_exactly_once(browser: Browser, server_url: str) -> None:
    # Given three tabs of the app's origin, each with its own runner on one database
    context = browser.new_context(base_url=server_url)
    try:
        pages = [context.new_page() for _ in range(3)]
        for page in pages:
            open_harness(page)
        for page, (concurrency, batch) in zip(pages, [(1, 1), (2, 4), (3, 1)], strict=True):
            start_worker(page, "three-tabs", lease_ms=10_000, concurrency=concurrency, batch_size=batch)
        # When all three enqueue 2,000 tasks between them while all three run
        shares = [(0, 667), (667, 667), (1334, 666)]
        for page, (first, count) in zip(pages, shares, strict=True):
            py(page, f"import asyncio\n_enq = asyncio.ensure_future(worker.enqueue({first}, {count}))")
        state = wait_all_finished(pages[0], 2_000, timeout_s=240)
        # Then every task completed, and the durable log shows each ran exactly once
        assert state["counts"]["completed"] == 2_000
        runs = runs_per_task(pages[0])
        assert len(runs) == 2_000, f"{2_000 - len(runs)} task(s) never ran"
        twice = {task: n for task, n in runs.items() if n > 1}
        assert not twice, f"{len(twice)} task(s) ran more than once: {list(twice.items())[:5]}"
        owners = {e["owner"] for e in executions(pages[0])}
        assert len(owners) == 3, f"work was not shared by the three runners: {owners}"
        for page in pages:
            assert py(page, "len(worker.runner.running_tasks)") == "0"
    finally:
        context.close()


def test_a_task_three_leases_long_completes_once_while_another_tabs_runner_is_active(
    browser: Browser, server_url: str
) -> None:
    context = browser.new_context(base_url=server_url)
    try:
        first, second = context.new_page(), context.new_page()
        for page in (first, second):
            open_harness(page)
        start_worker(first, "long-task", lease_ms=1_000)
        task_id = py(first, "(await worker.queue.enqueue('work', {'n': 1, 'ms': 3_500}))")
        py(first, "import asyncio\nwhile not worker.runner.running_tasks:\n    await asyncio.sleep(0.02)")
        start_worker(second, "long-task", lease_ms=1_000)  # recovers expired leases every third of a second
        deadline = time.monotonic() + 20
        while json_status(first, task_id) != "completed":
            assert time.monotonic() < deadline, "the long task did not complete"
            first.wait_for_timeout(200)
        task = py(first, f"t = await worker.queue.get({task_id!r})\n(t.attempts, len(t.errors))")
        assert task == "(1, 0)"
        assert runs_per_task(first) == {task_id: 1}
        assert py(second, "worker.runner.counts.recovered") == "0"
    finally:
        context.close()


def json_status(page: Page, task_id: str) -> str:
    return py(page, f"(await worker.queue.get({task_id!r})).status.value")


# -- killed browsers ------------------------------------------------------------------------


class Chromium:
    """A Chromium process we start ourselves, so that the test can SIGKILL it like a crash."""

    def __init__(self, playwright: Playwright, profile: Path) -> None:
        self._drain: threading.Thread | None = None
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless=new",
                f"--user-data-dir={profile}",
                "--remote-debugging-port=0",
                *CHROMIUM_ARGS,
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        endpoint = self._endpoint()
        self.browser = playwright.chromium.connect_over_cdp(endpoint)

    def _endpoint(self) -> str:
        assert self.process.stderr is not None
        deadline = time.monotonic() + 30
        seen = []
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            seen.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                # keep draining stderr, or a chatty browser blocks on a full pipe
                self._drain = threading.Thread(target=self.process.stderr.read, daemon=True)
                self._drain.start()
                return match.group(1)
        self.kill()
        raise AssertionError("Chromium did not start:\n" + "".join(seen))

    def page(self, server_url: str) -> Page:
        page = self.browser.contexts[0].new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{server_url}tests/e2e/harness.html")
        page.wait_for_function(
            "() => window.harnessReady === true || window.harnessError !== undefined", timeout=60_000
        )
        return page

    def kill(self) -> None:
        """SIGKILL the whole browser (every process of its session): no unload, no flush."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        if self._drain is not None:
            self._drain.join(timeout=10)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def close(self) -> None:
        try:
            self.browser.close()
        finally:
            self.kill()


@pytest.fixture
def profile() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="pyqueue-kill-") as path:
        yield Path(path)


TASKS_PER_KILL = 60


@pytest.mark.parametrize("round_", range(5))
def test_a_killed_browser_loses_nothing_and_finishes_every_task_once(
    playwright: Playwright, server_url: str, profile: Path, round_: int
) -> None:
    # Given a browser running a queue of short tasks on an on-disk profile
    first = Chromium(playwright, profile)
    try:
        page = first.page(server_url)
        start_worker(page, "killed", lease_ms=1_500, concurrency=2, batch_size=1 + round_ % 3)
        py(page, f"await worker.enqueue(0, {TASKS_PER_KILL}, chunk=20, ms=40)")
        # When the browser process is killed while tasks are running
        page.wait_for_timeout(400 + 150 * round_)
        py(page, "import asyncio\nwhile not worker.runner.running_tasks:\n    await asyncio.sleep(0.01)")
    finally:
        first.kill()

    # Then a new browser on the same profile recovers and finishes everything
    second = Chromium(playwright, profile)
    try:
        page = second.page(server_url)
        start_worker(page, "killed", lease_ms=1_500, concurrency=2)
        state = wait_all_finished(page, TASKS_PER_KILL, timeout_s=60)
        tasks = {t["id"]: t for t in state["tasks"]}
        assert len(tasks) == TASKS_PER_KILL, "a task row was lost"
        runs = runs_per_task(page)
        for task_id, task in tasks.items():
            assert task["status"] == "completed", task
            assert not any(e["error"].startswith("broken task row") for e in task["errors"]), task
            lost = sum(LEASE_LOST in e["error"] for e in task["errors"])
            # every execution beyond the first is an attempt that the kill cut short, and was counted
            assert 1 <= runs[task_id] <= 1 + lost, (task_id, runs[task_id], task["errors"])
            assert task["attempts"] == 1 + lost, task
        killed = sum(1 for t in tasks.values() if t["errors"])
        print(f"round {round_}: {killed} task(s) were cut short by the kill and finished once afterwards")
    finally:
        second.close()

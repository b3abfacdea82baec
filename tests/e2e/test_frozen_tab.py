"""A tab frozen mid-task (Page Lifecycle, as Chromium does to background tabs), in real Chromium.

Tab A claims a slow task with a short lease and is frozen; tab B recovers the
expired lease and completes the task; then A is resumed, and its handler wakes
up to finish a task that is no longer its own. Every execution is logged
durably (``reliability_worker``).

How the tab is frozen: CDP ``Page.setWebLifecycleState {state: 'frozen'}`` is
accepted by headless Chromium 156 here but changes nothing (seen: timers keep
firing, no ``freeze`` event, with or without Playwright's default flags), so
the test stops A's JavaScript with the debugger instead, which is what a freeze
is from the page's side: no task runs, no timer fires, no lease is renewed,
and overdue timers fire at once afterwards. A pauses itself (a ``debugger``
statement) at a point where none of its IndexedDB transactions is in flight,
as a frozen tab must not hold one that blocks B. Once unpaused, A gets the
``resume`` event that Chromium fires when it unfreezes a page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Browser, CDPSession, Page

from .conftest import load_file, open_harness, py
from .reliability import WORKER, executions

LEASE_MS = 1_500
LEASE_LOST = "lease lost"
FREEZE = 7  # a task with this n freezes the tab that runs it, once, early in its run

# A handler that works in short steps, as a real one would between awaits, stops early when told to,
# and returns which runner ran it; each execution is logged by worker.work() before it starts.
OPEN_WORKER = """
import asyncio
import js
from reliability_worker import Work, Worker
from pyqueue.browser.lifecycle import check_leases_on_wake

worker = await Worker.open({db!r}, lease_ms={lease_ms})
noticed_cancel = []
renewing = 0
store_renew = worker.queue.store.renew

async def counted_renew(*args, **kwargs):
    global renewing
    renewing += 1
    try:
        return await store_renew(*args, **kwargs)
    finally:
        renewing -= 1

worker.queue.store.renew = counted_renew

async def freeze_when_quiet():
    while renewing:  # the handler's own execution log write is done; the runner's renew is the only other
        await asyncio.sleep(0.005)
    js.eval("debugger")  # the test's CDP session stops the page here until it resumes it

async def steps(payload: Work, ctx):
    await worker.work(Work(payload.n), ctx)
    for step in range(payload.ms // 100):
        if ctx.cancelled.is_set():
            noticed_cancel.append(ctx.task.id)
            break
        if step == 3 and payload.n == FREEZE_AT_STEP_3:
            await freeze_when_quiet()
        await asyncio.sleep(0.1)
    return {{"by": worker.runner.owner}}

worker.queue.registry.register("steps", steps, max_attempts=3)
detach_wake = check_leases_on_wake(worker.runner)
worker.runner.start()
worker.runner.owner
"""


def open_worker(page: Page, db: str) -> str:
    load_file(page, WORKER, "/home/pyodide/app/reliability_worker.py")
    return py(page, f"FREEZE_AT_STEP_3 = {FREEZE}\n" + OPEN_WORKER.format(db=db, lease_ms=LEASE_MS))


def py_json(page: Page, code: str) -> Any:
    return json.loads(py(page, code))


def task_record(page: Page, task_id: str) -> dict[str, Any]:
    return dict(py_json(page, f"import json\njson.dumps((await worker.queue.get({task_id!r})).to_record())"))


def wait_until(page: Page, check: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    """Poll *check*; waiting through *page* (never a frozen one) lets Playwright deliver CDP events meanwhile."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        page.wait_for_timeout(200)


class Freezer:
    """Stops a tab's JavaScript where it runs ``debugger``, and lets it go on as an unfrozen tab."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.frozen = False
        self.cdp.on("Debugger.paused", lambda _event: setattr(self, "frozen", True))
        self.cdp.send("Debugger.enable")

    def resume(self) -> None:
        self.cdp.send("Debugger.resume")
        self.cdp.send("Debugger.disable")
        self.page.evaluate("() => document.dispatchEvent(new Event('resume'))")


def test_a_frozen_tabs_late_outcome_never_overwrites_the_tab_that_took_its_task_over(
    browser: Browser, server_url: str
) -> None:
    context = browser.new_context(base_url=server_url)
    try:
        tab_a, tab_b = context.new_page(), context.new_page()
        for page in (tab_a, tab_b):
            open_harness(page)
        # Given tab A running a slow task on a short lease
        owner_a = open_worker(tab_a, "frozen-tab")
        freezer = Freezer(tab_a)
        task_id = py(tab_a, f"await worker.queue.enqueue('steps', Work({FREEZE}, 4_000))")
        # When A is frozen while running it, and tab B recovers the expired lease and completes the task
        wait_until(tab_b, lambda: freezer.frozen, "tab A is frozen mid-task")
        owner_b = open_worker(tab_b, "frozen-tab")
        wait_until(tab_b, lambda: task_record(tab_b, task_id)["status"] == "completed", "tab B completes the task", 60)
        # And A is resumed: its handler wakes up to finish a task that is no longer its own
        freezer.resume()
        wait_until(tab_a, lambda: py(tab_a, "worker.runner.counts.lost") == "1", "tab A counts its attempt as lost")

        # Then A's late outcome was refused: the record is B's, with A's attempt kept as lost
        task = task_record(tab_a, task_id)
        assert (task["status"], task["attempts"], task["result"]) == ("completed", 2, {"by": owner_b})
        assert [(e["attempt"], e["error"].startswith(LEASE_LOST)) for e in task["errors"]] == [(1, True)]
        runs = [(e["owner"], e["attempt"]) for e in executions(tab_a) if e["task"] == task_id]
        assert runs == [(owner_a, 1), (owner_b, 2)]
        counts_a = py_json(tab_a, "import json\njson.dumps(vars(worker.runner.counts))")
        assert (counts_a["completed"], counts_a["lost"], counts_a["failed"]) == (0, 1, 0)
        assert py(tab_a, "noticed_cancel") == repr([task_id])  # A's handler was told to stop on waking
        assert py(tab_b, "worker.runner.counts.completed") == "1"

        # And A's runner goes on running new tasks normally
        py(tab_b, "await worker.runner.stop()")
        after = py(tab_a, "await worker.queue.enqueue('steps', Work(2, 200))")
        wait_until(tab_a, lambda: task_record(tab_a, after)["status"] == "completed", "tab A runs a new task")
        done = task_record(tab_a, after)
        assert (done["attempts"], done["errors"], done["result"]) == (1, [], {"by": owner_a})
        assert py(tab_a, "worker.runner.state.value") == "running"
    finally:
        context.close()


# One runner holding a task on a 60 s lease (heartbeat every 20 s), whose renewals the page counts.
HOLDING_RUNNER = """
import asyncio
from dataclasses import dataclass
from pyqueue import MemoryStore, Queue, QueueRunner, TaskRegistry
from pyqueue.browser.lifecycle import check_leases_on_wake

registry = TaskRegistry()
held = asyncio.Event()

@dataclass
class Hold:
    pass

async def hold(payload: Hold, ctx):
    await held.wait()

registry.register("hold", hold)
store = MemoryStore()
renewals = 0
store_renew = store.renew

async def counted_renew(*args, **kwargs):
    global renewals
    renewals += 1
    return await store_renew(*args, **kwargs)

store.renew = counted_renew
runner = QueueRunner(Queue(store, registry), lease_ms=60_000)
detach_wake = check_leases_on_wake(runner)
runner.start()
await runner.queue.enqueue("hold", Hold())
while not runner.running_tasks:
    await asyncio.sleep(0.01)
"""

SET_HIDDEN = """(hidden) => {
  if (hidden) {
    Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
    Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});
  } else {
    delete document.visibilityState; delete document.hidden;
  }
  document.dispatchEvent(new Event('visibilitychange'));
}"""


def renewals_after(page: Page, event_js: str) -> int:
    page.evaluate(event_js)
    return int(py(page, "await asyncio.sleep(0.2)\nrenewals"))


def test_the_runner_checks_its_leases_when_the_page_resumes_or_becomes_visible_until_detached(
    harness_page: Page,
) -> None:
    page = harness_page
    py(page, HOLDING_RUNNER)
    assert py(page, "renewals") == "0"
    assert renewals_after(page, "() => document.dispatchEvent(new Event('resume'))") == 1
    assert renewals_after(page, f"() => ({SET_HIDDEN})(true)") == 1  # hiding is no wake-up
    assert renewals_after(page, f"() => ({SET_HIDDEN})(false)") == 2
    py(page, "detach_wake()")
    assert renewals_after(page, "() => document.dispatchEvent(new Event('resume'))") == 2
    py(page, "held.set()\nawait runner.stop()")

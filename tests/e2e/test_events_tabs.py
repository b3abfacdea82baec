"""Task events and awaited results across two tabs of one origin in real Chromium.

Both tabs call ``pyqueue.browser.start()``, which relays task events over a
BroadcastChannel (:class:`pyqueue.browser.tabs.EventRelay`). Tab A enqueues
and awaits, with no runner of its own; tab B's runner, woken by A's enqueue,
runs the tasks. A's handles read the task only every ten minutes on their own
(``poll_ms``), so a result that arrives within the test's time came through
the relayed event.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import guarded_harness, py

DB = "events-two-tabs"

TAB = f"""
import asyncio
from dataclasses import dataclass
from pyqueue import Fail, TaskContext, TaskFailed, TaskRegistry
from pyqueue.browser import start

@dataclass
class Sum:
    a: int
    b: int

registry = TaskRegistry()

@registry.task("add")
async def add(p: Sum, ctx: TaskContext) -> int:
    await ctx.progress({{"half": True}})
    if p.a < 0:
        raise Fail("negative numbers are not supported")
    return p.a + p.b

bq = await start(registry, db_name={DB!r}, autostart=RUNS, expose_js=False)
queue = bq.queue
seen = []
queue.events.subscribe(seen.append)

def kinds(task_id):
    return [(e.kind.value, e.remote) for e in seen if e.task_id == task_id]
"""


@pytest.fixture(scope="module")
def tabs(browser: Browser, server_url: str) -> Iterator[tuple[Page, Page]]:
    context = browser.new_context(base_url=server_url)
    try:
        with ExitStack() as stack:
            a, b = (stack.enter_context(guarded_harness(context, server_url, f"tab {name}")) for name in "AB")
            py(a, "RUNS = False\n" + TAB)  # A only enqueues and awaits
            py(b, "RUNS = True\n" + TAB)
            yield a, b
            for page in (a, b):
                py(page, "await bq.close()")
    finally:
        context.close()


def test_a_result_awaited_in_one_tab_arrives_when_another_tabs_runner_runs_the_task(tabs: tuple[Page, Page]) -> None:
    a, b = tabs
    # Given tab A awaiting a task it enqueued, with no runner of its own
    task_id = py(
        a,
        """
task_id = await queue.enqueue("add", Sum(2, 3))
waiter = asyncio.ensure_future(queue.handle(task_id, poll_ms=600_000).result(timeout_ms=30_000))
task_id
""",
    )
    # When tab B's runner, woken by the enqueue, runs it
    # Then A's await gives the result, and A saw B's events, marked remote
    assert py(a, "await waiter") == "5"
    assert py(a, "kinds(task_id)") == str(
        [("enqueued", False), ("started", True), ("progress", True), ("completed", True)]
    )
    # And B heard A's enqueue (remote) beside its own events, in order among themselves: the remote event
    # and the wake-up that started B's runner travel on two channels, so which comes first is not promised
    seen_by_b = py(b, f"kinds({task_id!r})")
    assert sorted(ast.literal_eval(seen_by_b)) == sorted(
        [("enqueued", True), ("started", False), ("progress", False), ("completed", False)]
    ), seen_by_b
    assert [k for k in ast.literal_eval(seen_by_b) if not k[1]] == [
        ("started", False),
        ("progress", False),
        ("completed", False),
    ]


def test_a_failure_in_another_tab_raises_task_failed_with_its_error_and_traceback(tabs: tuple[Page, Page]) -> None:
    a = tabs[0]
    py(
        a,
        """
from pyqueue import TaskSpec
task_id, dependant = await queue.enqueue_many([TaskSpec("add", Sum(-1, 1)), TaskSpec("add", Sum(1, 1), depends_on=[0])])
waiter = asyncio.ensure_future(queue.handle(task_id, poll_ms=600_000).result(timeout_ms=30_000))
cascade = asyncio.ensure_future(queue.handle(dependant, poll_ms=600_000).result(timeout_ms=30_000))
""",
    )
    got = py(
        a,
        """
try:
    await waiter
    outcome = "no error"
except TaskFailed as e:
    outcome = (e.error, "Traceback" in e.traceback, e.task.status.value)
outcome
""",
    )
    assert got == str(("Fail: negative numbers are not supported", True, "failed"))
    # The dependant, failed by B's store in the same write, is told to A too: its await ends with the reason
    got = py(
        a,
        """
try:
    await cascade
    outcome = "no error"
except TaskFailed as e:
    outcome = (e.error, kinds(dependant))
outcome
""",
    )
    reason = f"dependency {py(a, 'task_id')} (add) failed: this task will not run"
    assert got == str((reason, [("enqueued", False), ("failed", True)]))


def test_messages_on_the_event_channel_that_are_not_events_are_dropped(tabs: tuple[Page, Page]) -> None:
    a, b = tabs
    py(
        b,
        """
import logging
dropped = []
class Keep(logging.Handler):
    def emit(self, record):
        dropped.append(record.getMessage())
logging.getLogger("pyqueue.browser").addHandler(Keep())
""",
    )
    # Given another script of the origin posting junk on the event channel
    a.evaluate(
        """(name) => {
            const channel = new BroadcastChannel(name);
            channel.postMessage({kind: "completed", task_id: "x"});
            channel.postMessage("not json");
            channel.postMessage('{"kind": "completed", "task_id": "forged"}');
            channel.close();
        }""",
        f"pyqueue:{DB}:events",
    )
    # Then tab B drops each, saying why, and its bus gets none of it
    reasons = py(b, "while len(dropped) < 3:\n    await asyncio.sleep(0.02)\n'\\n'.join(dropped)").splitlines()
    assert [r.split("not a task event: ", 1)[1] for r in reasons] == [
        "event is a JsProxy, not JSON text",
        "event is not valid JSON: Expecting value: line 1 column 1 (char 0)",
        "event field 'type' should be str, got NoneType",
    ]
    assert py(b, "[e.task_id for e in seen if e.task_id in ('x', 'forged')]") == "[]"
    # And real events still come through
    py(a, 'task_id = await queue.enqueue("add", Sum(1, 1))')
    assert py(a, "await queue.handle(task_id, poll_ms=600_000).result(timeout_ms=30_000)") == "2"


def test_a_dashboard_shows_a_task_another_tab_ran_at_once_through_its_events(tabs: tuple[Page, Page]) -> None:
    a, b = tabs
    # Given a dashboard in tab A whose timer would not read the queue again for ten minutes
    py(
        a,
        """
import js
from pyqueue.browser.dashboard import DashboardOptions, mount_dashboard
host = js.document.createElement("div")
host.id = "events-dashboard"
js.document.body.append(host)
dashboard = mount_dashboard(host, queue, bq.runner, DashboardOptions(slow_every_ms=600_000))
await dashboard.refresh()
""",
    )
    # When tab B enqueues and runs a task
    task_id = py(b, 'await queue.enqueue("add", Sum(20, 22))')
    # Then A's task table shows it completed, rendered on B's relayed events
    row = a.locator(f"#events-dashboard tr[data-task-id='{task_id}']")
    expect(row).to_have_attribute("data-status", "completed", timeout=20_000)
    py(a, "dashboard.unmount()")

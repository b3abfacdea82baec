"""The dashboard e2e page's Python: a queue on IndexedDB with a task that works and one that fails, and the
dashboard mounted into the page's empty ``#dashboard`` element.

Loaded into the page's Pyodide by ``tests/e2e/test_dashboard.py`` (as the harness loads ``static/pyqueue.zip``);
the tests drive it through ``py()``: ``await start()``, then ``queue``, ``runner`` and ``dashboard`` are here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyqueue import Park, Queue, QueueRunner, RetentionPolicy, TaskContext, TaskRegistry
from pyqueue.browser.dashboard import Dashboard, DashboardOptions, mount_dashboard
from pyqueue.browser.indexeddb_store import IndexedDBStore
from pyqueue.browser.tabs import Presence

registry = TaskRegistry()
fixed = False
"""Set it and a ``demo.boom`` task succeeds: a retried task then completes."""


@dataclass
class Echo:
    text: str


@dataclass
class Boom:
    reason: str


@registry.task("demo.echo")
async def echo(payload: Echo, ctx: TaskContext) -> dict[str, str]:
    return {"echo": payload.text}


@registry.task("demo.boom", max_attempts=1)
async def boom(payload: Boom, ctx: TaskContext) -> dict[str, str]:
    if not fixed:
        raise ValueError(f"could not {payload.reason}")
    return {"fixed": payload.reason}


@registry.task("demo.online")
async def needs_network(payload: Echo, ctx: TaskContext) -> dict[str, str]:
    raise Park("offline: waits for the network")  # waits, parked, until someone unparks it


queue: Queue
runner: QueueRunner
dashboard: Dashboard


async def start(db_name: str = "pyqueue-dashboard-e2e") -> Dashboard:
    global queue, runner, dashboard
    queue = Queue(await IndexedDBStore.open(db_name), registry)
    runner = QueueRunner(queue)
    runner.start()
    Presence(db_name, runner.owner).hold()  # counted among the live runners, as an app's runner is
    options = DashboardOptions(
        retention=RetentionPolicy(completed_ms=0, failed_ms=0, cancelled_ms=0), slow_every_ms=500
    )
    dashboard = mount_dashboard("dashboard", queue, runner, options)
    return dashboard

"""Periodic tasks in real Chromium: two tabs on one database, each running the scheduler, one task per slot."""

from __future__ import annotations

import json

from playwright.sync_api import Browser

from .conftest import PageGuard, open_harness, py

SCHEDULER = """
import json
from pyqueue import PeriodicScheduler, Queue, QueueRunner, TaskRegistry
from pyqueue.browser.indexeddb_store import IndexedDBStore

registry = TaskRegistry()

@registry.periodic("tick", every_ms=1_000)
async def tick(slot, ctx):
    return {"slot": slot.start}

queue = Queue(await IndexedDBStore.open("periodic-two-tabs"), registry)
runner = QueueRunner(queue)
scheduler = PeriodicScheduler(queue)
runner.start()
scheduler.start()
"""

DRAIN = """
import asyncio
counts = (await queue.stats()).by_status
while counts.get("pending") or counts.get("processing"):
    await asyncio.sleep(0.05)
    counts = (await queue.stats()).by_status
"""


def test_two_tabs_running_the_scheduler_get_one_task_per_slot(browser: Browser, server_url: str) -> None:
    # Given two tabs of one origin, each running a one-second periodic task's scheduler and a runner
    context = browser.new_context(base_url=server_url)
    try:
        tabs = [context.new_page() for _ in range(2)]
        guards = [PageGuard(origin=server_url) for _ in tabs]
        for tab, guard in zip(tabs, guards, strict=True):
            guard.attach(tab)
            open_harness(tab)
        for tab in tabs:
            py(tab, SCHEDULER)

        # When a few slots pass
        tabs[0].wait_for_timeout(4_500)
        for tab in tabs:
            py(tab, "scheduler.stop()")
        py(tabs[0], DRAIN)
        for tab in tabs:
            py(tab, "await runner.stop()")

        # Then each slot has exactly one task, run once, with its slot's key
        tasks = json.loads(py(tabs[1], "json.dumps([t.to_record() for t in await queue.tasks(limit=1000)])"))
        starts = sorted(t["run_at"] for t in tasks)
        assert len(starts) >= 4 and len(set(starts)) == len(starts), starts
        assert all(start % 1_000 == 0 for start in starts), starts
        assert all(t["unique_key"] == f"periodic:tick:{t['run_at']:.0f}" for t in tasks)
        assert all(t["status"] == "completed" and t["attempts"] == 1 for t in tasks), tasks
        for i, guard in enumerate(guards):
            guard.check(f"tab {i}")
    finally:
        context.close()

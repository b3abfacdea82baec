"""pyqueue.browser.start()'s housekeeping flags: periodic tasks kept scheduled, and a retention policy on a timer.

The page is a harness tab (``py()`` runs Python in it); time is real but short
(a 700 ms slot, a 300 ms retention check), and each test waits for what a user
would see rather than for a fixed time.
"""

from __future__ import annotations

import json

from playwright.sync_api import Page

from .app_page import wait_until
from .conftest import load_file, py

PRELUDE = """
import json
import wiring_tasks
from wiring_tasks import Nap, registry
from pyqueue import RetentionPolicy, TaskStatus
from pyqueue.browser import start
"""

TICKS = """
@registry.periodic("tick", every_ms=700)
async def tick(slot, ctx):
    return {"slot": slot.start}
"""


def prepare(page: Page) -> None:
    load_file(page, "tests/e2e/wiring_tasks.py", "/home/pyodide/app/wiring_tasks.py")
    py(page, PRELUDE)


TICK_KEYS = "json.dumps(sorted(t.unique_key for t in await bq.queue.tasks(limit=1000) if t.type == 'tick'))"


def ticks(page: Page, before: str = "") -> list[str]:
    """The unique keys of the stored ticks, read right after running *before* (in the same call)."""
    return list(json.loads(py(page, before + TICK_KEYS)))


def test_schedule_periodic_enqueues_the_slot_in_progress_at_start_and_each_next_slot_once(harness_page: Page) -> None:
    prepare(harness_page)
    py(harness_page, TICKS)
    # Read in the same call as the start: a round trip from the test could outlast a 700 ms slot on a loaded machine
    first = ticks(harness_page, before="bq = await start(registry, db_name='wiring-periodic')\n")
    assert len(first) == 1 and first[0].startswith("periodic:tick:")  # the slot in progress, at once
    wait_until(harness_page, lambda: len(ticks(harness_page)) >= 3, "two more slots to be enqueued", timeout_s=20)
    keys = ticks(harness_page)
    assert len(set(keys)) == len(keys)  # each slot once
    assert py(harness_page, "len(await bq.schedule_periodic())") == "1"  # an extra step finds its slot taken
    assert len(set(ticks(harness_page))) == len(ticks(harness_page))

    py(harness_page, "await bq.close()\nclosed_at = bq.queue.clock()")
    harness_page.wait_for_timeout(1_500)  # two slots would pass, if close() had left the scheduler running
    # Read the queue again without a scheduler: no slot was enqueued after the close
    py(
        harness_page,
        "bq = await start(registry, db_name='wiring-periodic', schedule_periodic=False, autostart=False)",
    )
    late = py(harness_page, "len([t for t in await bq.queue.tasks(limit=1000) if t.created_at > closed_at])")
    assert late == "0"


def test_without_schedule_periodic_nothing_periodic_is_enqueued(harness_page: Page) -> None:
    prepare(harness_page)
    py(harness_page, TICKS)
    py(harness_page, "bq = await start(registry, db_name='wiring-no-periodic', schedule_periodic=False)")
    harness_page.wait_for_timeout(1_000)
    assert ticks(harness_page) == []
    assert py(harness_page, "bq.scheduler") == "None"


def test_a_retention_policy_deletes_finished_tasks_on_its_timer_and_reports_each_check(harness_page: Page) -> None:
    prepare(harness_page)
    py(
        harness_page,
        "checks = []\n"
        "bq = await start(registry, db_name='wiring-retention', retention_every_ms=300,"
        " retention=RetentionPolicy(completed_ms=60_000, failed_ms=60_000, cancelled_ms=60_000))\n"
        "bq.on_retention(lambda report: checks.append(report.count))",
    )
    task_id = py(harness_page, "await bq.queue.enqueue('nap', Nap(1))")
    wait_until(
        harness_page,
        lambda: py(harness_page, f"(await bq.queue.get({task_id!r})).status.value") == "completed",
        "the nap to complete",
    )
    wait_until(harness_page, lambda: int(py(harness_page, "len(checks)")) >= 2, "two retention checks")
    assert py(harness_page, "sum(checks)") == "0"  # kept: it finished less than a minute ago

    # The page shortens the policy (as a person accepting an offer would): the next check applies it
    py(harness_page, "bq.retention = RetentionPolicy(completed_ms=0, failed_ms=0, cancelled_ms=0)")
    # (the report reaches listeners a turn after the purge commits: wait for it, then look at the store)
    wait_until(harness_page, lambda: py(harness_page, "sum(checks)") != "0", "the check that purges")
    assert py(harness_page, "sum(checks)") == "1"
    assert py(harness_page, "len(await bq.queue.tasks(limit=10))") == "0"
    py(harness_page, "await bq.close()")

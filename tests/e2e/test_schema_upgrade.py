"""A database written by schema version 1 opens at the current version with every row intact and runnable.

Version 2 added the per-type claim order (``ready_type``, used by claims under
limits) and the dependants' index (``waits``). The test writes version-1 rows
exactly as that version did (no ``ready_type`` field), of every status plus a
parked and a scheduled task, then opens the store and runs them all.
"""

from __future__ import annotations

from playwright.sync_api import Page

from .conftest import load_file, py

WRITE_V1_THEN_UPGRADE = """
from contract_cases import LEASE, T0, make_task
from pyqueue import ClaimLimits, RateLimit, TaskStatus, transitions
from pyqueue.browser import IndexedDBStore, schema
from pyqueue.browser.idb import js_object, open_database, transaction
from pyqueue.task import AttemptError

def v1_row(task):
    row = schema.encode(task)
    row.pop(schema.READY_TYPE, None)  # what version 1 wrote: no index fields of version 2
    return row

def at(task, seq, **changes):
    return task.replace(seq=seq, **changes)

claimed = lambda t: transitions.claim(t, owner="gone", now=T0, lease_ms=LEASE)
error = AttemptError(1, T0, "boom")
tasks = [
    at(make_task("p-api", task_type="api", priority=3), 1),
    at(make_task("p-plain"), 2),
    at(make_task("sched", run_at=T0 + 1_000), 3),
    at(transitions.park(claimed(make_task("parked")), owner="gone", now=T0, reason="offline"), 4),
    at(claimed(make_task("running")), 5),
    at(transitions.complete(claimed(make_task("done")), owner="gone", now=T0, result={"ok": 1}), 6),
    at(transitions.fail(claimed(make_task("bad")), owner="gone", now=T0, error=error, retry_in_ms=None), 7),
    at(transitions.cancel(make_task("off"), T0), 8),
]
old = await open_database(__DB__, 1, lambda db, tx, old, new: schema.MIGRATIONS[1](db, tx))
def write(tx):
    for task in tasks:
        tx.store(schema.TASKS).put(js_object(v1_row(task)))
    tx.store(schema.META).put(8, schema.SEQ_KEY)
junk = {"id": "junk", "data": "{not json", "ready": [0, 9], "seq": 9, "status_seq": ["pending", 9]}
await transaction(old.db(), [schema.TASKS, schema.META], "readwrite", write)
await transaction(old.db(), [schema.TASKS], "readwrite", lambda tx: tx.store(schema.TASKS).put(js_object(junk)))
old.close()

store = await IndexedDBStore.open(__DB__, clock=lambda: T0)
try:
    got = await store.records()
    assert [r for r in got if r["id"] != "junk"] == [t.to_record() for t in tasks], "a row changed in the upgrade"
    # a pending row that cannot be read is quarantined by the upgrade (no claim under limits would reach it)
    assert sorted(t.id for t in await store.tasks(status=TaskStatus.FAILED)) == ["bad", "junk"]
    limits = ClaimLimits(rates={"api": RateLimit(5, 1_000)})  # claims under limits read the new per-type index
    claim = await store.claim(now=T0, owner="new", lease_ms=10 * LEASE, limit=10, limits=limits)
    assert [t.id for t in claim.tasks] == ["p-api", "p-plain"], claim
    assert [t.id for t in await store.recover(now=T0 + LEASE + 1)] == ["running"]
    await store.update_many([("parked", lambda t: transitions.unpark(t, T0 + 1_000))])
    claim = await store.claim(now=T0 + LEASE + 1, owner="new", lease_ms=LEASE, limit=10, limits=limits)
    assert sorted(t.id for t in claim.tasks) == ["parked", "running", "sched"], claim
    (after_done,) = await store.add([make_task("next", depends_on=("done",))])
    assert after_done.status is TaskStatus.PENDING and after_done.seq == 9
    for task_id, status in [("done", "completed"), ("bad", "failed"), ("off", "cancelled")]:
        assert (await store.get(task_id)).status.value == status
finally:
    store.close()
"ok"
"""


def test_a_version_1_database_opens_with_every_row_intact_and_runnable(harness_page: Page) -> None:
    load_file(harness_page, "tests/contract_cases.py", "/home/pyodide/app/contract_cases.py")
    assert py(harness_page, WRITE_V1_THEN_UPGRADE.replace("__DB__", repr("upgrade-v1")), timeout_ms=60_000) == "ok"

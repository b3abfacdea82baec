"""A database written by schema version 1 or 2 opens at the current version with every row intact and runnable.

Version 2 added the per-type claim order (``ready_type``, used by claims under
limits) and the dependants' index (``waits``). Version 3 keys the ``tasks``
store by ``seq`` from its own key generator and copies every row into it. The
tests write old rows exactly as those versions did (:data:`OLD_ROWS`), of every
status plus a parked and a scheduled task, then open the store and run them all.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

from pyqueue.constants import SCHEMA_VERSION

from .conftest import load_file, py

OLD_ROWS = """
import math
from pyqueue.browser import schema
from pyqueue.jsondata import dumps
from pyqueue.task import TaskStatus

def old_row(task, version):
    \"\"\"The row that schema version 1 or 2 wrote for *task* (keyed by its id, index fields precomputed).\"\"\"
    status = task.status.value
    row = {"id": task.id, "data": dumps(task.to_record(), path="task"), "seq": task.seq,
           "status_seq": [status, task.seq], "status_type": [status, task.type]}
    if task.status is TaskStatus.PENDING:
        row["ready"] = [-task.priority, task.seq]
        if version >= 2:
            row["ready_type"] = [task.type, -task.priority, task.seq]
    elif task.status is TaskStatus.WAITING:
        row["waits"] = list(task.waiting_on)
    elif task.status is TaskStatus.SCHEDULED:
        row["due"] = task.run_at
        if task.parked is not None:
            row["parked"] = task.seq
    elif task.status is TaskStatus.PROCESSING:
        row["lease"] = -math.inf if task.lease_until is None else task.lease_until
    if task.finished_at is not None:
        row["status_finished"] = [status, task.finished_at]
        row["finished"] = [task.finished_at, task.seq]
    if task.unique_key is not None:
        row["ukey"] = task.unique_key
    return row

async def open_old(name, version):
    \"\"\"A connection to a new database *name* at the old schema *version*, made by that version's steps.\"\"\"
    def steps(db, tx, old, new):
        for step in range(old + 1, new + 1):
            schema.MIGRATIONS[step](db, tx)
    return await open_database(name, version, steps)
"""

WRITE_V1_THEN_UPGRADE = """
from contract_cases import LEASE, T0, make_task
from pyqueue import ClaimLimits, RateLimit, TaskStatus, transitions
from pyqueue.browser import IndexedDBStore, schema
from pyqueue.browser.idb import js_object, open_database, transaction
from pyqueue.task import AttemptError

def v1_row(task):
    return old_row(task, 1)

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


def prepare(page: Page) -> Page:
    load_file(page, "tests/contract_cases.py", "/home/pyodide/app/contract_cases.py")
    py(page, "from pyqueue.browser.idb import open_database\n" + OLD_ROWS)
    return page


def test_a_version_1_database_opens_with_every_row_intact_and_runnable(harness_page: Page) -> None:
    page = prepare(harness_page)
    assert py(page, WRITE_V1_THEN_UPGRADE.replace("__DB__", repr("upgrade-v1")), timeout_ms=60_000) == "ok"


WRITE_OLD_THEN_UPGRADE = """
import json
from contract_cases import LEASE, T0, make_task
from pyqueue import TaskStatus, transitions
from pyqueue.browser import IndexedDBStore
from pyqueue.browser.idb import js_object, transaction
from pyqueue.task import AttemptError

claimed = lambda t: transitions.claim(t, owner="gone", now=T0, lease_ms=LEASE)
error = AttemptError(1, T0, "boom")
tasks = [
    make_task("p-high", priority=5, unique_key="once").replace(seq=2),
    make_task("p-first").replace(seq=1),
    make_task("p-third").replace(seq=3),
    make_task("p-twin").replace(seq=3),  # an import kept its record's number: two rows share 3
    make_task("wait", depends_on=("p-first",)).replace(seq=4, waiting_on=("p-first",)),
    make_task("sched", run_at=T0 + 1_000).replace(seq=5),
    transitions.park(claimed(make_task("parked").replace(seq=6)), owner="gone", now=T0, reason="offline"),
    claimed(make_task("running").replace(seq=7)),
    transitions.complete(claimed(make_task("done").replace(seq=8)), owner="gone", now=T0, result={"ok": 1}),
    transitions.fail(claimed(make_task("bad").replace(seq=9)), owner="gone", now=T0, error=error, retry_in_ms=None),
    transitions.cancel(make_task("off").replace(seq=10), T0),
]
old = await open_old(__DB__, __VERSION__)
def write(tx):
    for task in tasks:
        tx.store("tasks").put(js_object(old_row(task, __VERSION__)))
    tx.store("meta").put(40, "seq")  # numbers up to 40 were given out: the newest tasks were purged since
await transaction(old.db(), ["tasks", "meta"], "readwrite", write)
old.close()

store = await IndexedDBStore.open(__DB__, clock=lambda: T0)
try:
    got = {t.id: t for t in await store.tasks(limit=100)}
    moved = got.pop("p-twin")
    assert moved.seq == 41 and moved == tasks[3].replace(seq=41), moved  # after the old counter, not lost
    assert sorted(got.values(), key=lambda t: t.id) == sorted(tasks[:3] + tasks[4:], key=lambda t: t.id)
    for task in tasks[:3] + tasks[4:]:
        assert await store.get(task.id) == task, task.id  # found by its id, number kept
    new = await store.add([make_task("new-1"), make_task("new-2")])
    assert [t.seq for t in new] == [42, 43], new  # numbering goes on past every old number, none reused
    (held,) = await store.add([make_task("again", unique_key="once")])  # the unique key is still held
    assert held.id == "p-high"
    claim = await store.claim(now=T0, owner="new", lease_ms=LEASE, limit=10)
    order = [t.id for t in claim.tasks]
    assert order == ["p-high", "p-first", "p-third", "p-twin", "new-1", "new-2"], order  # priority, then FIFO
    await store.update("p-first", lambda t: transitions.complete(t, owner="new", now=T0 + 1, result=None))
    assert (await store.get("wait")).status is TaskStatus.PENDING  # its dependency finished: found by the index
    stats = (await store.stats()).by_status
    assert stats == {"waiting": 0, "scheduled": 2, "pending": 1, "processing": 6, "completed": 2, "failed": 1,
                     "cancelled": 1}, stats
finally:
    store.close()
"ok"
"""


@pytest.mark.parametrize("version", [2, 1])
def test_an_old_database_keeps_every_task_and_number_and_numbering_goes_on_past_its_counter(
    harness_page: Page, version: int
) -> None:
    # Given a database of an old version with tasks in every status, two sharing a number, and a counter
    # above the highest row; when the current version opens it, then every task is there under its number
    # (the second of the two after the counter), numbering goes on after the counter and claims keep FIFO
    page = prepare(harness_page)
    code = WRITE_OLD_THEN_UPGRADE.replace("__DB__", repr(f"upgrade-old-v{version}"))
    assert py(page, code.replace("__VERSION__", str(version)), timeout_ms=60_000) == "ok"


OLD_TAB_THEN_NEW = """
from contract_cases import make_task
from pyqueue.browser import IndexedDBStore
from pyqueue.browser.idb import Connection, js_object, transaction
from pyqueue.errors import StorageError

changes = []
old = await open_old("old-tab", 2)
old = Connection(old.raw, changes.append)  # the old tab's store, told to step aside on a newer version
await transaction(old.db(), ["tasks"], "readwrite",
                  lambda tx: tx.store("tasks").put(js_object(old_row(make_task("kept").replace(seq=1), 2))))
store = await IndexedDBStore.open("old-tab", blocked_timeout_ms=5_000)
try:
    try:
        old.db()
        after = "still open"
    except StorageError as e:
        after = str(e)
    outcome = {"changes": changes, "after": after, "kept": (await store.get("kept")).seq,
               "next": (await store.add([make_task("next")]))[0].seq}
finally:
    store.close()
json.dumps(outcome)
"""


def test_an_old_tab_open_at_version_2_steps_aside_while_the_new_version_upgrades(harness_page: Page) -> None:
    page = prepare(harness_page)
    py(page, "import json")
    outcome = json.loads(py(page, OLD_TAB_THEN_NEW, timeout_ms=60_000))
    assert outcome["changes"] == [SCHEMA_VERSION]
    assert f"newer schema version {SCHEMA_VERSION}" in outcome["after"]
    assert outcome["kept"] == 1 and outcome["next"] == 2

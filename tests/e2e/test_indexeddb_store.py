"""IndexedDBStore behaviour that only a real browser shows: reloads, tabs, quota, depth, schema upgrades.

The storage contract itself runs in ``test_indexeddb_contract.py``; these tests
cover what it cannot express. Every test gets a fresh browser context (so a
fresh IndexedDB), and pages that run Python get ``tests/contract_cases.py``
for its task factory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page

from pyqueue.constants import SCHEMA_VERSION

from .conftest import guarded_harness, load_file, open_harness, py

PRELUDE = """
import asyncio, base64, json, os, random, time
import js
from contract_cases import LEASE, T0, make_task
from pyqueue import transitions
from pyqueue.browser import IndexedDBStore, idb
from pyqueue.browser.idb import delete_database, open_database
from pyqueue.errors import QuotaExceeded, StorageError, UpgradeBlocked
"""

# A page of the same origin with no script of its own: a second "tab" that talks to IndexedDB from JS.
PLAIN_PAGE = "/static/vendor/pyodide/package.json"
QUOTA_BYTES = 5 * 1024 * 1024


def prepare(page: Page) -> Page:
    load_file(page, "tests/contract_cases.py", "/home/pyodide/app/contract_cases.py")
    py(page, PRELUDE)
    return page


def run(page: Page, code: str, timeout_ms: float = 60_000) -> object:
    """Run *code* in *page*; its last expression must be ``json.dumps(...)``, returned parsed."""
    return json.loads(py(page, code, timeout_ms))


@pytest.fixture
def second_tab(context: BrowserContext, server_url: str) -> Iterator[Page]:
    """Another guarded harness page in the same context: same origin, same IndexedDB."""
    with guarded_harness(context, server_url, "the second tab") as page:
        yield prepare(page)


# --------------------------------------------------------------------------- durability


def test_tasks_survive_a_page_reload_and_the_queue_carries_on(harness_page: Page) -> None:
    # Given a store with waiting, claimed and scheduled tasks
    before = run(
        prepare(harness_page),
        """
store = await IndexedDBStore.open("reload", clock=lambda: T0)
payload = lambda i: {"i": i, "text": "é <b>&", "none": None, "nested": [1.5, {"ok": True}]}
await store.add([make_task(f"t{i:02}", priority=i % 3, payload=payload(i)) for i in range(20)])
await store.add([make_task("later", run_at=T0 + 5_000, unique_key="once")])
await store.claim(now=T0, owner="before-reload", lease_ms=LEASE, limit=3)
records = await store.records()
store.close()
json.dumps(records)
""",
    )
    # When the page reloads (a new Pyodide, the same IndexedDB)
    open_harness(harness_page)
    after = run(
        prepare(harness_page),
        """
store = await IndexedDBStore.open("reload", clock=lambda: T0)
records = await store.records()
claim = await store.claim(now=T0, owner="after-reload", lease_ms=LEASE, limit=1)
added = await store.add([make_task("new")])
again = await store.add([make_task("dup", unique_key="once")])
json.dumps({"records": records, "next": [t.id for t in claim.tasks], "new_seq": added[0].seq,
            "dup": again[0].id, "processing": [t.id for t in await store.tasks(status="processing")]})
""",
    )
    # Then every row is back exactly, and claims, numbering and unique keys continue where they stopped
    assert isinstance(before, list) and isinstance(after, dict)
    assert after["records"] == before
    assert len(before) == 21
    claimed_before = [r["id"] for r in before if r["status"] == "processing"]
    assert claimed_before == ["t02", "t05", "t08"]
    assert after["next"] == ["t11"]
    assert after["new_seq"] == 22
    assert after["dup"] == "later"
    assert sorted(after["processing"]) == ["t02", "t05", "t08", "t11"]


# --------------------------------------------------------------------------- tabs

CLAIM_UNTIL_EMPTY = """
store = await IndexedDBStore.open("tabs", clock=lambda: T0)

async def claim_until_empty(owner):
    while js.localStorage.getItem("go") != "1":  # both tabs start together
        await asyncio.sleep(0.001)
    got = []
    while True:
        claim = await store.claim(now=T0, owner=owner, lease_ms=LEASE, limit=random.randint(1, 3))
        if not claim.tasks:
            return got
        got.extend(t.id for t in claim.tasks)

claiming = asyncio.ensure_future(claim_until_empty({owner!r}))
"""


def test_two_tabs_claiming_at_once_never_get_the_same_task(harness_page: Page, second_tab: Page) -> None:
    # Given 200 waiting tasks, and two tabs claiming from the same database in a loop
    tab_a = prepare(harness_page)
    tab_b = second_tab
    py(tab_a, 'seed = await IndexedDBStore.open("tabs", clock=lambda: T0)')
    py(tab_a, "await seed.add([make_task(f't{i:03}') for i in range(200)]); seed.close()")
    py(tab_a, CLAIM_UNTIL_EMPTY.format(owner="tab-a"))
    py(tab_b, CLAIM_UNTIL_EMPTY.format(owner="tab-b"))
    # When both start at once and claim until nothing is left
    tab_a.evaluate("() => localStorage.setItem('go', '1')")
    got_a = run(tab_a, "json.dumps(await claiming)")
    got_b = run(tab_b, "json.dumps(await claiming)")
    assert isinstance(got_a, list) and isinstance(got_b, list)
    # Then between them they took every task exactly once, both of them taking some
    taken = got_a + got_b
    assert len(taken) == 200 and len(set(taken)) == 200, (len(taken), len(set(taken)))
    assert got_a and got_b, "one tab took everything: the claims did not overlap"
    # And the database agrees on who holds what, each task claimed once
    stored = run(
        tab_a,
        "json.dumps([[t.id, t.lease_owner, t.attempts] for t in await store.tasks(status='processing', limit=500)])",
    )
    assert isinstance(stored, list)
    owners = {tid: owner for tid, owner, _ in stored}
    assert owners == {**dict.fromkeys(got_a, "tab-a"), **dict.fromkeys(got_b, "tab-b")}
    assert {attempts for _, _, attempts in stored} == {1}


# --------------------------------------------------------------------------- quota


def test_a_batch_over_the_quota_raises_quota_exceeded_writes_nothing_and_the_queue_goes_on(
    harness_page: Page, context: BrowserContext, server_url: str
) -> None:
    # Given an origin limited to 5 MB, and a store with a few small tasks, one of them running
    cdp = context.new_cdp_session(harness_page)
    origin = server_url.rstrip("/")
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": origin, "quotaSize": QUOTA_BYTES})
    outcome = run(
        prepare(harness_page),
        """
store = await IndexedDBStore.open("quota", clock=lambda: T0)
await store.add([make_task(f"small{i}") for i in range(5)])
await store.claim(now=T0, owner="r1", lease_ms=LEASE, limit=1)
errors = []
# Random bytes: Chromium compresses values, so repetitive filler would fit. Three tries, because
# Chromium sometimes (not always) keeps counting an aborted batch's bytes until the next commit.
for attempt in range(3):
    big = [make_task(f"big{attempt}-{i}", payload={"blob": base64.b64encode(os.urandom(400_000)).decode()})
           for i in range(20)]
    try:
        await store.add(big)
        errors.append(None)
    except QuotaExceeded as e:
        errors.append(str(e))
usage = (await js.navigator.storage.estimate()).usage
written = [t.id for t in big if await store.get(t.id) is not None]
total = (await store.stats()).total
claimed = [t.id for t in (await store.claim(now=T0, owner="r1", lease_ms=LEASE, limit=1)).tasks]
done = await store.update("small0", lambda t: transitions.complete(t, owner="r1", now=T0 + 1, result={"ok": True}))
more = await store.add([make_task("small5")])
json.dumps({"errors": errors, "usage": usage, "written": written, "total": total, "claimed": claimed,
            "done": done.status, "more": more[0].seq})
""",
    )
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": origin})  # back to the real quota
    # When batches of 8 MB are added
    # Then each fails with QuotaExceeded and none of it is stored
    assert isinstance(outcome, dict)
    assert all(e is not None and "quota" in e for e in outcome["errors"]), outcome["errors"]
    assert outcome["written"] == []
    assert outcome["total"] == 5
    # And the aborted bytes do not stay counted, so small work still goes through
    assert outcome["usage"] < QUOTA_BYTES, outcome["usage"]
    assert outcome["claimed"] == ["small1"]
    assert outcome["done"] == "completed"
    assert outcome["more"] == 6


# --------------------------------------------------------------------------- depth

COUNT_REQUESTS = """() => {
  // Record every IndexedDB read request and cursor step while window.countRequests is set.
  window.requests = [];
  const record = (proto, name, describe) => {
    const original = proto[name];
    proto[name] = function (...args) {
      if (window.countRequests) window.requests.push(describe(args));
      return original.apply(this, args);
    };
  };
  for (const proto of [IDBObjectStore.prototype, IDBIndex.prototype]) {
    for (const name of ["get", "getKey", "count", "openCursor", "openKeyCursor"]) record(proto, name, () => name);
    for (const name of ["getAll", "getAllKeys"]) {
      record(proto, name, (args) => `${name}(count=${args[1] === undefined ? "all" : args[1]})`);
    }
  }
  for (const name of ["continue", "advance", "continuePrimaryKey"]) record(IDBCursor.prototype, name, () => name);
}"""

CLAIM_AT_DEPTH = """
async def claim_at_depth(name, depth):
    store = await IndexedDBStore.open(name, clock=lambda: T0)
    for start in range(0, depth, 1_000):
        await store.add([make_task(f"t{i:05}") for i in range(start, min(depth, start + 1_000))])
    await store.add([make_task("urgent", priority=5)])
    js.window.countRequests = True
    js.window.requests.length = 0
    try:
        started = time.perf_counter()
        first = await store.claim(now=T0, owner="r1", lease_ms=LEASE, limit=1)
        ms = (time.perf_counter() - started) * 1000
    finally:
        js.window.countRequests = False
    requests = list(js.window.requests)
    second = await store.claim(now=T0, owner="r1", lease_ms=LEASE, limit=2)
    store.close()
    ids = lambda claim: [t.id for t in claim.tasks]
    return {"first": ids(first), "second": ids(second), "requests": requests, "ms": ms}
"""


def test_a_claim_with_5000_tasks_waiting_takes_the_right_task_without_scanning(harness_page: Page) -> None:
    # Given one queue 10 deep and one 5,000 deep, each with an urgent task added last
    prepare(harness_page)
    harness_page.evaluate(COUNT_REQUESTS)
    py(harness_page, CLAIM_AT_DEPTH)
    shallow = run(harness_page, 'json.dumps(await claim_at_depth("shallow", 10))')
    deep = run(harness_page, 'json.dumps(await claim_at_depth("deep", 5_000))', timeout_ms=120_000)
    assert isinstance(shallow, dict) and isinstance(deep, dict)
    print(f"claim of 1: {shallow['ms']:.1f} ms at depth 10, {deep['ms']:.1f} ms at depth 5,000")
    # Then the claim takes the urgent task, then the oldest ones in FIFO order
    assert deep["first"] == ["urgent"]
    assert deep["second"] == ["t00000", "t00001"]
    # And it makes the same few bounded reads at depth 5,000 as at depth 10: it walks an index, it does not scan
    assert deep["requests"] == shallow["requests"], (shallow["requests"], deep["requests"])
    assert 0 < len(deep["requests"]) <= 5, deep["requests"]
    assert not any("count=all" in r for r in deep["requests"]), deep["requests"]


def test_an_add_of_several_chunks_of_rows_writes_each_row_under_its_own_number_in_order(harness_page: Page) -> None:
    # Given 513 new tasks (the rows cross to JavaScript 256 at a time: the last one alone), scheduled and pending mixed
    result = run(
        prepare(harness_page),
        """
store = await IndexedDBStore.open("chunks")
tasks = [make_task(f"t{i:03}", run_at=T0 + (LEASE if i % 3 == 0 else 0)) for i in range(513)]
added = await store.add(tasks)
listed = await store.tasks(limit=513)
store.close()
json.dumps({
    "added": [[t.id, t.seq, t.status.value] for t in added],
    "listed": [[t.id, t.seq, t.status.value] for t in listed],
})
""",
    )
    assert isinstance(result, dict)
    # Then each task comes back numbered one after the other, in the order given, its row holding that task
    added, listed = result["added"], result["listed"]
    first = added[0][1]
    assert [a[:2] for a in added] == [[f"t{i:03}", first + i] for i in range(513)]
    assert list(reversed(listed)) == added
    assert [a[2] for a in added] == ["scheduled" if i % 3 == 0 else "pending" for i in range(513)]


def test_an_add_whose_row_in_a_later_chunk_is_refused_writes_none_of_its_rows(harness_page: Page) -> None:
    # Given a stored task, and 700 new tasks (three chunks of rows), the 601st with the stored task's id
    result = run(
        prepare(harness_page),
        """
store = await IndexedDBStore.open("chunks-refused")
await store.add([make_task("taken")])
tasks = [make_task("taken" if i == 600 else f"t{i:03}") for i in range(700)]
try:
    await store.add(tasks)
    error = None
except StorageError as e:
    error = str(e)
total = (await store.stats()).total
store.close()
json.dumps({"error": error, "total": total})
""",
    )
    assert isinstance(result, dict)
    # When they are added, then the unique id index refuses that row in the third chunk, and the add fails
    assert result["error"] is not None and "Constraint" in result["error"], result
    # And none of the 700 rows stayed: the chunks are one transaction
    assert result["total"] == 1, result


# --------------------------------------------------------------------------- schema upgrades

OPEN_NEWER = """([name, version]) => new Promise((resolve, reject) => {
  const request = indexedDB.open(name, version);
  request.onsuccess = () => { window.newer = request.result; resolve(request.result.version); };
  request.onerror = () => reject(request.error);
  request.onblocked = () => reject(new Error("blocked: the old connection did not close"));
})"""

DELETE = """(name) => new Promise((resolve, reject) => {
  const request = indexedDB.deleteDatabase(name);
  request.onsuccess = () => resolve("deleted");
  request.onerror = () => reject(request.error);
  request.onblocked = () => reject(new Error("blocked: the old connection did not close"));
})"""


def test_an_open_store_steps_aside_when_another_tab_upgrades_or_deletes_the_database(
    harness_page: Page, context: BrowserContext
) -> None:
    # Given a store open in this tab, told to report version changes
    py(
        prepare(harness_page),
        """
changes = []
store = await IndexedDBStore.open("upgrade", on_version_change=changes.append)
await store.add([make_task("a")])
""",
    )
    # When another tab opens the database at a newer schema version
    other = context.new_page()
    other.goto(PLAIN_PAGE)
    assert other.evaluate(OPEN_NEWER, ["upgrade", SCHEMA_VERSION + 1]) == SCHEMA_VERSION + 1
    # Then this store closed itself at once (the other open was not blocked) and said why
    outcome = run(
        harness_page,
        """
try:
    await store.get("a")
    after_close = "no error"
except StorageError as e:
    after_close = str(e)
try:
    await IndexedDBStore.open("upgrade")
    reopen = "opened"
except StorageError as e:
    reopen = str(e)
json.dumps({"changes": changes, "why": store.closed_because, "after_close": after_close, "reopen": reopen})
""",
    )
    assert isinstance(outcome, dict)
    assert outcome["changes"] == [SCHEMA_VERSION + 1]
    assert f"newer schema version {SCHEMA_VERSION + 1}" in outcome["why"]
    assert "newer schema version" in outcome["after_close"]
    assert "VersionError" in outcome["reopen"]  # this code is older than the database now
    # And a deletion from another tab is reported as such
    other.evaluate("() => window.newer.close()")
    py(harness_page, 'deleting = []\nstore = await IndexedDBStore.open("deleted", on_version_change=deleting.append)')
    assert other.evaluate(DELETE, "deleted") == "deleted"
    assert run(harness_page, "json.dumps([deleting, store.closed_because])") == [
        [None],
        "another tab is deleting the database",
    ]
    assert other.evaluate(DELETE, "upgrade") == "deleted"


HOLD_OLD = """(name) => new Promise((resolve, reject) => {
  const request = indexedDB.open(name, 1);  // an old tab that ignores versionchange
  request.onupgradeneeded = () => request.result.createObjectStore("kept");
  request.onsuccess = () => { window.old = request.result; resolve(request.result.version); };
  request.onerror = () => reject(request.error);
})"""

CURRENT = """(name) => new Promise((resolve, reject) => {
  const request = indexedDB.open(name);  // queued behind any pending open of this name
  request.onsuccess = () => {
    const db = request.result;
    const found = [db.version, [...db.objectStoreNames]];
    db.close();
    resolve(found);
  };
  request.onerror = () => reject(request.error);
})"""


def test_an_upgrade_blocked_by_an_old_tab_raises_upgrade_blocked_instead_of_hanging(
    harness_page: Page, context: BrowserContext
) -> None:
    # Given an old tab holding the database open at version 1 and never closing it
    old = context.new_page()
    old.goto(PLAIN_PAGE)
    assert old.evaluate(HOLD_OLD, "blocked") == 1
    # When this tab opens it at version 2 with a 500 ms patience
    outcome = run(
        prepare(harness_page),
        """
upgrades = []
started = time.perf_counter()
try:
    await open_database("blocked", 2, lambda db, tx, old, new: upgrades.append((old, new)), blocked_timeout_ms=500)
    error = None
except UpgradeBlocked as e:
    error = str(e)
json.dumps({"error": error, "seconds": time.perf_counter() - started, "upgrades": upgrades})
""",
    )
    # Then it raises UpgradeBlocked after its timeout, and upgraded nothing
    assert isinstance(outcome, dict)
    assert outcome["error"] is not None and "another tab holds it open" in outcome["error"], outcome
    assert 0.4 < outcome["seconds"] < 10, outcome
    assert outcome["upgrades"] == []
    # And once the old tab lets go, the abandoned request leaves the database as it was, and lets go too
    old.evaluate("() => window.old.close()")
    assert old.evaluate(CURRENT, "blocked") == [1, ["kept"]]
    assert run(harness_page, "json.dumps(upgrades)") == []
    assert old.evaluate(DELETE, "blocked") == "deleted"


# --------------------------------------------------------------------------- proxies

LIVE_OBJECTS = """
import gc
from pyqueue.browser.idb import Connection, Transaction

async def live_objects():
    for _ in range(3):  # proxies are destroyed in a callback scheduled after each transaction's last event
        await asyncio.sleep(0.01)
    gc.collect()
    return sum(isinstance(o, (Transaction, Connection)) for o in gc.get_objects())
"""


def test_finished_transactions_and_closed_connections_release_their_proxies(harness_page: Page) -> None:
    # Given many transactions that commit, and many that abort with a Python error or a JS one
    prepare(harness_page)
    py(harness_page, LIVE_OBJECTS)
    outcome = run(
        harness_page,
        """
from pyqueue.errors import InvalidStateChange, QueueFull, TaskNotFound
baseline = await live_objects()
store = await IndexedDBStore.open("proxies", clock=lambda: T0)
errors = []
for i in range(30):
    await store.add([make_task(f"t{i}", unique_key=f"k{i % 5}")], max_live=100)
    await store.claim(now=T0, owner="r1", lease_ms=LEASE, limit=2)
    await store.renew([f"t{i}", "gone"], owner="r1", until=T0 + 2 * LEASE)
    for bad in (store.update("gone", lambda t: t), store.update(f"t{i}", lambda t: transitions.retry(t, T0, {})),
                store.add([make_task(f"x{i}")], max_live=1)):
        try:
            await bad
        except (TaskNotFound, InvalidStateChange, QueueFull) as e:
            errors.append(type(e).__name__)
await store.stats(); await store.tasks(); await store.records(); await store.recover(now=T0 + 9 * LEASE)
store.close()
del store
json.dumps({"baseline": baseline, "after": await live_objects(), "errors": sorted(set(errors)), "n": len(errors)})
""",
    )
    # Then every error reached the caller as itself, and nothing stays alive behind a JavaScript proxy
    assert outcome == {
        "baseline": 0,
        "after": 0,
        "errors": ["InvalidStateChange", "QueueFull", "TaskNotFound"],
        "n": 90,
    }

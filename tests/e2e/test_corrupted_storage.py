"""Untrusted data in a real browser: corrupted rows in IndexedDB, deep imports, deep handler output, a bad meta counter.

Rows are written straight into IndexedDB from JavaScript, as an older version,
an extension or a hand in devtools would. Each test asserts what a user sees:
the broken row is failed with its reason (quarantined once), the runner goes on
to complete a normal task, no task runs in a loop, and Pyodide stays alive (a
later ``py()`` call works). A fatal Pyodide error would fail every later call.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from pyqueue.browser import schema
from pyqueue.constants import SCHEMA_VERSION
from pyqueue.task import TaskStatus

from ..contract_cases import LEASE, T0, make_task
from .conftest import load_file, open_harness, py
from .test_indexeddb_store import run

PRELUDE = """
import asyncio, json
from dataclasses import dataclass
from contract_cases import LEASE, T0, make_task
from pyqueue import Queue, QueueRunner, TaskRegistry
from pyqueue.browser import IndexedDBStore

runs = {}

@dataclass
class Work:
    n: object = None

async def count(payload: Work, ctx) -> dict:
    runs[ctx.task.id] = runs.get(ctx.task.id, 0) + 1
    return {"ran": True}

def nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value

async def deep_result(payload: Work, ctx) -> object:
    return nested(5_000)

async def deep_progress(payload: Work, ctx) -> object:
    await ctx.progress({"x": nested(5_000)})
    return "unreachable"

registry = TaskRegistry()
registry.register("count", count, payload=Work, max_attempts=1)
registry.register("deep_result", deep_result, payload=Work, max_attempts=1)
registry.register("deep_progress", deep_progress, payload=Work, max_attempts=1)
"""

WRITE_ROWS = """async ([name, version, rows, seq]) => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction(["tasks", "meta"], "readwrite");
    for (const row of rows) {
      if (row.data === "DEEP") row.data = '{"id":"' + row.id + '","x":' + "[".repeat(100000) + "]".repeat(100000) + "}";
      tx.objectStore("tasks").put(row);
    }
    if (seq !== null) tx.objectStore("meta").put(seq, "seq");
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


def prepare(page: Page) -> Page:
    load_file(page, "tests/contract_cases.py", "/home/pyodide/app/contract_cases.py")
    py(page, PRELUDE)
    return page


def write_rows(page: Page, db: str, rows: list[dict[str, Any]], seq: object = None) -> None:
    page.evaluate(WRITE_ROWS, [db, SCHEMA_VERSION, rows, seq])


def row(task_id: str, seq: int, **changes: Any) -> dict[str, Any]:
    """A row as pyqueue writes it for a pending ``count`` task, then *changes* on top (a hand-made corruption)."""
    task = make_task(task_id, task_type="count", payload={"n": seq}).replace(seq=seq)
    if changes.pop("scheduled", False):
        task = task.replace(status=TaskStatus.SCHEDULED, run_at=T0 + 1)
    if changes.pop("processing", False):
        task = task.replace(status=TaskStatus.PROCESSING, attempts=1, lease_owner="gone", lease_until=T0 + LEASE)
    return {**schema.encode(task), **changes}


def test_corrupted_rows_are_quarantined_once_and_the_runner_completes_the_next_task(harness_page: Page) -> None:
    page = prepare(harness_page)
    py(page, 'store = await IndexedDBStore.open("corrupt")\nstore.close()')
    # Given rows that pyqueue could not have written, straight from JavaScript
    write_rows(
        page,
        "corrupt",
        [
            {**row("loop-data", 1), "id": "loop-key"},  # its key is not the id in its data
            row("text-ready", 2, ready_pri="first"),
            row("text-due", 3, scheduled=True, due="soon"),
            row("text-lease", 4, processing=True, lease="later"),
            {**row("deep", 5), "data": "DEEP"},  # 200 KB of nesting in its data
            row("good-old", 6),
        ],
    )
    # When the page runs a queue over them, with a normal task enqueued after them
    result = run(
        page,
        """
store = await IndexedDBStore.open("corrupt")
queue = Queue(store, registry)
normal = await queue.enqueue("count", {"n": 7})
counts = await asyncio.wait_for(QueueRunner(queue).run_burst(), 30)
tasks = {t.id: t for t in await queue.tasks(limit=100)}
json.dumps({"normal": normal, "runs": runs, "completed": counts.completed,
            "status": {i: t.status.value for i, t in tasks.items()},
            "errors": {i: t.errors[-1].error for i, t in tasks.items() if t.errors}})
""",
    )
    # Then the normal and the sound old task ran once each, and nothing ran in a loop
    normal = result["normal"]
    assert result["runs"] == {normal: 1, "good-old": 1}, result["runs"]
    assert result["completed"] == 2
    # And every corrupted row is failed, under its own key, naming what is wrong
    for key, words in (
        ("loop-key", "stored under the key 'loop-key' but its data has the id 'loop-data'"),
        ("text-ready", "index field 'ready_pri' holds a str"),
        ("text-due", "index field 'due' holds a str"),
        ("text-lease", "index field 'lease' holds a str"),
        ("deep", "more than 67 levels deep"),
    ):
        assert result["status"][key] == "failed", (key, result["status"])
        assert result["errors"][key].startswith("broken task row: ") and words in result["errors"][key], key
    assert "loop-data" not in result["status"]
    # And the runtime is alive, and after a reload every row reads without trouble
    assert py(page, "1 + 1") == "2"
    open_harness(page)
    stats = run(prepare(page), "json.dumps((await (await IndexedDBStore.open('corrupt')).stats()).by_status)")
    assert stats["failed"] == 5 and stats["completed"] == 2 and stats["pending"] == 0


def test_a_meta_counter_of_text_or_1e300_still_lets_enqueue_work_and_lists_the_task(harness_page: Page) -> None:
    page = prepare(harness_page)
    py(
        page,
        'store = await IndexedDBStore.open("meta")\nqueue = Queue(store, registry)\nawait queue.enqueue("count", {})',
    )
    listed = []
    for bad in ("text", 1e300, 2**60, -5):
        write_rows(page, "meta", [], seq=bad)
        got = run(
            page,
            """
task_id = await queue.enqueue("count", {})
newest = await queue.tasks(limit=1)
json.dumps([task_id, newest[0].id, newest[0].seq])
""",
        )
        assert got[0] == got[1], (bad, got)  # the new task is listed first
        listed.append(got[2])
    assert listed == [2, 3, 4, 5]  # numbering resumes from the seq index


def test_deep_imports_and_deep_handler_output_leave_the_runtime_alive(harness_page: Page) -> None:
    page = prepare(harness_page)
    result = run(
        page,
        """
from pyqueue.jsondata import NotJSONData
from pyqueue.untrusted import loads
store = await IndexedDBStore.open("deep")
queue = Queue(store, registry)
good = make_task("fine", task_type="count").to_record()
records = [{**good, "id": "deep-payload", "payload": {"n": nested(5_000)}}, nested(5_000), good]
report = await queue.import_records(records)
try:
    loads("[" * 4_500 + "]" * 4_500, what="the file")
    refused = None
except NotJSONData as e:
    refused = str(e)
bad_result = await queue.enqueue("deep_result", {})
bad_progress = await queue.enqueue("deep_progress", {})
counts = await QueueRunner(queue).run_burst()
json.dumps({
    "added": report.added, "quarantined": [q.id for q in report.quarantined], "refused": refused,
    "failed": counts.failed, "completed": counts.completed,
    "result_error": (await queue.get(bad_result)).errors[-1].error,
    "progress_error": (await queue.get(bad_progress)).errors[-1].error,
    "export": len(json.dumps(await queue.export_records(), allow_nan=False)) > 0,
})
""",
    )
    assert result["added"] == ["fine"] and result["quarantined"][0] == "deep-payload"
    assert len(result["quarantined"]) == 2 and result["quarantined"][1].startswith("broken-")
    assert result["refused"] == "the file nests lists and objects more than 64 levels deep"
    assert result["completed"] == 1 and result["failed"] == 2
    assert "handler returned a result that is not JSON data" in result["result_error"]
    assert "levels deep" in result["result_error"]
    assert "handler reported progress that is not JSON data" in result["progress_error"]
    assert result["export"] is True
    assert py(page, "sum(range(10))") == "45"  # the runtime is alive

"""The IndexedDB row shape and migrations, under CPython (the browser package imports without Pyodide)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from pyqueue import transitions
from pyqueue.browser import IndexedDBStore, schema
from pyqueue.constants import SCHEMA_VERSION
from pyqueue.task import BrokenRecord, TaskStatus

from .contract_cases import LEASE, T0, make_task

INDEX_FIELDS = {
    schema.READY,
    schema.DUE,
    schema.LEASE,
    schema.UKEY,
    schema.SEQ,
    schema.STATUS_SEQ,
    schema.STATUS_TYPE,
    schema.STATUS_FINISHED,
    schema.FINISHED,
    schema.PARKED,
}


def index_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k in INDEX_FIELDS}


def test_the_browser_package_imports_without_pyodide() -> None:
    assert IndexedDBStore.__name__ == "IndexedDBStore"


def test_a_pending_task_is_indexed_for_claiming_in_priority_then_fifo_order() -> None:
    task = make_task("a", priority=7, unique_key="k").replace(seq=12)
    row = schema.encode(task)
    assert row["id"] == "a"
    assert index_fields(row) == {
        "ready": [-7, 12],
        "ukey": "k",
        "seq": 12,
        "status_seq": ["pending", 12],
        "status_type": ["pending", "noop"],
    }


def test_a_scheduled_task_is_indexed_by_due_time_only() -> None:
    row = schema.encode(make_task("a", run_at=T0 + 5).replace(seq=1))
    assert row["due"] == T0 + 5
    assert not {"ready", "lease", "status_finished", "finished", "parked", "ukey"} & row.keys()


def test_a_parked_task_is_indexed_as_parked_in_enqueue_order() -> None:
    running = transitions.claim(make_task("a").replace(seq=6), owner="r1", now=T0, lease_ms=LEASE)
    row = schema.encode(transitions.park(running, owner="r1", now=T0, reason="offline"))
    assert row["parked"] == 6 and "due" in row and "ready" not in row


def test_a_processing_task_is_indexed_by_lease_end_and_one_without_lease_as_long_expired() -> None:
    task = transitions.claim(make_task("a").replace(seq=1), owner="r1", now=T0, lease_ms=LEASE)
    assert schema.encode(task)["lease"] == T0 + LEASE
    assert schema.encode(task.replace(lease_until=None))["lease"] == -math.inf
    assert "ready" not in schema.encode(task)


def test_a_finished_task_is_indexed_for_purging_by_status_and_age() -> None:
    task = transitions.cancel(make_task("a").replace(seq=3), T0 + 9)
    row = schema.encode(task)
    assert row["status_finished"] == ["cancelled", T0 + 9]
    assert row["finished"] == [T0 + 9, 3]
    assert row["status_seq"] == ["cancelled", 3]
    assert not {"ready", "due", "lease"} & row.keys()


def test_a_unique_key_is_indexed_so_the_database_enforces_it() -> None:
    assert schema.encode(make_task("a", unique_key="k"))["ukey"] == "k"
    assert "ukey" not in schema.encode(make_task("b"))


def test_data_keeps_none_values_and_decodes_to_the_same_task() -> None:
    task = make_task("a", payload={"n": None, "s": "é <b>", "l": [1.5, True]}).replace(seq=4)
    row = schema.encode(task)
    assert json.loads(row["data"]) == task.to_record()
    assert schema.decode(row["data"], "a") == task


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (None, "no 'data'"),
        ("{not json", "not valid JSON"),
        ("[1]", "list"),
        ("[" * 5_000 + "]" * 5_000, "levels deep"),
        ('{"id": "a", "x": ' + "[" * 200 + "]" * 200 + "}", "levels deep"),
    ],
)
def test_unreadable_data_is_a_broken_record(data: object, words: str) -> None:
    with pytest.raises(BrokenRecord, match=words):
        schema.decode(data, "a")


def test_a_row_whose_key_is_not_its_tasks_id_is_a_broken_record() -> None:
    # A claim would write the task back under its own id while this row stayed pending: a loop
    data = schema.encode(make_task("b"))["data"]
    with pytest.raises(BrokenRecord, match="stored under the key 'a' but its data has the id 'b'"):
        schema.decode(data, "a")
    with pytest.raises(BrokenRecord, match="key of type int"):
        schema.decode(data, 7)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [(None, 0), (41, 41), (41.0, 41), ("41", 0), (math.nan, 0), (1e300, 0), (2**53, 0), (-3, 0), (1.5, 0)],
)
def test_the_meta_counter_is_used_only_when_it_is_a_safe_whole_number(stored: object, expected: int) -> None:
    assert schema.counter(stored) == expected


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"due": "soon"}, "'due' holds a str"),
        ({"lease": [1]}, "'lease' holds a list"),
        ({"seq": True}, "'seq' holds a bool"),
        ({"ready": "first"}, "'ready' holds a str"),
        ({"ready": 5}, "'ready' holds a int"),
    ],
)
def test_index_fields_pyqueue_could_not_have_written_are_named(fields: dict[str, object], words: str) -> None:
    problem = schema.index_problem(fields)
    assert problem is not None and words in problem
    assert schema.index_problem({"due": 5.0, "lease": -math.inf, "seq": 3, "ready": [0, 1], "parked": None}) is None


def test_a_quarantined_row_keeps_its_key_and_names_the_reason() -> None:
    task = schema.quarantined("row-key", '{"id": "other", "type": "email", "seq": 9}', "field 'x' is missing", T0)
    assert (task.id, task.type, task.seq, task.status) == ("row-key", "email", 9, TaskStatus.FAILED)
    assert "field 'x' is missing" in task.errors[-1].error
    assert schema.quarantined("k2", "garbage", "bad", T0).id == "k2"


def test_a_row_written_before_meta_reads_as_empty_meta_and_a_hostile_meta_is_quarantined_without_it() -> None:
    record = make_task("a").to_record()
    del record["meta"]
    assert schema.decode(json.dumps(record), "a").meta == {}
    hostile = json.dumps({**record, "meta": {"by": "<img src=x onerror=alert(1)>", "n": [1e400]}})
    with pytest.raises(BrokenRecord, match=r"field 'meta' is not valid: meta\.n\[0\] is inf"):
        schema.decode(hostile, "a")
    kept = schema.quarantined("a", hostile, "field 'meta' is not valid", T0)
    assert kept.meta == {} and kept.status is TaskStatus.FAILED
    # A row broken elsewhere keeps its (valid) meta: it says who enqueued the task
    tagged = json.dumps({**record, "status": "exploded", "meta": {"by": "alice"}})
    assert schema.quarantined("a", tagged, "unknown status", T0).meta == {"by": "alice"}


class FakeStore:
    def __init__(self, log: list[str], name: str) -> None:
        self.log, self.name = log, name

    def createIndex(self, name: str, key_path: str, **options: Any) -> None:
        self.log.append(f"index {self.name}.{name}{' unique' if options.get('unique') else ''}")


class FakeDB:
    def __init__(self) -> None:
        self.log: list[str] = []

    def createObjectStore(self, name: str, **options: Any) -> FakeStore:
        self.log.append(f"store {name} {options}")
        return FakeStore(self.log, name)


def test_migrations_cover_every_version_and_v1_creates_the_stores_and_indexes() -> None:
    assert sorted(schema.MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))
    db = FakeDB()
    schema.upgrade(db, None, 0, 1)
    assert db.log[0] == "store tasks {'keyPath': 'id'}"
    assert db.log[-1] == "store meta {}"
    indexes = {line.split(".", 1)[1] for line in db.log if line.startswith("index")}
    assert indexes == (INDEX_FIELDS - {"ukey"}) | {"ukey unique"}
    nothing = FakeDB()
    schema.upgrade(nothing, None, SCHEMA_VERSION, SCHEMA_VERSION)
    assert nothing.log == []


def test_a_pending_task_is_also_indexed_per_type_and_a_waiting_one_only_by_what_it_waits_on() -> None:
    pending = schema.encode(make_task("a", priority=7, task_type="api").replace(seq=12))
    assert pending[schema.READY_TYPE] == ["api", -7, 12]
    waiting = schema.encode(make_task("b", depends_on=("x", "y")).replace(seq=13))
    assert waiting[schema.WAITS] == ["x", "y"]
    assert not {"ready", "ready_type", "due", "lease", "finished", "parked"} & waiting.keys()
    assert schema.decode(waiting["data"], "b").waiting_on == ("x", "y")

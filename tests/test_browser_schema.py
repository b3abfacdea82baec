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
    schema.READY_PRI,
    schema.WAITS,
    schema.DUE,
    schema.LEASE,
    schema.UKEY,
    schema.SEQ,
    schema.STATUS,
    schema.TYPE,
    schema.FINISHED_AT,
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
    assert index_fields(row) == {"ready_pri": -7, "ukey": "k", "seq": 12, "status": "pending", "type": "noop"}
    assert schema.INDEXES[schema.READY] == ["ready_pri", "seq"]


def test_a_new_task_is_written_without_a_number_for_the_key_generator_to_give() -> None:
    row = schema.encode(make_task("a"), numbered=False)
    assert "seq" not in row and row["ready_pri"] == 0 and row["id"] == "a"


def test_a_scheduled_task_is_indexed_by_due_time_only() -> None:
    row = schema.encode(make_task("a", run_at=T0 + 5).replace(seq=1))
    assert row["due"] == T0 + 5
    assert not {"ready", "lease", "status_finished", "finished", "parked", "ukey"} & row.keys()


def test_a_parked_task_is_indexed_as_parked_in_enqueue_order() -> None:
    running = transitions.claim(make_task("a").replace(seq=6), owner="r1", now=T0, lease_ms=LEASE)
    row = schema.encode(transitions.park(running, owner="r1", now=T0, reason="offline"))
    assert row["parked"] == 0 and row["seq"] == 6 and "due" in row and "ready_pri" not in row
    assert schema.INDEXES[schema.PARKED] == ["parked", "seq"]


def test_a_processing_task_is_indexed_by_lease_end_and_one_without_lease_as_long_expired() -> None:
    task = transitions.claim(make_task("a").replace(seq=1), owner="r1", now=T0, lease_ms=LEASE)
    assert schema.encode(task)["lease"] == T0 + LEASE
    assert schema.encode(task.replace(lease_until=None))["lease"] == -math.inf
    assert "ready_pri" not in schema.encode(task)


def test_a_finished_task_is_indexed_for_purging_by_status_and_age() -> None:
    task = transitions.cancel(make_task("a").replace(seq=3), T0 + 9)
    row = schema.encode(task)
    assert (row["status"], row["finished_at"], row["seq"]) == ("cancelled", T0 + 9, 3)
    assert schema.INDEXES[schema.STATUS_FINISHED] == ["status", "finished_at"]
    assert schema.INDEXES[schema.FINISHED] == ["finished_at", "seq"]
    assert not {"ready_pri", "due", "lease"} & row.keys()


def test_a_unique_key_is_indexed_so_the_database_enforces_it() -> None:
    assert schema.encode(make_task("a", unique_key="k"))["ukey"] == "k"
    assert "ukey" not in schema.encode(make_task("b"))


def test_data_keeps_none_values_and_decodes_to_the_same_task() -> None:
    task = make_task("a", payload={"n": None, "s": "é <b>", "l": [1.5, True]}).replace(seq=4)
    row = schema.encode(task)
    assert json.loads(row["data"]) == task.to_record()
    assert schema.decode(row["data"], "a", 4) == task


def test_the_number_is_the_rows_key_not_the_one_in_its_data() -> None:
    # A new row's data is written before the key generator numbers it
    data = schema.encode(make_task("a").replace(seq=0))["data"]
    assert schema.decode(data, "a", 17).seq == 17
    for bad in ("17", 1.5, -1, 2**53, None):
        with pytest.raises(BrokenRecord, match="key 'seq'"):
            schema.decode(data, "a", bad)


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
        schema.decode(data, "a", 1)


def test_a_row_whose_key_is_not_its_tasks_id_is_a_broken_record() -> None:
    # A claim would write the task back under its own id while this row stayed pending: a loop
    data = schema.encode(make_task("b"))["data"]
    with pytest.raises(BrokenRecord, match="stored under the key 'a' but its data has the id 'b'"):
        schema.decode(data, "a", 1)
    with pytest.raises(BrokenRecord, match="key of type int"):
        schema.decode(data, 7, 1)


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
        ({"ready_pri": "first"}, "'ready_pri' holds a str"),
        ({"parked": [0]}, "'parked' holds a list"),
    ],
)
def test_index_fields_pyqueue_could_not_have_written_are_named(fields: dict[str, object], words: str) -> None:
    problem = schema.index_problem(fields)
    assert problem is not None and words in problem
    assert schema.index_problem({"due": 5.0, "lease": -math.inf, "seq": 3, "ready_pri": 0, "parked": None}) is None


def test_a_quarantined_row_keeps_its_key_and_names_the_reason() -> None:
    task = schema.quarantined("row-key", '{"id": "other", "type": "email", "seq": 9}', "field 'x' is missing", T0)
    assert (task.id, task.type, task.seq, task.status) == ("row-key", "email", 9, TaskStatus.FAILED)
    assert "field 'x' is missing" in task.errors[-1].error
    assert schema.quarantined("k2", "garbage", "bad", T0).id == "k2"


def test_a_row_written_before_meta_reads_as_empty_meta_and_a_hostile_meta_is_quarantined_without_it() -> None:
    record = make_task("a").to_record()
    del record["meta"]
    assert schema.decode(json.dumps(record), "a", 0).meta == {}
    hostile = json.dumps({**record, "meta": {"by": "<img src=x onerror=alert(1)>", "n": [1e400]}})
    with pytest.raises(BrokenRecord, match=r"field 'meta' is not valid: meta\.n\[0\] is inf"):
        schema.decode(hostile, "a", 0)
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
    version_1 = {"ready", "due", "lease", "seq", "status_seq", "status_type", "status_finished", "finished", "parked"}
    assert indexes == version_1 | {"ukey unique"}
    nothing = FakeDB()
    schema.upgrade(nothing, None, SCHEMA_VERSION, SCHEMA_VERSION)
    assert nothing.log == []


def test_a_pending_task_is_also_indexed_per_type_and_a_waiting_one_only_by_what_it_waits_on() -> None:
    pending = schema.encode(make_task("a", priority=7, task_type="api").replace(seq=12))
    assert [pending[field] for field in schema.INDEXES[schema.READY_TYPE]] == ["api", -7, 12]
    waiting = schema.encode(make_task("b", depends_on=("x", "y")).replace(seq=13))
    assert waiting[schema.WAITS] == ["x", "y"]
    assert not {"ready_pri", "due", "lease", "finished_at", "parked"} & waiting.keys()
    assert schema.decode(waiting["data"], "b", 13).waiting_on == ("x", "y")


def test_a_copied_task_keeps_its_number_unless_an_earlier_one_has_it() -> None:
    # Given old rows, two of them sharing a number (an import keeps its records' numbers)
    renumbering = schema.Renumbering(T0)
    rows = [make_task(i).replace(seq=n) for i, n in (("a", 5), ("b", 2), ("c", 5), ("d", 9))]
    kept = [renumbering.take(schema.encode(t)["data"], t.id) for t in rows]
    # Then each keeps its own number, but the later of the two is held back and numbered after the rest
    assert [t and t.seq for t in kept] == [5, 2, None, 9]
    past, later = renumbering.finish(12)
    assert past == 12 and [t.id for t in later] == ["c"]
    assert renumbering.finish(9)[0] is None  # the rows already pass the old counter
    assert renumbering.finish("junk")[0] is None


def test_a_copied_broken_row_is_quarantined_and_a_second_holder_of_a_unique_key_held_back() -> None:
    renumbering = schema.Renumbering(T0)
    broken = renumbering.take("{not json", "x")
    assert broken is not None and broken.status is TaskStatus.FAILED and broken.id == "x" and broken.seq == 0
    # A key pyqueue never wrote: kept as a failed task under an id of its own; its number 0 is taken by "x"
    assert renumbering.take("{}", 7) is None
    first = make_task("k1", unique_key="k").replace(seq=3)
    second = make_task("k2", unique_key="k").replace(seq=4)
    assert renumbering.take(schema.encode(first)["data"], "k1") == first
    assert renumbering.take(schema.encode(second)["data"], "k2") is None
    other, held = renumbering.finish(0)[1]
    assert other.id.startswith("broken-") and other.status is TaskStatus.FAILED
    assert held.id == "k2" and held.status is TaskStatus.FAILED and "held by task 'k1'" in held.errors[-1].error


def test_an_import_keeps_numbers_that_are_free_and_numbers_the_others_afresh() -> None:
    a, b, c, d = (make_task(i).replace(seq=n) for i, n in (("a", 1), ("b", 3), ("c", 3), ("d", 8)))
    # "a" is stored under 1 already (replaced in place), "d" is stored under 4 and moves to 8, 3 is free
    places = schema.place_imports([a, b, c, d], {"a": 1, "d": 4}, {1})
    assert places.delete == [4]
    assert [t.id for t in places.keep] == ["a", "b", "d"] and [t.id for t in places.fresh] == ["c"]
    assert [t.id for t in schema.place_imports([a], {}, {1}).fresh] == ["a"]  # another task holds 1

from __future__ import annotations

import dataclasses
import json

import pytest

from pyqueue.task import AttemptError, BrokenRecord, Task, TaskStatus

from .contract_cases import make_task


def test_a_task_survives_its_json_record_unchanged() -> None:
    task = make_task("a", unique_key="k").replace(
        errors=(AttemptError(1, 5.0, "ValueError: x", "Traceback ..."),), result={"r": [1, None]}
    )
    assert Task.from_record(json.loads(json.dumps(task.to_record()))) == task


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"status": "exploded"}, "unknown status 'exploded'"),
        ({"priority": "high"}, "field 'priority' should be int, got str"),
        ({"priority": True}, "field 'priority' should be int, got bool"),
        ({"run_at": "soon"}, "field 'run_at' should be a time"),
        ({"payload": [1]}, "field 'payload' should be dict"),
        ({"errors": [{"at": 1}]}, "errors[0] is malformed"),
    ],
)
def test_a_broken_record_names_its_problem(change: dict[str, object], words: str) -> None:
    record = {**make_task("a").to_record(), **change}
    with pytest.raises(BrokenRecord) as info:
        Task.from_record(record)
    assert words in str(info.value)


def test_a_record_missing_a_field_says_which() -> None:
    record = make_task("a").to_record()
    del record["seq"]
    with pytest.raises(BrokenRecord, match="field 'seq' is missing"):
        Task.from_record(record)


def test_finished_statuses() -> None:
    assert [s.finished for s in TaskStatus] == [False, False, False, False, True, True, True]


def test_meta_survives_the_record_and_a_record_from_before_meta_reads_as_empty_meta() -> None:
    task = make_task("a").replace(meta={"by": "alice", "trace": ["c-1", 2, None]})
    assert Task.from_record(json.loads(json.dumps(task.to_record()))) == task
    old = make_task("a").to_record()
    del old["meta"]
    assert Task.from_record(old).meta == {}
    assert Task.from_record({**old, "meta": None}).meta == {}


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        (["by", "alice"], "meta is a list, not an object"),
        ("alice", "meta is a str, not an object"),
        ({"n": float("nan")}, r"meta\.n is nan"),
        ({"d": json.loads("[" * 70 + "]" * 70)}, "nested more than 64 levels"),
        ({"big": "x" * 20_000}, "over the limit of 16384 bytes"),
    ],
)
def test_a_stored_meta_that_is_not_a_small_object_of_json_data_is_a_broken_record(meta: object, words: str) -> None:
    record = {**make_task("a").to_record(), "meta": meta}
    with pytest.raises(BrokenRecord, match=f"field 'meta' is not valid: .*{words}"):
        Task.from_record(record)


def test_replace_changes_only_the_named_fields_and_keeps_every_other_one() -> None:
    task = make_task("a", unique_key="k").replace(depends_on=("b",), waiting_on=("b",), meta={"by": "me"})
    changes = {
        "status": TaskStatus.PROCESSING,
        "attempts": 2,
        "lease_owner": "runner-1",
        "lease_until": 99.0,
        "errors": (AttemptError(1, 5.0, "x"),),
        "result": {"r": 1},
    }
    changed = task.replace(**changes)
    assert changed == dataclasses.replace(task, **changes)
    for field in dataclasses.fields(Task):
        expected = changes.get(field.name, getattr(task, field.name))
        assert getattr(changed, field.name) is expected, field.name
    assert task.replace() == task and task.replace() is not task


def test_replace_refuses_a_name_that_is_not_a_field() -> None:
    with pytest.raises(TypeError, match="no field 'colour'"):
        make_task("a").replace(colour="red")

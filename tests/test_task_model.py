from __future__ import annotations

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

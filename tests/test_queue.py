"""The queue API: what enqueue accepts, what it refuses (writing nothing), and the task operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pyqueue import (
    InvalidMeta,
    InvalidOption,
    InvalidPayload,
    InvalidStateChange,
    MemoryStore,
    Queue,
    QueueFull,
    TaskContext,
    TaskNotFound,
    TaskRegistry,
    TaskSpec,
    TaskStatus,
    UnknownTaskType,
)

from .async_support import run
from .fakes import FakeClock


@dataclass
class Extract:
    unit_id: str
    weight: float = 1.0
    tags: list[str] = field(default_factory=list)
    note: str | None = None


async def extract(payload: Extract, ctx: TaskContext) -> dict[str, Any]:
    return {"unit": payload.unit_id}


def make_queue(**options: Any) -> tuple[Queue, MemoryStore, FakeClock]:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    registry = TaskRegistry()
    registry.register("extract", extract)
    return Queue(store, registry, clock=clock, **options), store, clock


def test_enqueue_stores_a_pending_task_with_its_validated_payload() -> None:
    queue, _, clock = make_queue()
    task_id = run(queue.enqueue("extract", Extract("u1", tags=["a"]), priority=5))
    task = run(queue.get(task_id))
    assert task.status is TaskStatus.PENDING and task.priority == 5 and task.run_at == clock.now
    assert task.payload == {"unit_id": "u1", "weight": 1.0, "tags": ["a"], "note": None}
    assert task.max_attempts == 3 and task.attempts == 0 and task.created_at == clock.now


def test_a_mapping_payload_is_checked_against_the_dataclass() -> None:
    queue, _, _ = make_queue()
    task = run(queue.get(run(queue.enqueue("extract", {"unit_id": "u1", "weight": 2}))))
    assert task.payload["weight"] == 2.0


def test_a_delay_makes_the_task_scheduled_until_due() -> None:
    queue, _, clock = make_queue()
    task = run(queue.get(run(queue.enqueue("extract", {"unit_id": "u"}, delay_ms=5_000))))
    assert task.status is TaskStatus.SCHEDULED and task.run_at == clock.now + 5_000


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"unit_id": 3}, "payload.unit_id must be a string, got int 3"),
        ({}, "missing the required field 'unit_id'"),
        ({"unit_id": "u", "extra": 1}, "unexpected field(s) extra"),
        ({"unit_id": "u", "weight": float("nan")}, "payload.weight is nan"),
        ({"unit_id": "u", "weight": float("inf")}, "payload.weight is inf"),
        ({"unit_id": "u", "tags": "abc"}, "payload.tags must be a list"),
        ({"unit_id": "u", "tags": [b"x"]}, "payload.tags[0] must be a string"),
        ({"unit_id": "u", "weight": True}, "payload.weight must be a number, got bool"),
        ("just text", "expected a Extract or a mapping of its fields, got str"),
        (Extract("u", note="x" * 2_000_000), "over the limit of 1048576 bytes"),
    ],
)
def test_a_bad_payload_is_refused_with_its_reason_and_nothing_is_written(payload: object, words: str) -> None:
    queue, store, _ = make_queue()
    with pytest.raises(InvalidPayload) as info:
        run(queue.enqueue("extract", payload))
    assert words in str(info.value) and "'extract'" in str(info.value)
    assert run(store.stats()).total == 0


def test_an_unknown_task_type_names_the_known_ones() -> None:
    queue, store, _ = make_queue()
    with pytest.raises(UnknownTaskType, match=r"unknown task type 'nope' \(known types: extract\)"):
        run(queue.enqueue("nope", {}))
    assert run(store.stats()).total == 0


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"priority": 1001}, "priority"),
        ({"priority": -1001}, "priority"),
        ({"priority": 1.5}, "priority"),
        ({"priority": True}, "priority"),
        ({"delay_ms": -1}, "delay_ms"),
        ({"delay_ms": float("nan")}, "delay_ms"),
        ({"delay_ms": "5"}, "delay_ms"),
        ({"run_at": 9e15}, "run_at"),
        ({"delay_ms": 1, "run_at": 1}, "delay_ms"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": 10_000}, "max_attempts"),
        ({"unique_key": ""}, "unique_key"),
        ({"unique_key": 7}, "unique_key"),
    ],
)
def test_a_bad_option_is_refused_and_nothing_is_written(options: dict[str, Any], option: str) -> None:
    queue, store, _ = make_queue()
    with pytest.raises(InvalidOption) as info:
        run(queue.enqueue("extract", {"unit_id": "u"}, **options))
    assert info.value.option == option
    assert run(store.stats()).total == 0


def test_meta_is_kept_as_given_and_a_copy_so_a_later_change_of_the_callers_dict_does_not_reach_it() -> None:
    queue, _, _ = make_queue()
    given: dict[str, Any] = {"by": "alice", "correlation": {"id": "c-1", "hops": [1, 2]}}
    task_id = run(queue.enqueue("extract", {"unit_id": "u"}, meta=given))
    given["by"] = "mallory"
    assert run(queue.get(task_id)).meta == {"by": "alice", "correlation": {"id": "c-1", "hops": [1, 2]}}
    (plain,) = run(queue.enqueue_many([TaskSpec("extract", {"unit_id": "v"})]))
    assert run(queue.get(plain)).meta == {}


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"d": value}
    return value


def _cycle() -> dict[str, Any]:
    value: dict[str, Any] = {}
    value["self"] = value
    return value


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        (["by", "alice"], "expected a mapping of text keys to JSON data, got list"),
        ({"at": object()}, "meta.at is of type object, which is not JSON data"),
        ({"n": float("inf")}, "meta.n is inf, which JSON cannot represent"),
        ({1: "x"}, "meta has a key 1 that is not a string"),
        (_nested(65), "nested more than 64 levels deep"),
        (_cycle(), "contains itself"),
        ({"note": "x" * 20_000}, "meta is 20011 bytes of JSON, over the limit of 16384 bytes"),
    ],
)
def test_bad_meta_is_refused_with_its_reason_and_nothing_is_written(meta: Any, words: str) -> None:
    queue, store, _ = make_queue()
    with pytest.raises(InvalidMeta, match="invalid task meta: ") as info:
        run(queue.enqueue("extract", {"unit_id": "u"}, meta=meta))
    assert words in info.value.reason
    with pytest.raises(InvalidMeta):
        specs = [TaskSpec("extract", {"unit_id": "a"}), TaskSpec("extract", {"unit_id": "b"}, meta=meta)]
        run(queue.enqueue_many(specs))
    assert run(store.stats()).total == 0
    run(queue.enqueue("extract", {"unit_id": "u"}, meta=_nested(63)))  # the deepest allowed


def test_enqueue_many_is_all_or_nothing_when_one_spec_is_bad() -> None:
    queue, store, _ = make_queue()
    specs = [TaskSpec("extract", {"unit_id": "a"}), TaskSpec("extract", {"unit_id": 1})]
    with pytest.raises(InvalidPayload):
        run(queue.enqueue_many(specs))
    assert run(store.stats()).total == 0
    ids = run(queue.enqueue_many([TaskSpec("extract", {"unit_id": "a"}), TaskSpec("extract", {"unit_id": "b"})]))
    assert len(set(ids)) == 2


def test_a_unique_key_returns_the_existing_task_and_adds_nothing() -> None:
    queue, store, _ = make_queue()
    first = run(queue.enqueue("extract", {"unit_id": "a"}, unique_key="unit:a"))
    again = run(queue.enqueue("extract", {"unit_id": "a"}, unique_key="unit:a"))
    assert first == again and run(store.stats()).total == 1


def test_max_size_refuses_past_the_limit() -> None:
    queue, _, _ = make_queue(max_size=2)
    run(queue.enqueue_many([TaskSpec("extract", {"unit_id": "a"}), TaskSpec("extract", {"unit_id": "b"})]))
    with pytest.raises(QueueFull, match="maximum of 2"):
        run(queue.enqueue("extract", {"unit_id": "c"}))


def test_enqueue_listeners_hear_about_new_tasks_only() -> None:
    queue, _, _ = make_queue()
    heard: list[str] = []
    queue.on_enqueue(lambda tasks: heard.extend(t.id for t in tasks))
    first = run(queue.enqueue("extract", {"unit_id": "a"}, unique_key="k"))
    run(queue.enqueue("extract", {"unit_id": "a"}, unique_key="k"))
    assert heard == [first]


def test_get_cancel_and_retry_of_unknown_ids_raise_task_not_found() -> None:
    queue, _, _ = make_queue()
    for call in (queue.get, queue.cancel, queue.retry):
        with pytest.raises(TaskNotFound, match="no task with id 'zz'"):
            run(call("zz"))


def test_cancel_then_retry() -> None:
    queue, _, _ = make_queue()
    task_id = run(queue.enqueue("extract", {"unit_id": "a"}))
    assert run(queue.cancel(task_id)).status is TaskStatus.CANCELLED
    with pytest.raises(InvalidStateChange, match="it is cancelled"):
        run(queue.cancel(task_id))
    assert run(queue.retry(task_id)).status is TaskStatus.PENDING


def test_purge_refuses_waiting_statuses_and_validates_its_options() -> None:
    queue, _, _ = make_queue()
    with pytest.raises(InvalidOption, match="only completed, failed or cancelled"):
        run(queue.purge(["pending"]))
    with pytest.raises(InvalidOption, match="must be one of"):
        run(queue.purge(["done"]))
    with pytest.raises(InvalidOption):
        run(queue.purge(older_than_ms=-1))


def test_tasks_filters_by_status_name() -> None:
    queue, _, _ = make_queue()
    run(queue.enqueue("extract", {"unit_id": "a"}))
    assert len(run(queue.tasks("pending"))) == 1 and run(queue.tasks("failed")) == []
    with pytest.raises(InvalidOption):
        run(queue.tasks("weird"))

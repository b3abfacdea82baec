from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import pytest

from pyqueue import InvalidOption, TaskContext, TaskRegistry, UnknownTaskType
from pyqueue.payload import PayloadMismatch, dump_payload, load_payload


@dataclass
class Inner:
    score: float


@dataclass
class Outer:
    kind: Literal["a", "b"]
    inner: Inner
    by_name: dict[str, int]
    maybe: int | None = None


def test_the_payload_type_comes_from_the_handlers_annotation() -> None:
    registry = TaskRegistry()

    @registry.task("outer")
    async def handle(payload: Outer, ctx: TaskContext) -> None:
        return None

    assert registry.get("outer").payload_type is Outer and registry.names == ["outer"]


@dataclass
class Node:
    name: str
    children: list[Node]


def test_a_payload_dataclass_that_contains_itself_is_loaded_at_any_depth_and_checked_each_time() -> None:
    # Loaders are made once per type: a type that refers to itself must not recurse while they are made.
    data = {"name": "a", "children": [{"name": "b", "children": [{"name": "c", "children": []}]}]}
    assert load_payload(Node, data) == Node("a", [Node("b", [Node("c", [])])])
    bad = {"name": "a", "children": [{"name": "b", "children": [{"name": 3, "children": []}]}]}
    with pytest.raises(PayloadMismatch, match=r"payload\.children\[0\]\.children\[0\]\.name must be a string"):
        load_payload(Node, bad)
    with pytest.raises(PayloadMismatch, match=r"payload\.children\[0\] has unexpected field\(s\) x for Node"):
        load_payload(Node, {"name": "a", "children": [{"name": "b", "children": [], "x": 1}]})
    with pytest.raises(PayloadMismatch, match=r"payload is missing the required field 'children' of Node"):
        load_payload(Node, {"name": "a"})


def test_registering_needs_a_dataclass_payload_and_a_fresh_name() -> None:
    registry = TaskRegistry()
    with pytest.raises(InvalidOption, match="needs a dataclass payload"):
        registry.register("x", lambda payload, ctx: None)
    registry.register("x", lambda payload, ctx: None, payload=Inner)
    with pytest.raises(InvalidOption, match="already registered"):
        registry.register("x", lambda payload, ctx: None, payload=Inner)
    with pytest.raises(UnknownTaskType):
        registry.get("y")


def test_a_handler_that_cannot_take_a_payload_and_a_context_is_refused_when_registered() -> None:
    async def one(payload: Inner) -> None:
        pass

    async def three(payload: Inner, ctx: TaskContext, extra: int) -> None:
        pass

    async def flexible(payload: Inner, ctx: TaskContext | None = None, *rest: object) -> None:
        pass

    registry = TaskRegistry()
    for handler in (one, three):
        with pytest.raises(InvalidOption, match=r"must accept \(payload, ctx\)"):
            registry.register(handler.__name__, handler)
    assert registry.names == []
    registry.register("flexible", flexible)
    registry.register("lambda", lambda payload, ctx: None, payload=Inner)
    assert registry.names == ["flexible", "lambda"]


def test_nested_payloads_are_loaded_and_checked_field_by_field() -> None:
    data = {"kind": "a", "inner": {"score": 1}, "by_name": {"x": 2}}
    outer = load_payload(Outer, data)
    assert outer == Outer("a", Inner(1.0), {"x": 2})
    assert dump_payload(outer) == {**data, "inner": {"score": 1.0}, "maybe": None}
    with pytest.raises(PayloadMismatch, match=r"payload.kind must be one of \('a', 'b'\), got 'c'"):
        load_payload(Outer, {**data, "kind": "c"})
    with pytest.raises(PayloadMismatch, match=r"payload\.by_name\.x must be an integer"):
        load_payload(Outer, {**data, "by_name": {"x": "2"}})
    with pytest.raises(PayloadMismatch, match=r"payload\.inner must be an object"):
        load_payload(Outer, {**data, "inner": 3})


@dataclass
class Flat:
    name: str
    count: int
    score: float
    on: bool
    note: str | None = None


@dataclass
class Tagged:
    name: str
    tags: list[str]
    by_name: dict[str, int]


def test_a_dumped_payload_is_what_asdict_gives_and_shares_no_container_with_the_instance() -> None:
    # Given a flat payload (read without asdict's walk) and ones holding containers (copied by asdict)
    flat = Flat("a", 1, 2.5, True)
    tagged = Tagged("t", ["x"], {"x": 2})
    outer = Outer("a", Inner(1.0), {"x": 2})
    # When they are dumped, and the instances are changed afterwards
    flat_data, tagged_data, outer_data = dump_payload(flat), dump_payload(tagged), dump_payload(outer)
    tagged.tags.append("y")
    tagged.by_name["x"] = 3
    outer.by_name["x"] = 3
    outer.inner.score = 9.0
    # Then the data are asdict's, keys in field order, and the enqueued copies did not change
    assert flat_data == dataclasses.asdict(Flat("a", 1, 2.5, True))
    assert list(flat_data) == ["name", "count", "score", "on", "note"]
    assert tagged_data == {"name": "t", "tags": ["x"], "by_name": {"x": 2}}
    assert outer_data == {"kind": "a", "inner": {"score": 1.0}, "by_name": {"x": 2}, "maybe": None}

from __future__ import annotations

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


def test_registering_needs_a_dataclass_payload_and_a_fresh_name() -> None:
    registry = TaskRegistry()
    with pytest.raises(InvalidOption, match="needs a dataclass payload"):
        registry.register("x", lambda payload, ctx: None)
    registry.register("x", lambda payload, ctx: None, payload=Inner)
    with pytest.raises(InvalidOption, match="already registered"):
        registry.register("x", lambda payload, ctx: None, payload=Inner)
    with pytest.raises(UnknownTaskType):
        registry.get("y")


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

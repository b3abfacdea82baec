"""The JSON data check: its quick pass over plain values never accepts what the full walk refuses."""

from __future__ import annotations

import collections
import enum
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyqueue.jsondata import MAX_NODES, NotJSONData, _plainly_valid, _walk, check_json_data


class Level(enum.IntEnum):
    LOW = 1


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**1020, max_value=2**1030),
    st.floats(),  # NaN and the infinities too
    st.text(),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2),  # lone surrogates
    st.just(Level.LOW),
    st.just(()),
    st.just(b"x"),
)
keys = st.one_of(st.text(max_size=3), st.integers(0, 3), st.just("\ud800"), st.just(None))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=4),
        st.dictionaries(st.text(max_size=3), inner, max_size=3).map(collections.OrderedDict),
        st.lists(inner, max_size=3).map(tuple),
    ),
    max_leaves=30,
)


def verdict(check: Any, value: object, max_depth: int) -> str | None:
    try:
        check(value, "payload", max_depth=max_depth)
    except NotJSONData as e:
        return str(e)
    return None


def walk(value: object, path: str, *, max_depth: int) -> None:
    _walk(value, path, max_depth)


@settings(max_examples=400)
@given(value=values, max_depth=st.integers(0, 5))
def test_the_check_refuses_exactly_what_the_full_walk_refuses_naming_the_same(value: object, max_depth: int) -> None:
    assert verdict(check_json_data, value, max_depth) == verdict(walk, value, max_depth)


def test_a_task_record_of_plain_values_passes_the_quick_pass() -> None:
    record = {"id": "a", "payload": {"i": 1, "x": [1.5, None, True, "é"]}, "errors": [], "meta": {}}
    assert _plainly_valid(record, 3)
    assert not _plainly_valid(record, 2)  # the payload's list sits at depth 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([math.nan], "payload[0] is nan"),
        ({"a": {"b": math.inf}}, "payload.a.b is inf"),
        ({1: "x"}, "payload has a key 1 that is not a string"),
        (["\udc00"], "payload[0] contains a lone surrogate"),
        ([2**1100], "payload[0] is an integer too large"),
    ],
)
def test_a_value_that_is_not_json_data_is_named_by_its_path(value: object, message: str) -> None:
    with pytest.raises(NotJSONData, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_json_data(value)


def test_a_cycle_is_named_as_a_cycle_not_as_too_deep() -> None:
    looped: list[object] = []
    looped.append(looped)
    with pytest.raises(NotJSONData, match="contains itself"):
        check_json_data(looped)


def test_values_shared_many_times_over_are_counted_as_many_values() -> None:
    shared: list[object] = [0] * 1000
    wide = [shared] * (MAX_NODES // 1000 + 1)
    assert not _plainly_valid(wide, 64)
    with pytest.raises(NotJSONData, match="more than"):
        check_json_data(wide)

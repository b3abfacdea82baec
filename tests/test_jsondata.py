"""The quick pass of ``check_json_data`` and ``dumps`` never changes what they accept or what they say.

The exact walk (``_check_exactly``) is the oracle: for any value, hostile or
not, ``check_json_data`` raises the exact walk's error (same message) or
nothing when it accepts, and ``dumps`` returns ``json.dumps``'s text or that
same error.
"""

from __future__ import annotations

import collections
import enum
import json
import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyqueue.jsondata import MAX_DEPTH, MAX_NODES, NotJSONData, _check_exactly, check_json_data, dumps

from .test_hostile_input import POISONS, buried, json_values


def exact_error(value: object, max_depth: int = MAX_DEPTH) -> str | None:
    try:
        _check_exactly(value, "payload", max_depth)
    except NotJSONData as e:
        return str(e)
    return None


def error_of(check: Callable[[], object]) -> str | None:
    try:
        check()
    except NotJSONData as e:
        return str(e)
    return None


def assert_same_verdict(value: object, max_depth: int = MAX_DEPTH) -> None:
    expected = exact_error(value, max_depth)
    assert error_of(lambda: check_json_data(value, max_depth=max_depth)) == expected
    assert error_of(lambda: dumps(value, max_depth=max_depth)) == expected
    if expected is None:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        assert dumps(value, max_depth=max_depth) == text


HOSTILE_SCALARS: list[object] = [
    math.nan,
    math.inf,
    -math.inf,
    2**1024,
    -(2**1024),
    2**1024 - 1,
    "lone \ud800 surrogate",
    b"raw",
    (1, 2),
    {1, 2},
    1j,
    True,
    None,
    "plain text",
    "non-ascii é ✓",
]


class Text(str):
    """A subclass: left to the exact walk, which accepts it."""


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        json_values,
        st.sampled_from(sorted(POISONS)).flatmap(lambda name: buried(POISONS[name][0]())),
        st.sampled_from(HOSTILE_SCALARS).flatmap(buried),
        st.dictionaries(st.sampled_from([Text("k"), "k\udfff", "ok"]), json_values, max_size=2),
    )
)
def test_check_json_data_and_dumps_give_the_exact_walks_verdict_on_any_value(value: object) -> None:
    assert_same_verdict(value)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1])
def test_nesting_at_the_limit_gets_the_exact_walks_verdict(depth: int) -> None:
    value: object = 1
    for _ in range(depth):
        value = [value]
    assert_same_verdict(value)
    assert_same_verdict({"a": value}, max_depth=depth)


def test_a_cycle_beside_many_values_is_named_a_cycle_not_a_count() -> None:
    # The quick pass walks around a cycle until its depth runs out, visiting the siblings each time.
    cyclic: list[object] = [list(range(20_000))]
    cyclic.append(cyclic)
    assert_same_verdict(cyclic)
    assert "cycle" in (exact_error(cyclic) or "")


def test_shared_children_over_the_value_limit_get_the_exact_walks_verdict() -> None:
    shared: object = list(range(10))
    for _ in range(6):
        shared = [shared] * 10  # small in memory, more than MAX_NODES values to walk
    assert_same_verdict(shared)
    assert f"more than {MAX_NODES} values" in (exact_error(shared) or "")


def test_a_size_limit_counts_utf8_bytes() -> None:
    assert dumps({"a": "é"}, limit=10) == '{"a":"é"}'
    with pytest.raises(NotJSONData, match="is 12 bytes of JSON, over the limit of 10 bytes"):
        dumps({"a": "éé"}, limit=10)


class Shifty(dict[str, object]):
    """Shows no items to the first caller (the walk), its real items to the next ones (the encoder)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def items(self) -> object:  # type: ignore[override]
        self.calls += 1
        return super().items() if self.calls > 1 else {}.items()


def test_a_cycle_that_a_dict_subclass_hides_from_the_walk_is_stopped_by_the_encoders_cycle_check() -> None:
    # What only the exact walk accepted is encoded with json's own cycle check: never an endless recursion.
    shifty = Shifty()
    shifty["self"] = shifty
    with pytest.raises(ValueError, match="Circular reference detected"):
        dumps(shifty)


class Level(enum.IntEnum):
    LOW = 1


_odd_scalars = st.one_of(
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
_odd_keys = st.one_of(st.text(max_size=3), st.integers(0, 3), st.just("\ud800"), st.just(None))
_odd_values = st.recursive(
    _odd_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_odd_keys, inner, max_size=4),
        st.dictionaries(st.text(max_size=3), inner, max_size=3).map(collections.OrderedDict),
        st.lists(inner, max_size=3).map(tuple),
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(value=_odd_values, max_depth=st.integers(0, 5))
def test_subclasses_tuples_and_odd_keys_at_any_depth_limit_get_the_exact_walks_verdict(
    value: object, max_depth: int
) -> None:
    assert_same_verdict(value, max_depth)

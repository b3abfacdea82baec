"""The reader of untrusted data, as hypothesis properties: deep, huge, non-finite, wrong-typed and mismatched input.

Whatever comes in (JSON text, Python values, task records), the answer is a
value, a clear refusal (:class:`~pyqueue.jsondata.NotJSONData`,
:class:`~pyqueue.task.BrokenRecord`) or a quarantined failed task; never a
``RecursionError``, a stray ``TypeError`` or a crash. On Pyodide's small C
stack anything recursive at depth 5,000 is fatal, so these tests also run
with Python's recursion limit lowered (``shallow_stack``): a reader that
recursed would fail here too instead of passing only because CPython's
stack is large.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyqueue import MemoryStore, Queue, QueueRunner, TaskContext, TaskRegistry, TaskStatus
from pyqueue.importing import Incoming, plan_import, read_records
from pyqueue.jsondata import MAX_DEPTH, NotJSONData, check_json_data
from pyqueue.task import BrokenRecord, Task
from pyqueue.untrusted import check_text_depth, loads

from .async_support import run
from .contract_cases import T0, make_task
from .fakes import FakeClock


def cases(n: int) -> settings:
    return settings(max_examples=n, deadline=None)


@contextmanager
def shallow_stack(limit: int = 400) -> Iterator[None]:
    """Lower the recursion limit so that any recursion proportional to the input's depth fails loudly."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def nested_text(depth: int, kind: str, inner: str = "1") -> str:
    opener, closer = {"list": ("[", "]"), "object": ('{"k":', "}"), "mixed": ('[{"k":', "}]")}[kind]
    return opener * depth + inner + closer * depth


def nested_value(depth: int, leaf: object = 1) -> object:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


# -- JSON text -----------------------------------------------------------------

depths = st.one_of(st.integers(0, MAX_DEPTH + 5), st.sampled_from([4_500, 5_000, 20_000]))


@cases(120)
@given(depth=depths, kind=st.sampled_from(["list", "object", "mixed"]), padding=st.text(" \n\t", max_size=3))
def test_deep_text_is_refused_before_parsing_and_shallow_text_parses(depth: int, kind: str, padding: str) -> None:
    text = padding + nested_text(depth, kind) + padding
    levels = depth * (2 if kind == "mixed" else 1)
    with shallow_stack():
        if levels > MAX_DEPTH:
            with pytest.raises(NotJSONData, match=f"more than {MAX_DEPTH} levels deep"):
                loads(text, what="the file")
        else:
            assert loads(text) == json.loads(text)


@cases(100)
@given(
    prefix=st.text(max_size=20),
    inside=st.text(alphabet='[]{}"\\ab', max_size=40),
)
def test_brackets_inside_strings_do_not_count_and_escapes_are_honoured(prefix: str, inside: str) -> None:
    # Given a shallow document whose only string is full of brackets, quotes and backslashes
    text = json.dumps({"s": prefix + inside * 50, "l": [[1]]})
    # Then it reads back exactly: nothing inside the string counted as nesting
    assert loads(text) == json.loads(text)


@cases(150)
@given(text=st.text(alphabet='[]{}",:\\ 1aentrufl', max_size=300))
def test_any_text_is_parsed_or_refused_with_a_clear_error_never_a_crash(text: str) -> None:
    with shallow_stack():
        try:
            value = loads(text)
        except NotJSONData as e:
            assert str(e).startswith("the JSON text ")
            return
    assert value == json.loads(text)


@cases(60)
@given(extra=st.integers(1, 3_000), closer_first=st.booleans())
def test_stray_closing_brackets_never_hide_the_nesting_after_them(extra: int, closer_first: bool) -> None:
    # "]]]]" before "[[[[" must not lower the count: the scan never under-counts
    deep = "[" * (MAX_DEPTH + extra) + "]" * (MAX_DEPTH + extra)
    text = ("]" * extra + deep) if closer_first else (deep + "]" * extra)
    with pytest.raises(NotJSONData, match="levels deep"):
        check_text_depth(text)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1" * 5_000, "not valid JSON"),  # an integer of too many digits: ValueError in json.loads
        ('"\\ud800"', None),  # a lone surrogate parses; check_json_data refuses it later
        ("NaN", None),  # parsed, refused one level up where it can be named
        ("[" + "0," * 6_000 + "0]", "over the limit of 10000"),
    ],
)
def test_odd_texts_are_refused_or_left_to_the_value_check(text: str, words: str | None) -> None:
    if words is None:
        with pytest.raises(NotJSONData):
            check_json_data(loads(text, max_chars=10_000))
        return
    with pytest.raises(NotJSONData, match=words):
        loads(text, max_chars=10_000)


def test_text_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(NotJSONData, match="is a bytes, not JSON text"):
        loads(b"[]")


# -- Python values ----------------------------------------------------------------


@cases(60)
@given(depth=depths, leaf=st.sampled_from([1, "x", None, math.nan, 1.5]))
def test_deep_values_are_refused_without_recursion(depth: int, leaf: object) -> None:
    value = nested_value(depth, leaf)
    with shallow_stack():
        if depth > MAX_DEPTH:
            with pytest.raises(NotJSONData, match="levels deep"):
                check_json_data(value, "result")
        elif isinstance(leaf, float) and math.isnan(leaf):
            with pytest.raises(NotJSONData, match="nan"):
                check_json_data(value, "result")
        else:
            check_json_data(value, "result")


def test_a_value_whose_lists_share_children_is_refused_in_bounded_time() -> None:
    # 2**40 paths through 40 small lists: a naive walk would never end
    value: object = 1
    for _ in range(40):
        value = [value, value]
    with pytest.raises(NotJSONData, match="holds more than"):
        check_json_data(value, "result")


# -- task records ------------------------------------------------------------------

NON_FINITE = [math.nan, math.inf, -math.inf]
FIELDS: dict[str, st.SearchStrategy[object]] = {
    "payload": st.builds(lambda d, leaf: {"x": nested_value(d, leaf)}, depths, st.sampled_from([1, *NON_FINITE])),
    "result": st.builds(nested_value, depths, st.sampled_from([1, *NON_FINITE])),
    "progress": st.builds(nested_value, depths, st.sampled_from([1, *NON_FINITE])),
    "meta": st.one_of(
        st.builds(lambda d, leaf: {"by": nested_value(d, leaf)}, depths, st.sampled_from(["me", *NON_FINITE])),
        st.sampled_from([None, [], "me", 7, {"big": "m" * 20_000}, {"": None}]),
    ),
    "priority": st.one_of(st.integers(), st.sampled_from([1e30, 10**30, math.nan, "high", True, None])),
    "seq": st.one_of(st.integers(), st.sampled_from([2**53, 2**60, 1e300, -1, "7", math.inf])),
    "run_at": st.one_of(st.floats(), st.sampled_from([10**400, 1e300, "soon", None])),
    "id": st.one_of(st.text(max_size=3), st.just("x" * 600), st.integers(), st.none()),
    "unique_key": st.one_of(st.none(), st.text(max_size=3), st.just("k" * 600), st.integers()),
    "status": st.one_of(st.sampled_from([s.value for s in TaskStatus]), st.text(max_size=5), st.integers()),
    "errors": st.one_of(
        st.just([]),
        st.builds(lambda d: [{"attempt": 1, "at": T0, "error": nested_value(d)}], depths),
        st.sampled_from(
            [[{"attempt": 1, "at": math.nan, "error": "x"}], [{"attempt": math.inf, "at": 1, "error": "x"}]]
        ),
    ),
}


@st.composite
def hostile_record(draw: st.DrawFn) -> dict[str, Any]:
    record = make_task(f"t{draw(st.integers(0, 9))}").replace(seq=draw(st.integers(1, 20))).to_record()
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=3, unique=True)):
        record[name] = draw(FIELDS[name])
    return record  # type: ignore[return-value]


@cases(200)
@given(record=hostile_record())
def test_a_hostile_record_reads_as_a_task_or_a_quarantined_failed_task_that_exports_as_json(
    record: dict[str, Any],
) -> None:
    with shallow_stack():
        (item,) = read_records([record], now=T0)
    task = item.task
    if item.broken is None:
        assert Task.from_record(record) == task
    else:
        with pytest.raises(BrokenRecord):
            Task.from_record(record)
        assert task.status is TaskStatus.FAILED and task.errors[-1].error == f"broken task row: {item.broken}"
    # Either way the task can be written and read back as valid JSON (no NaN, bounded nesting)
    text = json.dumps(task.to_record(), allow_nan=False)
    assert Task.from_record(json.loads(text)) == task


@cases(100)
@given(
    records=st.lists(hostile_record(), max_size=6),
    stored=st.sets(st.sampled_from([f"t{i}" for i in range(10)]), max_size=4),
    replace=st.booleans(),
)
def test_the_import_plan_accounts_for_every_record_and_never_overwrites_unless_replacing(
    records: list[dict[str, Any]], stored: set[str], replace: bool
) -> None:
    incoming = read_records(records, now=T0)
    plan = plan_import(incoming, exists=stored.__contains__, holders={}, replace=replace)
    report = plan.report
    # Every record is accounted for exactly once
    assert len(report.added) + len(report.replaced) + len(report.skipped) + len(report.quarantined) == len(records)
    written = [t.id for t in plan.write]
    assert len(written) == len(set(written)) == report.stored
    # A stored id is overwritten only with replace=True
    if not replace:
        assert not set(written) & stored and report.replaced == []
    assert set(report.added).isdisjoint(stored)


def test_a_quarantined_record_with_a_broken_id_gets_an_id_of_its_own() -> None:
    items = read_records([{"id": "x" * 600}, {"id": 5}, [1, 2]], now=T0)
    ids = [i.task.id for i in items]
    assert len(set(ids)) == 3 and all(i.startswith("broken-") for i in ids)
    assert plan_import(items, exists=lambda _: False, holders={}, replace=False).report.quarantined[0].id == ids[0]


def test_plan_import_is_pure_given_its_lookups() -> None:
    task = make_task("a").replace(seq=1)
    first = plan_import([Incoming(task)], exists=lambda _: False, holders={}, replace=False)
    assert first == plan_import([Incoming(task)], exists=lambda _: False, holders={}, replace=False)


# -- handlers' results and progress ------------------------------------------------------


@dataclass
class Empty:
    pass


@pytest.mark.parametrize(
    ("output", "words"),
    [
        (nested_value(5_000), "levels deep"),
        ({"x": math.nan}, "nan"),
        ({"x": {1, 2}}, "set"),
    ],
    ids=["deep", "nan", "not-json"],
)
@pytest.mark.parametrize("via", ["result", "progress"])
def test_a_handler_output_that_is_not_json_data_fails_the_attempt_cleanly(output: object, words: str, via: str) -> None:
    async def handler(payload: object, ctx: TaskContext) -> object:
        if via == "progress":
            await ctx.progress(output)  # type: ignore[arg-type]
            return "unreachable"
        return output

    async def scenario() -> None:
        clock = FakeClock()
        registry = TaskRegistry()
        registry.register("bad", handler, payload=Empty, max_attempts=1)
        queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
        task_id = await queue.enqueue("bad", {})
        with shallow_stack(600):
            counts = await QueueRunner(queue).run_burst()
        task = await queue.get(task_id)
        assert counts.failed == 1 and task.status is TaskStatus.FAILED and task.result is None
        said = "reported progress" if via == "progress" else "returned a result"
        assert task.errors[-1].error.startswith(f"handler {said} that is not JSON data: {via}"), task.errors[-1].error
        assert words in task.errors[-1].error, task.errors[-1].error
        json.dumps(await queue.export_records(), allow_nan=False)

    run(scenario())

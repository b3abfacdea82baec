"""Hostile input, as hypothesis properties: what enqueue refuses, what it stores exactly, and broken stored rows.

Every refusal is a :class:`~pyqueue.QueueError` whose message names the problem (never a stray
``TypeError``, ``ValueError`` or ``OverflowError``) and leaves the store empty; every accepted value
comes back equal. Rows that are not valid tasks end ``failed`` with a reason, and never stop claims
or the runner.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyqueue import (
    AttemptError,
    InvalidOption,
    InvalidPayload,
    MemoryStore,
    Queue,
    QueueError,
    QueueRunner,
    Task,
    TaskContext,
    TaskRegistry,
    TaskSpec,
    TaskStatus,
    UnknownTaskType,
)
from pyqueue.constants import DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS_LIMIT, MAX_PRIORITY, MAX_TIME_MS, MIN_PRIORITY
from pyqueue.jsondata import JSONValue
from pyqueue.queue import MAX_UNIQUE_KEY_CHARS

from .async_support import run
from .contract_cases import LEASE, T0, make_task
from .fakes import FakeClock


def cases(n: int) -> settings:
    return settings(max_examples=n, deadline=None)


# -- task types ------------------------------------------------------------


@dataclass
class Order:
    order_id: str
    quantity: int = 1
    weight: float = 1.0
    gift: bool = False
    tags: list[str] = field(default_factory=list)
    note: str | None = None


@dataclass
class Loose:
    """A permissive payload: any JSON data, typed ``Any``."""

    data: Any = None


@dataclass
class Blob:
    """A permissive payload: any JSON data, typed with pyqueue's own ``JSONValue`` alias."""

    data: JSONValue = None


@dataclass
class Numbered:
    n: int = 0


ORDER_FIELDS = ("order_id", "quantity", "weight", "gift", "tags", "note")
ORDER_DATA = {"order_id": "o-1", "quantity": 1, "weight": 1.0, "gift": False, "tags": [], "note": None}


async def echo(payload: Loose | Blob, ctx: TaskContext) -> JSONValue:
    return payload.data  # type: ignore[no-any-return]


async def nothing(payload: object, ctx: TaskContext) -> None:
    return None


def make_queue(**options: Any) -> tuple[Queue, MemoryStore, FakeClock]:
    clock: FakeClock = options.pop("clock", None) or FakeClock()
    store = MemoryStore(clock=clock)
    registry = TaskRegistry()
    registry.register("order", nothing, payload=Order)
    registry.register("loose", echo, payload=Loose)
    registry.register("blob", echo, payload=Blob)
    registry.register("noop", nothing, payload=Numbered)
    return Queue(store, registry, clock=clock, **options), store, clock


TYPE_NAMES = {Loose: "loose", Blob: "blob"}


async def assert_nothing_stored(store: MemoryStore) -> None:
    assert (await store.stats()).total == 0
    assert await store.records() == []


def refused(error: type[QueueError], queue: Queue, store: MemoryStore, *args: Any, **kwargs: Any) -> QueueError:
    """Enqueue, expect *error*, check that nothing was written, and return the error."""

    async def scenario() -> QueueError:
        with pytest.raises(error) as info:
            await queue.enqueue(*args, **kwargs)
        assert isinstance(info.value, QueueError)
        await assert_nothing_stored(store)
        return info.value

    return run(scenario())


def same_json(a: object, b: object) -> bool:
    """Equal and of the same JSON types all the way down (``1 == 1.0 == True`` is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=False))  # type: ignore[arg-type]
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)  # type: ignore[call-overload]
    if isinstance(a, float):
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)  # type: ignore[arg-type]
    return a == b


# -- strategies ------------------------------------------------------------

SAFE_INT = 2**53 - 1  # JSON ints beyond this are a policy choice; see the huge-integer tests
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-SAFE_INT, SAFE_INT),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)
small_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-100, 100), st.text(max_size=4)),
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=4,
)


def _cyclic_list() -> list[object]:
    items: list[object] = [1]
    items.append(items)
    return items


def _cyclic_dict() -> dict[str, object]:
    mapping: dict[str, object] = {"a": 1}
    mapping["self"] = mapping
    return mapping


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque>"


# name: (build a fresh value, words its refusal must contain)
POISONS: dict[str, tuple[Callable[[], object], str]] = {
    "nan": (lambda: math.nan, "nan"),
    "inf": (lambda: math.inf, "inf"),
    "-inf": (lambda: -math.inf, "-inf"),
    "bytes": (lambda: b"\x00raw", "bytes"),
    "bytearray": (lambda: bytearray(b"ab"), "bytearray"),
    "set": (lambda: {1, 2}, "set"),
    "frozenset": (lambda: frozenset({"a"}), "frozenset"),
    "tuple": (lambda: (1, "a"), "tuple"),
    "complex": (lambda: 1j, "complex"),
    "object": (Opaque, "Opaque"),
    "int key": (lambda: {1: "a"}, "key 1 that is not a string"),
    "None key": (lambda: {None: "a"}, "key None that is not a string"),
    "tuple key": (lambda: {(1, 2): "a"}, "key (1, 2) that is not a string"),
    "bool key": (lambda: {True: "a"}, "key True that is not a string"),
    "float key": (lambda: {1.5: "a"}, "key 1.5 that is not a string"),
    "cyclic list": (_cyclic_list, "cycle"),
    "cyclic dict": (_cyclic_dict, "cycle"),
}
CYCLES = ("cyclic list", "cyclic dict")


@st.composite
def buried(draw: st.DrawFn, poison: object) -> object:
    """*poison* placed at a random depth among valid JSON siblings."""
    value = poison
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            siblings = draw(st.lists(small_json, max_size=3))
            siblings.insert(draw(st.integers(0, len(siblings))), value)
            value = siblings
        else:
            mapping = draw(st.dictionaries(st.text(max_size=3), small_json, max_size=3))
            key = draw(st.text(max_size=3))
            while key in mapping:
                key += "_"
            mapping[key] = value
            value = mapping
    return value


# -- enqueue: task types and payloads ----------------------------------------


@cases(40)
@given(
    task_type=st.one_of(
        st.text(max_size=10).filter(lambda name: name not in ("order", "loose", "blob", "noop")),
        st.integers(),
        st.none(),
        st.lists(st.integers(), max_size=2),
    )
)
def test_an_unregistered_task_type_is_refused_and_nothing_is_written(task_type: Any) -> None:
    queue, store, _ = make_queue()
    error = refused(UnknownTaskType, queue, store, task_type, {})
    assert "unknown task type" in str(error)


@pytest.mark.parametrize("payload_type", [Loose, Blob], ids=["Any", "JSONValue"])
@cases(120)
@given(poison=st.sampled_from(sorted(POISONS)), data=st.data(), as_instance=st.booleans())
def test_a_payload_that_is_not_json_data_is_refused_naming_the_problem(
    payload_type: type[Loose | Blob], poison: str, data: st.DataObject, as_instance: bool
) -> None:
    # Cycles inside dataclass instances have their own test below.
    as_instance = as_instance and poison not in CYCLES
    build, words = POISONS[poison]
    value = data.draw(buried(build()))
    payload = payload_type(data=value) if as_instance else {"data": value}
    queue, store, _ = make_queue()
    error = refused(InvalidPayload, queue, store, TYPE_NAMES[payload_type], payload)
    assert words in str(error), (poison, str(error))
    assert f"for task type {TYPE_NAMES[payload_type]!r}" in str(error)


@cases(30)
@given(poison=st.sampled_from(CYCLES), data=st.data())
def test_a_cyclic_payload_instance_is_refused_naming_the_cycle(poison: str, data: st.DataObject) -> None:
    build, words = POISONS[poison]
    queue, store, _ = make_queue()
    error = refused(InvalidPayload, queue, store, "loose", Loose(data=data.draw(buried(build()))))
    assert words in str(error), str(error)


def _wrong_values() -> dict[str, st.SearchStrategy[object]]:
    numbers = st.integers(-(10**6), 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    containers = st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)
    return {
        "order_id": st.one_of(numbers, st.booleans(), st.none(), containers),
        "quantity": st.one_of(st.floats(), st.text(max_size=3), st.booleans(), st.none(), containers),
        "weight": st.one_of(
            st.text(max_size=3), st.booleans(), st.none(), containers, st.sampled_from([math.nan, math.inf, -math.inf])
        ),
        "gift": st.one_of(numbers, st.text(max_size=3), st.none(), containers),
        "tags": st.one_of(
            st.text(max_size=3),
            numbers,
            st.dictionaries(st.text(max_size=2), st.text(max_size=2), max_size=2),
            st.lists(st.text(max_size=2), max_size=2).flatmap(
                lambda items: st.one_of(numbers, st.none(), st.booleans(), containers).map(lambda bad: [*items, bad])
            ),
        ),
        "note": st.one_of(numbers, st.booleans(), containers),
    }


WRONG_VALUES = _wrong_values()
valid_order = st.fixed_dictionaries(
    {"order_id": st.text(max_size=8)},
    optional={
        "quantity": st.integers(-(10**9), 10**9),
        "weight": st.floats(allow_nan=False, allow_infinity=False),
        "gift": st.booleans(),
        "tags": st.lists(st.text(max_size=4), max_size=3),
        "note": st.none() | st.text(max_size=8),
    },
)


@st.composite
def misfit_order(draw: st.DrawFn) -> tuple[object, str]:
    """A payload for ``order`` with exactly one thing wrong, and the words its refusal must contain."""
    base = draw(valid_order)
    kind = draw(st.sampled_from(["missing", "unexpected", "wrong type", "not a mapping"]))
    if kind == "missing":
        del base["order_id"]
        return base, "missing the required field 'order_id' of Order"
    if kind == "unexpected":
        name = draw(st.text(min_size=1, max_size=8).filter(lambda k: k not in ORDER_FIELDS))
        base[name] = draw(small_json)
        return base, f"unexpected field(s) {name} for Order"
    if kind == "wrong type":
        name = draw(st.sampled_from(ORDER_FIELDS))
        base[name] = draw(WRONG_VALUES[name])
        return base, f"payload.{name}"
    other = draw(st.one_of(json_scalars, st.lists(small_json, max_size=2), st.builds(Loose), st.just(b"{}")))
    return other, f"expected a Order or a mapping of its fields, got {type(other).__name__}"


@cases(200)
@given(case=misfit_order())
def test_a_payload_that_does_not_fit_its_dataclass_is_refused_naming_the_field(case: tuple[object, str]) -> None:
    payload, words = case
    queue, store, _ = make_queue()
    error = refused(InvalidPayload, queue, store, "order", payload)
    assert words in str(error), str(error)


@cases(80)
@given(base=valid_order, name=st.sampled_from(ORDER_FIELDS), data=st.data())
def test_a_payload_instance_with_a_wrongly_typed_field_is_refused_naming_the_field(
    base: dict[str, Any], name: str, data: st.DataObject
) -> None:
    # Given an Order instance built by hand with one field of the wrong type (dataclasses do not check)
    payload = Order(**{**base, name: data.draw(WRONG_VALUES[name])})
    queue, store, _ = make_queue()
    # Then enqueue refuses it, as it refuses the same fields given as a mapping
    error = refused(InvalidPayload, queue, store, "order", payload)
    assert f"payload.{name}" in str(error), str(error)


def test_a_payload_instance_of_a_subclass_with_extra_fields_is_refused() -> None:
    @dataclass
    class BigOrder(Order):
        secret: str = "s"

    queue, store, _ = make_queue()
    error = refused(InvalidPayload, queue, store, "order", BigOrder("o-1"))
    assert "unexpected field(s) secret" in str(error), str(error)


@cases(100)
@given(value=json_values, data=st.data())
def test_a_payload_over_the_size_limit_is_refused_and_one_within_it_is_stored(
    value: object, data: st.DataObject
) -> None:
    size = len(json.dumps({"data": value}, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    limit = max(1, size + data.draw(st.integers(-3, 3), label="limit - size"))
    queue, store, _ = make_queue(max_payload_bytes=limit)
    if size > limit:
        error = refused(InvalidPayload, queue, store, "loose", {"data": value})
        assert f"payload is {size} bytes of JSON, over the limit of {limit} bytes" in str(error), str(error)
    else:
        task = run(queue.get(run(queue.enqueue("loose", {"data": value}))))
        assert same_json(task.payload, {"data": value})


lone_surrogates = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)


@cases(40)
@given(
    text=st.tuples(st.text(max_size=4), lone_surrogates, st.text(max_size=4)).map("".join),
    where=st.sampled_from(["order_id", "tags", "loose", "key"]),
)
def test_text_with_lone_surrogates_is_refused_or_stored_exactly_never_crashing(text: str, where: str) -> None:
    # (task type, payload, what must be stored if it is accepted)
    task_type, payload, stored = {
        "order_id": ("order", {"order_id": text}, {**ORDER_DATA, "order_id": text}),
        "tags": ("order", Order("o-1", tags=[text]), {**ORDER_DATA, "tags": [text]}),
        "loose": ("loose", {"data": [text]}, {"data": [text]}),
        "key": ("loose", Loose(data={text: 1}), {"data": {text: 1}}),
    }[where]
    queue, store, _ = make_queue()

    async def scenario() -> None:
        try:
            task_id = await queue.enqueue(task_type, payload)
        except InvalidPayload as e:
            assert "surrogate" in str(e).lower() or "unicode" in str(e).lower(), str(e)
            await assert_nothing_stored(store)
            return
        assert same_json((await queue.get(task_id)).payload, stored)

    run(scenario())


HUGE_INTS = [10**400, -(10**400), 10**5000, -(10**5000)]


@cases(20)  # all 20 combinations
@given(huge=st.sampled_from(HUGE_INTS), where=st.sampled_from(["quantity", "weight", "order_id", "loose", "blob"]))
def test_huge_integers_in_a_payload_are_refused_or_stored_exactly_never_crashing(huge: int, where: str) -> None:
    if where in ("loose", "blob"):
        task_type, key, payload = where, "data", {"data": [huge]}
    else:
        task_type, key, payload = "order", where, {**ORDER_DATA, where: huge}
    queue, store, _ = make_queue()

    async def scenario() -> None:
        try:
            task_id = await queue.enqueue(task_type, payload)
        except InvalidPayload:
            await assert_nothing_stored(store)
            return
        # Only an int field or free JSON data may take an int; a float or str field must refuse it
        assert where in ("quantity", "loose", "blob"), f"{where} accepted an int of {len(str(abs(huge)))} digits"
        assert same_json((await queue.get(task_id)).payload[key], payload[key])

    run(scenario())


# -- enqueue: options ----------------------------------------------------------

OPTIONS = ("priority", "delay_ms", "run_at", "max_attempts", "unique_key")
BOUNDARIES: list[object] = [
    MIN_PRIORITY,
    MAX_PRIORITY,
    MIN_PRIORITY - 1,
    MAX_PRIORITY + 1,
    -1,
    0,
    1,
    -0.0,
    -1e-9,
    MAX_ATTEMPTS_LIMIT,
    MAX_ATTEMPTS_LIMIT + 1,
    MAX_TIME_MS,
    MAX_TIME_MS + 1,
    MAX_TIME_MS - T0,
    MAX_TIME_MS - T0 + 1,
    2**53,
    2**63,
    "",
    "x" * MAX_UNIQUE_KEY_CHARS,
    "x" * (MAX_UNIQUE_KEY_CHARS + 1),
    "5",
]
odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(BOUNDARIES),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.builds(Opaque),
    st.just(1j),
    st.just(b"5"),
)
VALID_VALUES: dict[str, st.SearchStrategy[object]] = {
    "priority": st.integers(MIN_PRIORITY, MAX_PRIORITY),
    "delay_ms": st.none() | st.integers(0, 10**9) | st.floats(0, MAX_TIME_MS - T0),
    "run_at": st.none() | st.integers(0, int(MAX_TIME_MS)) | st.floats(0, MAX_TIME_MS),
    "max_attempts": st.none() | st.integers(1, MAX_ATTEMPTS_LIMIT),
    "unique_key": st.none() | st.text(min_size=1, max_size=MAX_UNIQUE_KEY_CHARS),
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite(value: object) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))


def option_ok(name: str, value: Any, now: float) -> bool:
    """The documented range of each option, written independently of the queue's code."""
    if name == "priority":
        return _is_int(value) and MIN_PRIORITY <= value <= MAX_PRIORITY
    if value is None:
        return True
    if name == "delay_ms":
        return _is_finite(value) and 0 <= value <= MAX_TIME_MS - now
    if name == "run_at":
        return _is_finite(value) and 0 <= value <= MAX_TIME_MS
    if name == "max_attempts":
        return _is_int(value) and 1 <= value <= MAX_ATTEMPTS_LIMIT
    return isinstance(value, str) and 0 < len(value) <= MAX_UNIQUE_KEY_CHARS


def expected_task(got: Task, options: dict[str, Any], now: float) -> Task:
    run_at = now
    if options.get("delay_ms") is not None:
        run_at = now + float(options["delay_ms"])
    elif options.get("run_at") is not None:
        run_at = float(options["run_at"])
    return Task(
        id=got.id,
        type="order",
        payload=ORDER_DATA,  # type: ignore[arg-type]
        status=TaskStatus.SCHEDULED if run_at > now else TaskStatus.PENDING,
        priority=options.get("priority", 0),
        seq=got.seq,
        run_at=run_at,
        attempts=0,
        max_attempts=options.get("max_attempts") or DEFAULT_MAX_ATTEMPTS,
        created_at=now,
        unique_key=options.get("unique_key"),
    )


def check_options(options: dict[str, Any]) -> None:
    queue, store, clock = make_queue()
    bad = {name for name, value in options.items() if not option_ok(name, value, clock.now)}
    if options.get("delay_ms") is not None and options.get("run_at") is not None:
        bad.add("delay_ms")
    if bad:
        error = refused(InvalidOption, queue, store, "order", {"order_id": "o-1"}, **options)
        assert isinstance(error, InvalidOption) and error.option in bad, (error.option, bad)
        assert error.option in str(error)
        return
    got = run(queue.get(run(queue.enqueue("order", {"order_id": "o-1"}, **options))))
    assert got == expected_task(got, options, clock.now)
    assert type(got.priority) is int and type(got.max_attempts) is int and type(got.run_at) is float
    assert run(store.records()) == [got.to_record()]


@cases(300)
@given(name=st.sampled_from(OPTIONS), data=st.data())
def test_each_option_is_refused_out_of_range_and_stored_exactly_within_it(name: str, data: st.DataObject) -> None:
    value = data.draw(st.one_of(VALID_VALUES[name], odd_values), label=name)
    check_options({name: value})


@cases(150)
@given(
    options=st.fixed_dictionaries(
        {}, optional={name: st.one_of(valid, valid, odd_values) for name, valid in VALID_VALUES.items()}
    )
)
def test_options_together_are_refused_naming_a_bad_one_or_stored_exactly(options: dict[str, Any]) -> None:
    check_options(options)


@cases(20)  # all 20 combinations
@given(name=st.sampled_from(OPTIONS), huge=st.sampled_from(HUGE_INTS))
def test_huge_integer_options_are_refused_as_invalid_options(name: str, huge: int) -> None:
    queue, store, _ = make_queue()
    error = refused(InvalidOption, queue, store, "order", {"order_id": "o-1"}, **{name: huge})
    assert isinstance(error, InvalidOption) and error.option == name


# -- JSON round trip -----------------------------------------------------------


@pytest.mark.parametrize("payload_type", [Loose, Blob], ids=["Any", "JSONValue"])
@cases(100)
@given(value=json_values, as_instance=st.booleans())
def test_any_json_payload_is_stored_handled_and_returned_exactly(
    payload_type: type[Loose | Blob], value: JSONValue, as_instance: bool
) -> None:
    async def scenario() -> None:
        queue, _, _ = make_queue()
        payload = payload_type(data=value) if as_instance else {"data": value}
        task_id = await queue.enqueue(TYPE_NAMES[payload_type], payload)
        assert same_json((await queue.get(task_id)).payload, {"data": value})
        # When a runner hands the stored payload to the handler, which returns it as its result
        counts = await QueueRunner(queue).run_burst()
        done = await queue.get(task_id)
        # Then the task completed and its result is the payload's data, exactly
        assert counts.completed == 1 and done.status is TaskStatus.COMPLETED, done.errors
        assert same_json(done.result, value)

    run(scenario())


# -- broken stored rows ------------------------------------------------------


class SpinDetected(Exception):
    """Raised by GuardedClock when the clock is read so often that the caller must be looping."""


class GuardedClock(FakeClock):
    """A fake clock that fails the test when read too often: a runner that spins reads it in a loop."""

    def __init__(self, max_reads: int = 5_000) -> None:
        super().__init__()
        self.reads = 0
        self.max_reads = max_reads

    def __call__(self) -> float:
        self.reads += 1
        if self.reads > self.max_reads:
            raise SpinDetected(f"clock read {self.reads} times")
        return self.now


def valid_record(task_id: str, seq: int, status: str = "pending") -> dict[str, Any]:
    task = make_task(task_id, task_type="noop", payload={"n": seq})
    if status == "scheduled":
        task = task.replace(status=TaskStatus.SCHEDULED, run_at=T0 + 60_000)
    elif status == "processing":
        task = task.replace(
            status=TaskStatus.PROCESSING, attempts=1, started_at=T0, lease_owner="tab-x", lease_until=T0 + LEASE
        )
    elif status == "failed":
        task = task.replace(status=TaskStatus.FAILED, attempts=1, finished_at=T0, errors=(AttemptError(1, T0, "boom"),))
    return {**task.to_record(), "seq": seq}


FIELD_KINDS = {
    "id": "str",
    "type": "str",
    "payload": "dict",
    "status": "str",
    "priority": "int",
    "seq": "int",
    "run_at": "time",
    "attempts": "int",
    "max_attempts": "int",
    "created_at": "time",
    "errors": "list",
}
OPTIONAL_KINDS = {
    "started_at": "time",
    "finished_at": "time",
    "lease_owner": "str",
    "lease_until": "time",
    "unique_key": "str",
}
_containers = st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)
_finite = st.floats(allow_nan=False, allow_infinity=False)
WRONG_JSON = {
    "str": st.one_of(st.integers(-5, 5), _finite, st.booleans(), _containers),
    "int": st.one_of(_finite, st.text(max_size=3), st.booleans(), _containers),
    "dict": st.one_of(st.integers(-5, 5), st.text(max_size=3), st.booleans(), st.lists(st.integers(), max_size=2)),
    "list": st.one_of(
        st.integers(-5, 5),
        st.text(max_size=3),
        st.booleans(),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    ),
    "time": st.one_of(st.text(max_size=3), st.booleans(), _containers),
}
UNCONVERTIBLE = st.sampled_from(["", "x", "1.5.2", "one"]) | _containers | st.none()


@st.composite
def garbage_errors(draw: st.DrawFn) -> tuple[list[object], str]:
    """An ``errors`` list with exactly one item that is not an attempt error."""
    items: list[object] = [AttemptError(i + 1, T0, "boom").to_record() for i in range(draw(st.integers(0, 3)))]
    good = {"attempt": 1, "at": T0, "error": "boom"}
    bad = draw(
        st.one_of(
            st.one_of(st.integers(-5, 5), st.text(max_size=3), st.none(), st.lists(st.integers(), max_size=2)),
            st.sampled_from(["attempt", "at", "error"]).map(lambda k: {n: v for n, v in good.items() if n != k}),
            st.one_of(UNCONVERTIBLE, st.just(math.nan)).map(lambda v: {**good, "attempt": v}),
            UNCONVERTIBLE.map(lambda v: {**good, "at": v}),
        )
    )
    index = draw(st.integers(0, len(items)))
    items.insert(index, bad)
    return items, f"errors[{index}]"


@st.composite
def broken_row(draw: st.DrawFn, seq: int, *, keep_id: bool) -> tuple[object, str, str | None]:
    """A valid row with exactly one thing wrong: (row, words its reason must contain, its id if it keeps one)."""
    task_id = f"bad-{seq}"
    row = valid_record(task_id, seq, draw(st.sampled_from(["pending", "scheduled", "processing", "failed"])))
    kinds = ["drop", "wrong type", "unknown status", "optional wrong type", "garbage errors"]
    if not keep_id:
        kinds = ["not an object", "no id"]
    kind = draw(st.sampled_from(kinds))
    if kind == "not an object":
        other = draw(st.one_of(json_scalars, st.lists(small_json, max_size=3)))
        return other, f"row is a {type(other).__name__}, not an object", None
    if kind == "no id":
        if draw(st.booleans()):
            del row["id"]
        else:
            row["id"] = draw(WRONG_JSON["str"] | st.none())
        return row, "'id'", None
    if kind == "drop":
        name = draw(st.sampled_from(sorted(set(FIELD_KINDS) - {"id"})))
        del row[name]
        return row, f"field {name!r} is missing", task_id
    if kind == "wrong type":
        name = draw(st.sampled_from(sorted(set(FIELD_KINDS) - {"id"})))
        row[name] = draw(WRONG_JSON[FIELD_KINDS[name]] | st.none())
        return row, f"field {name!r} should be", task_id
    if kind == "unknown status":
        row["status"] = draw(st.text(max_size=12).filter(lambda s: s not in {x.value for x in TaskStatus}))
        return row, f"unknown status {row['status']!r}", task_id
    if kind == "optional wrong type":
        name = draw(st.sampled_from(sorted(OPTIONAL_KINDS)))
        row[name] = draw(WRONG_JSON[OPTIONAL_KINDS[name]])
        return row, f"field {name!r} should be", task_id
    row["errors"], words = draw(garbage_errors())
    return row, words, task_id


@st.composite
def import_batch(
    draw: st.DrawFn, broken: Callable[[int], st.SearchStrategy[tuple[object, str, str | None]]]
) -> tuple[list[object], list[str], list[tuple[str, str | None]]]:
    """Good pending rows and broken rows, shuffled: (rows, good ids, [(words, id or None)] per broken row)."""
    good = [valid_record(f"good-{i}", 100 + i) for i in range(draw(st.integers(0, 3)))]
    bad = [draw(broken(200 + i)) for i in range(draw(st.integers(1, 4)))]
    rows: list[object] = [*good, *(row for row, _, _ in bad)]
    rows = draw(st.permutations(rows))
    return rows, [r["id"] for r in good], [(words, task_id) for _, words, task_id in bad]


async def import_then_claim_all(
    rows: list[object], good_ids: list[str], expected: list[tuple[str, str | None]], limit: int
) -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    await store.import_records(rows)
    # Then no row is lost, and every broken one is failed with its reason
    stored = [Task.from_record(r) for r in await store.records()]
    assert len(stored) == len(rows), [t.id for t in stored]
    by_id = {t.id: t for t in stored}
    for words, task_id in expected:
        if task_id is None:
            continue
        task = by_id[task_id]
        assert task.status is TaskStatus.FAILED, task
        reason = task.errors[-1].error
        assert reason.startswith("broken task row: ") and words in reason, (words, reason)
    quarantined = [t for t in stored if t.errors and t.errors[-1].error.startswith("broken task row: ")]
    assert len(quarantined) == len(expected), [t.errors[-1].error for t in quarantined]
    assert all(t.status is TaskStatus.FAILED for t in quarantined)
    # And claims take exactly the good rows, as valid tasks, without raising
    claimed: list[str] = []
    while tasks := (await store.claim(now=clock(), owner="tab-1", lease_ms=LEASE, limit=limit)).tasks:
        for task in tasks:
            assert task.status is TaskStatus.PROCESSING and Task.from_record(task.to_record()) == task
        claimed += [t.id for t in tasks]
    assert sorted(claimed) == sorted(good_ids)


@cases(150)
@given(
    batch=import_batch(lambda seq: broken_row(seq, keep_id=True)),
    idless=st.one_of(st.none(), broken_row(300, keep_id=False)),
    limit=st.integers(1, 5),
)
def test_broken_rows_end_failed_with_their_reason_and_good_rows_are_still_claimed(
    batch: tuple[list[object], list[str], list[tuple[str, str | None]]],
    idless: tuple[object, str, str | None] | None,
    limit: int,
) -> None:
    rows, good_ids, expected = batch
    if idless is not None:  # at most one row without a usable id (several: see the test below)
        rows, expected = [*rows, idless[0]], [*expected, (idless[1], None)]
    run(import_then_claim_all(rows, good_ids, expected, limit))


@cases(30)
@given(batch=import_batch(lambda seq: broken_row(seq, keep_id=False)).filter(lambda b: len(b[2]) >= 2))
def test_every_broken_row_without_a_usable_id_is_kept_as_its_own_failed_task(
    batch: tuple[list[object], list[str], list[tuple[str, str | None]]],
) -> None:
    run(import_then_claim_all(*batch, limit=10))


NON_FINITE = [math.nan, math.inf, -math.inf]
HUGE_JSON_INTS = [10**400, -(10**400)]  # what json.loads("1" + "0" * 400) gives


@st.composite
def overflowing_row(draw: st.DrawFn, seq: int) -> tuple[object, str, str | None]:
    """A row with a number no time or attempt can be: NaN, infinity, or an int past the float range."""
    task_id = f"bad-{seq}"
    row = valid_record(task_id, seq, draw(st.sampled_from(["pending", "scheduled", "processing", "failed"])))
    kind = draw(st.sampled_from(["time", "attempt", "at", "quarantine"]))
    if kind == "time":
        name = draw(st.sampled_from(["run_at", "created_at", "started_at", "finished_at", "lease_until"]))
        row[name] = draw(st.sampled_from(NON_FINITE + HUGE_JSON_INTS))
        return row, repr(name), task_id
    if kind == "attempt":
        row["errors"] = [{"attempt": draw(st.sampled_from([math.inf, -math.inf])), "at": T0, "error": "x"}]
        return row, "errors[0]", task_id
    if kind == "at":
        row["errors"] = [{"attempt": 1, "at": draw(st.sampled_from(HUGE_JSON_INTS)), "error": "x"}]
        return row, "errors[0]", task_id
    # broken for an ordinary reason, with a created_at that quarantine must not choke on
    row["status"] = "exploded"
    row["created_at"] = draw(st.sampled_from(HUGE_JSON_INTS + NON_FINITE))
    return row, "unknown status 'exploded'", task_id


@cases(80)
@given(batch=import_batch(overflowing_row), limit=st.integers(1, 5))
def test_rows_with_non_finite_or_overflowing_numbers_are_failed_not_crashing_or_stuck(
    batch: tuple[list[object], list[str], list[tuple[str, str | None]]], limit: int
) -> None:
    run(import_then_claim_all(*batch, limit=limit))


@cases(30)
@given(flag=st.one_of(st.text(max_size=5), st.integers(), _finite, _containers), seq=st.integers(1, 10))
def test_a_cancel_requested_flag_that_is_not_a_boolean_makes_a_broken_row(flag: object, seq: int) -> None:
    # Given a row whose flag is e.g. the string "false" (bool("false") is True)
    row = {**valid_record("flag", seq), "cancel_requested": flag}
    run(import_then_claim_all([row], [], [("field 'cancel_requested'", "flag")], limit=1))


@cases(80)
@given(
    batch=import_batch(lambda seq: broken_row(seq, keep_id=True)),
    concurrency=st.integers(1, 3),
)
def test_the_runner_finishes_a_burst_over_broken_rows_without_raising_or_spinning(
    batch: tuple[list[object], list[str], list[tuple[str, str | None]]], concurrency: int
) -> None:
    rows, good_ids, expected = batch

    async def scenario() -> None:
        queue, store, _ = make_queue(clock=GuardedClock())
        await store.import_records(rows)
        counts = await QueueRunner(queue, concurrency=concurrency).run_burst()
        assert counts.completed == len(good_ids) and counts.claimed == len(good_ids), counts
        assert counts.failed == counts.retried == counts.lost == 0, counts
        for task_id in good_ids:
            assert (await queue.get(task_id)).status is TaskStatus.COMPLETED
        for _, task_id in expected:
            task = await queue.get(task_id)  # type: ignore[arg-type]
            assert task.status is TaskStatus.FAILED and task.errors[-1].error.startswith("broken task row: ")

    run(scenario())


def test_a_row_with_a_nan_run_at_is_failed_and_the_runner_loop_does_not_spin_on_it() -> None:
    # Given an imported row, scheduled at NaN (Python's json.loads reads "NaN"), next to a good one
    rows = [{**valid_record("nan", 1, "scheduled"), "run_at": math.nan}, valid_record("good", 2)]

    async def scenario() -> None:
        queue, store, _ = make_queue(clock=GuardedClock())
        await store.import_records(rows)
        # When the runner's loop runs for a moment (a spinning loop trips the guarded clock)
        runner = QueueRunner(queue)
        runner.start()
        await asyncio.sleep(0.05)
        await runner.stop()
        # Then the good task ran and the NaN row is failed with its reason
        assert (await queue.get("good")).status is TaskStatus.COMPLETED
        nan_task = await queue.get("nan")
        assert nan_task.status is TaskStatus.FAILED, nan_task
        assert nan_task.errors[-1].error.startswith("broken task row: ") and "'run_at'" in nan_task.errors[-1].error

    run(scenario())


def test_enqueue_many_refuses_a_batch_with_one_hostile_spec_and_writes_nothing() -> None:
    queue, store, _ = make_queue()
    specs = [TaskSpec("order", {"order_id": "a"}), TaskSpec("loose", {"data": [1, {"x": math.nan}]})]
    with pytest.raises(InvalidPayload, match=r"nan"):
        run(queue.enqueue_many(specs))
    run(assert_nothing_stored(store))

"""Task events: what the queue and the runner emit, when, the bus's filters, and events read from other tabs."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest

from pyqueue import Fail, MemoryStore, Park, Queue, QueueRunner, TaskContext, TaskRegistry, TaskStatus
from pyqueue.events import MAX_EVENT_CHARS, BadEvent, EventBus, EventKind, TaskEvent

from .async_support import run
from .contract_cases import T0, make_task
from .fakes import FakeClock


@dataclass
class Step:
    name: str


class Tape:
    """Every event, with the task's status as stored when the event was delivered."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self.events: list[TaskEvent] = []
        self.stored: list[TaskStatus | None] = []
        queue.events.subscribe(self.record)

    def record(self, event: TaskEvent) -> None:
        self.events.append(event)
        task = self.queue.store._tasks.get(event.task_id)  # type: ignore[attr-defined]  # the memory store's rows
        self.stored.append(None if task is None else task.status)

    def kinds(self, task_id: str | None = None) -> list[str]:
        return [e.kind.value for e in self.events if task_id is None or e.task_id == task_id]


def make_queue() -> tuple[Queue, QueueRunner, FakeClock]:
    registry = TaskRegistry()
    calls: dict[str, int] = {}

    async def step(p: Step, ctx: TaskContext) -> str:
        calls[p.name] = calls.get(p.name, 0) + 1
        await ctx.progress({"step": p.name})
        if p.name == "flaky" and calls[p.name] == 1:
            raise ValueError("first try fails")
        if p.name == "hopeless":
            raise Fail("cannot be done")
        if p.name == "offline":
            raise Park("offline")
        return f"{p.name} done"

    registry.register("step", step, max_attempts=3)
    clock = FakeClock()
    queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
    return queue, QueueRunner(queue, backoff=lambda _attempt: 0.0), clock


def test_the_queue_and_runner_emit_each_step_of_a_task_after_the_store_recorded_it() -> None:
    async def scenario() -> None:
        queue, runner, _ = make_queue()
        tape = Tape(queue)
        flaky = await queue.enqueue("step", Step("flaky"))
        hopeless = await queue.enqueue("step", Step("hopeless"))
        await runner.run_burst()
        assert tape.kinds(flaky) == ["enqueued", "started", "progress", "retried", "started", "progress", "completed"]
        assert tape.kinds(hopeless) == ["enqueued", "started", "progress", "failed"]
        # every event says what the store holds at that moment (it comes after the write), except that a
        # retry due at once was claimed again in the write that recorded it (finish_and_claim): that event
        # says pending, the task as the outcome left it, and its next "started" says processing
        retry_claimed = [e.kind is EventKind.RETRIED and e.status is TaskStatus.PENDING for e in tape.events]
        assert retry_claimed.count(True) == 1
        stored = [TaskStatus.PENDING if again else s for again, s in zip(retry_claimed, tape.stored, strict=True)]
        assert [e.status for e in tape.events] == stored
        retried = next(e for e in tape.events if e.kind is EventKind.RETRIED)
        assert (retried.attempt, retried.error) == (1, "ValueError: first try fails")
        progress = next(e for e in tape.events if e.kind is EventKind.PROGRESS)
        assert progress.progress == {"step": "flaky"} and progress.status is TaskStatus.PROCESSING
        failed = next(e for e in tape.events if e.kind is EventKind.FAILED)
        assert failed.error == "Fail: cannot be done" and failed.type == "step" and not failed.remote

    run(scenario())


def test_cancel_retry_park_and_unpark_emit_their_events() -> None:
    async def scenario() -> None:
        queue, runner, _ = make_queue()
        tape = Tape(queue)
        waiting = await queue.enqueue("step", Step("later"), delay_ms=60_000)
        await queue.cancel(waiting)
        await queue.retry(waiting)
        offline = await queue.enqueue("step", Step("offline"))
        await runner.run_burst()
        await queue.unpark(reason="offline")
        assert tape.kinds(waiting) == ["enqueued", "cancelled", "enqueued", "started", "progress", "completed"]
        assert tape.kinds(offline) == ["enqueued", "started", "progress", "parked", "enqueued"]
        assert [e.status for e in tape.events] == tape.stored

    run(scenario())


def test_a_recovered_expired_lease_is_told_as_retried() -> None:
    async def scenario() -> None:
        queue, runner, clock = make_queue()
        task_id = await queue.enqueue("step", Step("orphan"))
        await queue.store.claim(now=clock.now, owner="dead-tab", lease_ms=1_000, limit=1)
        tape = Tape(queue)
        clock.advance(1_000)
        await runner.recover()
        assert tape.kinds(task_id) == ["retried"] and "lease lost" in (tape.events[0].error or "")

    run(scenario())


def test_subscriptions_filter_by_task_type_and_kind_and_a_failing_listener_harms_no_one() -> None:
    bus = EventBus()
    a = TaskEvent(EventKind.STARTED, "a", "mail", TaskStatus.PROCESSING, T0, 1)
    b = TaskEvent(EventKind.COMPLETED, "b", "mail", TaskStatus.COMPLETED, T0, 1)
    c = TaskEvent(EventKind.COMPLETED, "c", "report", TaskStatus.COMPLETED, T0, 1)
    seen: dict[str, list[str]] = {"task": [], "type": [], "kind": [], "all": []}

    def broken(_event: TaskEvent) -> None:
        raise RuntimeError("listener bug")

    bus.subscribe(broken)
    bus.subscribe(lambda e: seen["task"].append(e.task_id), task_id="b")
    bus.subscribe(lambda e: seen["type"].append(e.task_id), task_type="mail")
    bus.subscribe(lambda e: seen["kind"].append(e.task_id), kinds=["completed"])
    stop = bus.subscribe(lambda e: seen["all"].append(e.task_id))
    for event in (a, b):
        bus.emit(event)
    stop()
    stop()  # twice is harmless
    bus.emit(c)
    assert seen == {"task": ["b"], "type": ["a", "b"], "kind": ["b", "c"], "all": ["a", "b"]}


def test_a_stream_yields_matching_events_in_order_until_closed() -> None:
    async def scenario() -> list[str]:
        bus = EventBus()
        got: list[str] = []
        async with bus.stream(kinds=[EventKind.COMPLETED]) as events:
            for i in range(3):
                bus.emit(TaskEvent(EventKind.COMPLETED, f"t{i}", "x", TaskStatus.COMPLETED, T0, 1))
                bus.emit(TaskEvent(EventKind.STARTED, f"s{i}", "x", TaskStatus.PROCESSING, T0, 1))
            events.close()
            async for event in events:
                got.append(event.task_id)
            async for event in events:  # an ended stream stays ended
                got.append(event.task_id)
        bus.emit(TaskEvent(EventKind.COMPLETED, "after", "x", TaskStatus.COMPLETED, T0, 1))
        return got

    assert run(scenario()) == ["t0", "t1", "t2"]


def test_an_event_crosses_tabs_as_json_text_and_comes_back_equal_marked_remote() -> None:
    task = make_task("t1").replace(status=TaskStatus.PROCESSING, attempts=2, progress={"done": [1, 2]})
    event = TaskEvent.of(EventKind.PROGRESS, task, T0)
    back = TaskEvent.from_json(event.to_json())
    assert back == event and back.remote and not event.remote
    big = TaskEvent.of(EventKind.PROGRESS, task.replace(progress={"x": "y" * 20_000}), T0)
    assert TaskEvent.from_json(big.to_json()).progress is None  # too large to carry: listeners read the task


GOOD = json.loads(TaskEvent(EventKind.FAILED, "t1", "mail", TaskStatus.FAILED, T0, 3, None, "boom").to_json())


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ({"kind": "failed"}, "not JSON text"),
        ("not json", "not valid JSON"),
        ("[1, 2]", "not an object"),
        (json.dumps({**GOOD, "kind": "exploded"}), "'kind' has an unknown value"),
        (json.dumps({**GOOD, "status": 3}), "'status' should be str"),
        (json.dumps({**GOOD, "task_id": ""}), "'task_id' should be 1 to"),
        (json.dumps({**GOOD, "type": None}), "'type' should be str"),
        (json.dumps({**GOOD, "at": "soon"}), "'at' should be a finite time"),
        (json.dumps({**GOOD, "at": float("nan")}), "'at' should be a finite time"),
        (json.dumps({**GOOD, "attempt": True}), "'attempt' should be int"),
        (json.dumps({**GOOD, "attempt": -1}), "'attempt' should be from 0"),
        (json.dumps({**GOOD, "error": ["x"]}), "'error' should be str"),
        (json.dumps({**GOOD, "progress": {"x": float("inf")}}), "progress.x is inf"),
        ('{"progress": ' + "[" * 5_000 + "]" * 5_000 + "}", "nests lists and objects more than"),
        (json.dumps({**GOOD, "error": "x" * MAX_EVENT_CHARS}), "characters long"),
    ],
)
def test_a_message_from_another_tab_that_is_not_a_valid_event_is_refused_naming_the_problem(
    message: object, words: str
) -> None:
    with pytest.raises(BadEvent) as caught:
        TaskEvent.from_json(message)
    assert words in str(caught.value)


def test_a_long_error_from_another_tab_is_clipped() -> None:
    event = TaskEvent.from_json(json.dumps({**GOOD, "error": "e" * 5_000}))
    assert event.error == "e" * 500


def test_listeners_run_before_emit_returns_so_a_waiter_set_by_one_is_set_at_once() -> None:
    async def scenario() -> bool:
        queue, runner, _ = make_queue()
        done = asyncio.Event()
        task_id = await queue.enqueue("step", Step("quick"))
        queue.events.subscribe(lambda _e: done.set(), task_id=task_id, kinds=["completed"])
        await runner.run_burst()
        return done.is_set()

    assert run(scenario())

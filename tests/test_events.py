"""Task events: what the queue and the runner emit, when, the bus's filters, and events read from other tabs."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest

from pyqueue import (
    Fail,
    MemoryStore,
    Park,
    Queue,
    QueueRunner,
    TaskContext,
    TaskRegistry,
    TaskSpec,
    TaskStatus,
    transitions,
)
from pyqueue.events import MAX_EVENT_CHARS, BadEvent, EventBus, EventKind, TaskEvent
from pyqueue.queue import TASKS_PER_TURN
from pyqueue.task import Task

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

    def as_told(self) -> list[TaskStatus | None]:
        """The stored statuses, but a task made due and claimed again in one write shows the pending its event says.

        A runner records outcomes and claims in one write (``finish_and_claim``):
        a retry due at once, or a dependant its dependency released, may be
        processing already when its ``retried`` or ``released`` event (pending)
        is told; its next event is then ``started``.
        """
        told: list[TaskStatus | None] = []
        for i, (event, stored) in enumerate(zip(self.events, self.stored, strict=True)):
            after = [e.kind for e in self.events[i + 1 :] if e.task_id == event.task_id]
            again = event.status is TaskStatus.PENDING and stored is TaskStatus.PROCESSING
            told.append(TaskStatus.PENDING if again and after[:1] == [EventKind.STARTED] else stored)
        return told

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
        # every event says what the store holds at that moment (it comes after the write)
        assert [e.status for e in tape.events] == tape.as_told()
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
        assert [e.status for e in tape.events] == tape.as_told()

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


def test_a_dependant_is_told_released_after_its_last_dependency_completed_and_before_it_starts() -> None:
    async def scenario() -> None:
        queue, runner, clock = make_queue()
        tape = Tape(queue)
        in_line: list[list[str]] = []
        queue.on_enqueue(lambda tasks: in_line.append([t.id for t in tasks]))
        a = await queue.enqueue("step", Step("a"))
        b = await queue.enqueue("step", Step("b"), delay_ms=60_000)
        join = await queue.enqueue("step", Step("join"), depends_on=[a, b])
        await runner.run_burst()
        assert tape.kinds(join) == ["enqueued"]  # a completed, b has not run: still waiting, nothing to tell
        clock.advance(60_000)
        await runner.run_burst()
        assert tape.kinds(join) == ["enqueued", "released", "started", "progress", "completed"]
        released = next(e for e in tape.events if e.kind is EventKind.RELEASED)
        b_done = next(i for i, e in enumerate(tape.events) if e.task_id == b and e.kind is EventKind.COMPLETED)
        assert tape.events.index(released) > b_done and released.status is TaskStatus.PENDING
        assert [e.status for e in tape.events] == tape.as_told()
        assert in_line[-1] == [join]  # the enqueue listeners (which wake runners, here and in other tabs) hear it
        assert TaskEvent.from_json(released.to_json()) == released

    run(scenario())


def test_dependants_failed_or_cancelled_by_cascade_are_told_so_with_the_reason_after_their_dependency() -> None:
    async def scenario() -> None:
        queue, runner, _ = make_queue()
        tape = Tape(queue)
        a = await queue.enqueue("step", Step("hopeless"))
        b = await queue.enqueue("step", Step("b"), depends_on=[a])
        c = await queue.enqueue("step", Step("c"), depends_on=[b])
        await runner.run_burst()
        assert tape.kinds(b) == tape.kinds(c) == ["enqueued", "failed"]
        failed = [e for e in tape.events if e.kind is EventKind.FAILED]
        assert [e.task_id for e in failed] == [a, b, c]
        assert failed[1].error == f"dependency {a} (step) failed: this task will not run"
        assert failed[2].error == f"dependency {b} (step) failed: this task will not run"
        # Cancelling a task cancels its dependants, told at once
        x = await queue.enqueue("step", Step("x"), delay_ms=60_000)
        y = await queue.enqueue("step", Step("y"), depends_on=[x])
        await queue.cancel(x)
        assert tape.kinds(y) == ["enqueued", "cancelled"]
        assert tape.events[-1].error == f"dependency {x} (step) cancelled: this task will not run"
        # A dependant of a task that failed already is settled at enqueue: enqueued, then failed
        late = await queue.enqueue("step", Step("late"), depends_on=[a])
        assert tape.kinds(late) == ["enqueued", "failed"]
        assert [e.status for e in tape.events] == tape.as_told()

    run(scenario())


def test_a_dependant_settled_by_a_write_that_tells_no_one_is_told_one_turn_later() -> None:
    async def scenario() -> None:
        queue, _, clock = make_queue()
        tape = Tape(queue)
        x = await queue.enqueue("step", Step("x"), delay_ms=60_000)
        y = await queue.enqueue("step", Step("y"), depends_on=[x])
        await queue.store.update(x, lambda t: transitions.cancel(t, clock.now))  # straight to the store
        assert tape.kinds(y) == ["enqueued"]
        await asyncio.sleep(0)
        assert tape.kinds(y) == ["enqueued", "cancelled"]

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


def test_a_bus_is_listened_to_while_anyone_subscribes_and_a_stream_counts() -> None:
    bus = EventBus()
    assert not bus.listened
    stop = bus.subscribe(lambda _e: None, task_id="a")
    assert bus.listened
    stop()
    assert not bus.listened
    stream = bus.stream(kinds=["completed"])
    assert bus.listened
    stream.close()
    assert not bus.listened


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


def test_what_is_emitted_while_the_bus_is_held_is_delivered_in_order_once_the_last_hold_ends() -> None:
    bus = EventBus()
    got: list[str] = []
    bus.subscribe(lambda e: got.append(e.task_id))
    with bus.holding():
        bus.emit(TaskEvent.of(EventKind.ENQUEUED, make_task("a"), T0))
        with bus.holding():
            bus.emit(TaskEvent.of(EventKind.ENQUEUED, make_task("b"), T0))
        assert got == []  # an inner hold ending delivers nothing while an outer one lasts
    assert got == ["a", "b"]
    bus.emit(TaskEvent.of(EventKind.ENQUEUED, make_task("c"), T0))
    assert got == ["a", "b", "c"]


def test_a_large_batch_is_told_over_several_turns_and_a_runner_starting_its_tasks_meanwhile_is_heard_after() -> None:
    async def scenario() -> None:
        # Given a runner busy with a backlog, and every event recorded
        queue, runner, _ = make_queue()
        told: list[tuple[str, str]] = []
        queue.events.subscribe(lambda e: told.append((e.kind.value, e.task_id)))
        backlog = await queue.enqueue_many([TaskSpec("step", Step(f"b{i}")) for i in range(100)])
        runner.start()
        await asyncio.sleep(0)
        # When a batch of three turns' worth of tasks is enqueued, its last task first in line
        count = 3 * TASKS_PER_TURN
        specs = [TaskSpec("step", Step(f"s{i}"), priority=int(i == count - 1)) for i in range(count)]
        ids = await queue.enqueue_many(specs)
        # Then the runner started the batch's last task while the batch was told (it ran between the turns)
        assert ("started", ids[-1]) in told
        await runner.stop()
        # Yet every task was heard enqueued before it was heard started, and the batch in its order
        started = [i for i in [*backlog, *ids] if ("started", i) in told]
        assert all([k for k, i in told if i == task_id][:2] == ["enqueued", "started"] for task_id in started)
        assert [i for k, i in told if k == "enqueued"] == [*backlog, *ids]

    run(scenario())


def test_events_told_in_turns_inside_a_hold_stay_behind_the_events_held_before_them() -> None:
    async def scenario() -> list[str]:
        # Given a held bus, with a task's failure already waiting (a runner told it while a batch was written)
        bus = EventBus()
        got: list[str] = []
        bus.subscribe(lambda e: got.append(e.kind.value))
        task = make_task("t")
        with bus.holding():
            bus.emit(TaskEvent.of(EventKind.FAILED, task, T0))
            # When the task is put back in line and told, inside that hold
            await bus.emit_all([TaskEvent.of(EventKind.ENQUEUED, task, T0)], per_turn=1)
            assert got == []
        return got

    # Then the failure is heard first: the last event heard is what the store holds
    assert run(scenario()) == ["failed", "enqueued"]


def test_events_told_in_turns_are_all_told_when_the_caller_is_cancelled_between_two_turns() -> None:
    async def scenario() -> tuple[int, bool]:
        bus = EventBus()
        got: list[TaskEvent] = []
        telling: list[asyncio.Task[None]] = []

        def hear(event: TaskEvent) -> None:
            if not got:
                telling[0].cancel()  # the caller is cancelled as the first event is heard
            got.append(event)

        bus.subscribe(hear)
        events = (TaskEvent.of(EventKind.ENQUEUED, make_task(f"t{i}"), T0) for i in range(30))
        telling.append(asyncio.ensure_future(bus.emit_all(events, per_turn=10)))
        try:
            await telling[0]
        except asyncio.CancelledError:
            return len(got), True
        return len(got), False

    assert run(scenario()) == (30, True)


def test_a_batch_whose_caller_is_cancelled_once_it_is_written_is_still_stored_and_told_whole() -> None:
    async def scenario() -> tuple[bool, int, list[str], int]:
        # Given a listener that cancels the enqueue as soon as the first of its events is heard
        queue, _, _ = make_queue()
        told: list[str] = []
        enqueue: list[asyncio.Task[list[str]]] = []

        def hear(event: TaskEvent) -> None:
            if not told:
                enqueue[0].cancel()
            told.append(event.task_id)

        queue.events.subscribe(hear, kinds=["enqueued"])
        woken: list[Task] = []
        queue.on_enqueue(woken.extend)
        specs = [TaskSpec("step", Step(f"s{i}")) for i in range(3 * TASKS_PER_TURN)]
        enqueue.append(asyncio.ensure_future(queue.enqueue_many(specs)))
        # When the batch is enqueued
        try:
            await enqueue[0]
            cancelled = False
        except asyncio.CancelledError:
            cancelled = True
        for _ in range(10):
            await asyncio.sleep(0)
        stored = (await queue.stats()).total
        return cancelled, stored, told, len(woken)

    # Then the caller was cancelled, yet every task of the batch is stored, was told once, and woke the runners
    cancelled, stored, told, woken = run(scenario())
    assert cancelled and stored == 3 * TASKS_PER_TURN
    assert len(told) == len(set(told)) == woken == stored


def test_overlapping_tellings_that_start_while_events_are_held_keep_each_tasks_events_in_order() -> None:
    async def scenario() -> list[str]:
        # Given a held bus (a batch being written) with a cancel of Y waiting
        bus = EventBus()
        got: list[tuple[str, str]] = []
        bus.subscribe(lambda e: got.append((e.kind.value, e.task_id)))
        y = make_task("y")
        others = [make_task(f"o{i}") for i in range(20)]
        with bus.holding():
            bus.emit(TaskEvent.of(EventKind.CANCELLED, y, T0))
            # When Y is retried (told over turns), cancelled again meanwhile, and others are retried after
            told = [TaskEvent.of(EventKind.ENQUEUED, t, T0) for t in [y, *others[:10]]]
            first = asyncio.ensure_future(bus.emit_all(told, per_turn=1))
            await asyncio.sleep(0)
            bus.emit(TaskEvent.of(EventKind.CANCELLED, y, T0))
            told = [TaskEvent.of(EventKind.ENQUEUED, t, T0) for t in others[10:]]
            await asyncio.gather(first, bus.emit_all(told, per_turn=1))
        return [kind for kind, task_id in got if task_id == "y"]

    # Then Y is heard as the store had it: cancelled, back in line, cancelled
    assert run(scenario()) == ["cancelled", "enqueued", "cancelled"]


def test_tasks_put_back_in_line_wake_the_runners_even_if_the_caller_is_cancelled_while_they_are_told() -> None:
    async def scenario() -> tuple[int, int]:
        # Given 600 cancelled tasks, and a listener that cancels the retry as its first event is heard
        queue, _, _ = make_queue()
        await queue.enqueue_many([TaskSpec("step", Step(f"a{i}"), delay_ms=60_000) for i in range(600)])
        await queue.cancel_many(chunk_size=1000)
        woken: list[Task] = []
        queue.on_enqueue(woken.extend)
        heard: list[str] = []
        retry: list[asyncio.Task[object]] = []

        def hear(event: TaskEvent) -> None:
            if not heard:
                retry[0].cancel()
            heard.append(event.task_id)

        queue.events.subscribe(hear, kinds=["enqueued"])
        # When they are all retried in one chunk
        retry.append(asyncio.ensure_future(queue.retry_many(["cancelled"], chunk_size=1000)))
        with pytest.raises(asyncio.CancelledError):
            await retry[0]
        return len(heard), len(woken)

    # Then every one was told, and the enqueue listeners (which wake the runners) heard of every one
    assert run(scenario()) == (600, 600)

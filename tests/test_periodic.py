"""Periodic tasks: declared on the registry, one task per slot across tabs, and the catch-up rule."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from pyqueue import (
    InvalidOption,
    MemoryStore,
    PeriodicScheduler,
    Queue,
    QueueRunner,
    Slot,
    TaskContext,
    TaskRegistry,
    TaskStatus,
    next_slot_at,
    schedule_due,
)
from pyqueue.periodic import RETRY_AFTER_MS

from .async_support import run
from .fakes import FakeClock

SECOND = 1_000.0
T0 = 1_700_000_000_000.0  # a multiple of a minute: slots of 10 s start at T0, T0 + 10 s, ...


@dataclass
class Report:
    title: str


class Tabs:
    """Two tabs' queues over one store (as two pages over one IndexedDB), a runner, and what the handlers saw."""

    def __init__(self, registry: TaskRegistry, start: float = T0) -> None:
        self.clock = FakeClock(start)
        store = MemoryStore(clock=self.clock)
        self.tabs = [Queue(store, registry, clock=self.clock) for _ in range(2)]
        self.runner = QueueRunner(self.tabs[0])

    async def slots(self, task_type: str) -> list[float]:
        tasks = sorted(await self.tabs[0].tasks(limit=1000), key=lambda t: t.seq)
        return [t.run_at - T0 for t in tasks if t.type == task_type]


def ticking(seen: list[object], every_ms: float = 10 * SECOND) -> TaskRegistry:
    registry = TaskRegistry()

    @registry.periodic("tick", every_ms=every_ms)
    async def tick(slot: Slot, ctx: TaskContext) -> None:
        seen.append(slot.start)

    return registry


def test_an_interval_task_enqueues_the_slot_in_progress_keyed_by_its_start() -> None:
    async def scenario() -> None:
        seen: list[object] = []
        app = Tabs(ticking(seen), start=T0 + 4 * SECOND)
        (task_id,) = await schedule_due(app.tabs[0])
        task = await app.tabs[0].get(task_id)
        assert (task.type, task.run_at, task.unique_key) == ("tick", T0, f"periodic:tick:{T0:.0f}")
        assert task.payload == {"start": T0} and task.status is TaskStatus.PENDING
        await app.runner.run_burst()
        assert seen == [T0]

    run(scenario())


def test_two_tabs_scheduling_throughout_each_slot_get_one_run_per_slot() -> None:
    async def scenario() -> None:
        seen: list[object] = []
        app = Tabs(ticking(seen))
        for _ in range(12):  # two minutes, both tabs stepping every second
            for tab in app.tabs:
                await schedule_due(tab)
            await app.runner.run_burst()
            app.clock.advance(SECOND)
        assert await app.slots("tick") == [0.0, 10 * SECOND]
        assert seen == [T0, T0 + 10 * SECOND]

    run(scenario())


def test_after_the_page_was_closed_the_missed_slots_run_once_not_as_a_burst() -> None:
    async def scenario() -> None:
        seen: list[object] = []
        app = Tabs(ticking(seen))
        await schedule_due(app.tabs[0])
        await app.runner.run_burst()
        app.clock.advance(50 * 10 * SECOND + 3 * SECOND)  # closed for fifty slots
        await schedule_due(app.tabs[1])
        await schedule_due(app.tabs[0])
        await app.runner.run_burst()
        assert await app.slots("tick") == [0.0, 500 * SECOND]
        assert seen == [T0, T0 + 500 * SECOND]

    run(scenario())


def test_a_cron_task_runs_its_latest_matching_minute_and_the_next_slot_is_the_next_match() -> None:
    async def scenario() -> None:
        registry = TaskRegistry()

        @registry.periodic("report", cron="0 9 * * mon-fri", tz=UTC, payload=Report("daily"))
        async def report(p: Report, ctx: TaskContext) -> str:
            return p.title

        friday_noon = datetime(2026, 3, 13, 12, tzinfo=UTC).timestamp() * 1000
        app = Tabs(registry, start=friday_noon)
        (task_id,) = await schedule_due(app.tabs[0])
        task = await app.tabs[0].get(task_id)
        assert task.run_at == friday_noon - 3 * 3_600_000 and task.payload == {"title": "daily"}
        monday_nine = datetime(2026, 3, 16, 9, tzinfo=UTC).timestamp() * 1000
        assert next_slot_at(registry.periodic_tasks, friday_noon) == monday_nine

    run(scenario())


def test_a_payload_can_be_built_from_the_slot_start() -> None:
    async def scenario() -> None:
        registry = TaskRegistry()

        @registry.periodic("numbered", every_ms=10 * SECOND, payload=lambda start: Report(f"slot {start - T0:.0f}"))
        async def numbered(p: Report, ctx: TaskContext) -> None:
            return None

        app = Tabs(registry, start=T0 + 25 * SECOND)
        (task_id,) = await schedule_due(app.tabs[0])
        assert (await app.tabs[0].get(task_id)).payload == {"title": "slot 20000"}

    run(scenario())


def test_next_slot_at_is_the_soonest_slot_of_any_periodic_type() -> None:
    registry = ticking([], every_ms=10 * SECOND)

    @registry.periodic("slow", every_ms=60 * SECOND)
    async def slow(slot: Slot, ctx: TaskContext) -> None:
        return None

    assert next_slot_at(registry.periodic_tasks, T0 + 3 * SECOND) == T0 + 10 * SECOND
    assert next_slot_at(registry.periodic_tasks, T0 + 10 * SECOND) == T0 + 20 * SECOND
    assert next_slot_at([], T0) is None


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "give exactly one of every_ms and cron"),
        ({"every_ms": 1000, "cron": "* * * * *"}, "give exactly one of every_ms and cron"),
        ({"every_ms": 0}, "must be at least 1 ms"),
        ({"every_ms": float("nan")}, "must be a number of milliseconds"),
        ({"cron": "0 25 * * *"}, "hour: '25' is outside 0-23"),
        ({"cron": "0 9 * * *", "tz": "Europe/Paris"}, "must be a datetime.tzinfo"),
    ],
)
def test_a_periodic_declaration_with_a_bad_schedule_is_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidOption) as caught:
        TaskRegistry().periodic("p", **options)  # type: ignore[arg-type]
    assert message in str(caught.value)


class SleepingClock:
    """A sleep that moves the fake clock instead of waiting, and stops the scheduler after *steps* sleeps."""

    def __init__(self, clock: FakeClock, steps: int) -> None:
        self.clock = clock
        self.steps = steps
        self.woke_at: list[float] = []
        self.scheduler: PeriodicScheduler | None = None

    async def __call__(self, seconds: float) -> None:
        self.clock.advance(seconds * 1000)
        self.woke_at.append(self.clock() - T0)
        if len(self.woke_at) >= self.steps and self.scheduler is not None:
            self.scheduler.stop()
        await asyncio.sleep(0)


def test_the_scheduler_steps_at_start_and_wakes_at_each_slot_start() -> None:
    async def scenario() -> None:
        seen: list[object] = []
        app = Tabs(ticking(seen), start=T0 + 4 * SECOND)
        sleep = SleepingClock(app.clock, steps=3)
        scheduler = sleep.scheduler = PeriodicScheduler(app.tabs[0], sleep=sleep)
        with contextlib.suppress(asyncio.CancelledError):
            await scheduler.start()
        assert sleep.woke_at == [10 * SECOND, 20 * SECOND, 30 * SECOND]
        assert await app.slots("tick") == [0.0, 10 * SECOND, 20 * SECOND]

    run(scenario())


def test_a_scheduler_started_after_a_step_of_its_own_waits_for_the_next_slot() -> None:
    # Given the slot in progress just enqueued (as BrowserQueue.schedule_periodic does before it starts the scheduler)
    async def scenario() -> None:
        app = Tabs(ticking([]), start=T0 + 4 * SECOND)
        await schedule_due(app.tabs[0])
        steps: list[float] = []
        sleep = SleepingClock(app.clock, steps=2)
        scheduler = sleep.scheduler = PeriodicScheduler(app.tabs[0], sleep=sleep)
        real_step = scheduler.step

        async def step() -> float | None:
            steps.append(app.clock() - T0)
            return await real_step()

        scheduler.step = step  # type: ignore[method-assign]
        # When it starts with the next slot's start as its first step
        with contextlib.suppress(asyncio.CancelledError):
            await scheduler.start(first_at=T0 + 10 * SECOND)
        # Then it does not step again at once: its first step is at the next slot
        assert steps == [10 * SECOND]
        assert await app.slots("tick") == [0.0, 10 * SECOND]

    run(scenario())


def test_a_failed_scheduling_step_is_tried_again_soon() -> None:
    async def scenario() -> None:
        registry = ticking([], every_ms=60 * SECOND)
        clock = FakeClock(T0)
        full = Queue(MemoryStore(clock=clock), registry, clock=clock, max_size=1)
        await full.enqueue("tick", Slot(0.0), delay_ms=3_600_000)
        assert await PeriodicScheduler(full).step() == T0 + RETRY_AFTER_MS

    run(scenario())

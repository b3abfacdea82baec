"""The memory app's eight task types on a real queue (memory store, fake clock, burst runs)."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from pyqueue import (
    MemoryStore,
    Queue,
    QueueRunner,
    Task,
    TaskRegistry,
    TaskStatus,
    exponential_backoff,
    schedule_due,
)
from pyqueue.browser.network import OFFLINE, unpark_offline
from web.memory import tasks as mt
from web.memory.store import InMemoryBackend

from .async_support import run
from .fakes import FakeClock

MINUTE = 60_000.0


class Online:
    def __init__(self) -> None:
        self.value = True

    def __call__(self) -> bool:
        return self.value


class App:
    """A queue, a runner and the memory worker, as the page wires them, without a browser."""

    def __init__(self, **config: Any) -> None:
        self.clock = FakeClock()
        self.online = Online()
        self.memory = InMemoryBackend()
        self.worker = mt.MemoryWorker(
            self.memory, config=mt.MemoryConfig(pace_ms=0, **config), clock=self.clock, online=self.online
        )
        registry = TaskRegistry()
        self.worker.register(registry)
        self.queue = Queue(MemoryStore(clock=self.clock), registry, clock=self.clock)
        self.worker.bind(self.queue)
        backoff = functools.partial(exponential_backoff, base_ms=1_000, jitter=None)
        self.runner = QueueRunner(self.queue, backoff=backoff)

    async def all_tasks(self) -> list[Task]:
        return sorted(await self.queue.tasks(limit=10_000), key=lambda t: t.seq)

    async def types(self, status: TaskStatus | None = None) -> list[str]:
        return [t.type for t in await self.all_tasks() if status is None or t.status is status]


NOTES = [
    "Coffee helps my focus in the morning. Sleep matters more than coffee.",
    "Coffee does not help my focus in the morning.",
    "Coffee tastes better with oat milk. Sleep comes easier without coffee.",
]


def test_three_notes_run_the_whole_chain_once_each_and_fill_the_memory() -> None:
    async def scenario() -> None:
        app = App(periodic=False)
        goal_id, _ = await app.worker.add_goal("Understand coffee and sleep")
        for note in NOTES:
            await app.worker.add_note(note)
            app.clock.advance(1_000)
        counts = await app.runner.run_burst()
        assert counts.failed == 0 and counts.retried == 0
        done = await app.types(TaskStatus.COMPLETED)
        assert done.count(mt.EXTRACT) == 3
        assert done.count(mt.OBSERVE) == 3
        assert done.count(mt.CONSOLIDATE) == 3
        assert mt.SUMMARY in done and mt.GOAL in done and mt.SYNTHESIS in done
        assert await app.types(TaskStatus.PENDING) == []

        memory = await app.memory.read()
        assert len(memory.units) == 3
        assert {c.text for c in memory.claims.values()} >= {"Coffee helps my focus in the morning."}
        assert any(f.kind == "contradiction" for f in memory.flags.values())
        assert "ch-coffee" in memory.chains
        assert memory.goals[goal_id].progress > 0
        assert "s-coffee" in memory.syntheses
        assert len(memory.summaries) == 1

        extraction = next(t for t in await app.all_tasks() if t.type == mt.EXTRACT)
        assert extraction.progress == {"done": 3, "of": 3, "step": "claims stored"}

    run(scenario())


def test_adding_the_same_note_twice_extracts_it_once() -> None:
    async def scenario() -> None:
        app = App(periodic=False)
        saved, first = await app.worker.add_note(NOTES[0])
        again, second = await app.worker.add_note("  " + NOTES[0].replace(" ", "  ") + " ")
        assert second == first and again.unit.id == saved.unit.id and not again.changed
        await app.runner.run_burst()
        await app.worker.add_note(NOTES[0])  # once more after the chain ran
        await app.runner.run_burst()
        types = await app.types()
        assert types.count(mt.EXTRACT) == 1 and types.count(mt.OBSERVE) == 1 and types.count(mt.CONSOLIDATE) == 1
        memory = await app.memory.read()
        assert len(memory.claims) == 2 and memory.units[saved.unit.id].saves == 3

    run(scenario())


def test_an_extraction_retried_after_its_write_still_starts_the_chain_once() -> None:
    async def scenario() -> None:
        app = App(periodic=False)
        saved, task_id = await app.worker.add_note(NOTES[0])
        # As if an earlier attempt stored the claims, then its tab died before enqueueing the observer.
        unit = saved.unit
        from web.memory import logic

        await app.memory.change(
            lambda m: logic.apply_extraction(m, unit.id, unit.content_hash, logic.draft_claims(unit.text), 0)
        )
        await app.runner.run_burst()
        extraction = await app.queue.get(task_id)
        assert extraction.result == {"skipped": "this version of the note was already extracted"}
        assert (await app.types(TaskStatus.COMPLETED)).count(mt.OBSERVE) == 1

    run(scenario())


def test_an_unknown_observer_fails_at_once_with_a_clear_error() -> None:
    async def scenario() -> None:
        app = App(periodic=False)
        task_id = await app.queue.enqueue(mt.OBSERVE, {"unit_id": "u", "content_hash": "h", "observers": ["nope"]})
        await app.runner.run_burst()
        task = await app.queue.get(task_id)
        assert task.status is TaskStatus.FAILED and task.attempts == 1
        assert task.errors[0].error == "Fail: unknown observer(s) nope; known: contradictions, repetitions"

    run(scenario())


def test_periodic_decay_runs_once_per_slot_however_many_tabs_step_the_scheduler() -> None:
    async def scenario() -> None:
        every = 10_000.0
        app = App(decay_every_ms=every, dormancy_every_ms=every * 3, stale_after_ms=MINUTE, decay_factor=0.5)
        await app.worker.add_note(NOTES[0])
        await app.runner.run_burst()
        first = await schedule_due(app.queue)
        second = await schedule_due(app.queue)  # another tab starting: the same two tasks
        assert len(first) == 2 and second == first
        for _ in range(12):  # two minutes of slots, two tabs stepping at each
            app.clock.advance(every)
            await schedule_due(app.queue)
            await schedule_due(app.queue)
            await app.runner.run_burst()
            assert [t for t in await app.all_tasks() if t.type == mt.DECAY and not t.status.finished] == []
        decays = [t for t in await app.all_tasks() if t.type == mt.DECAY and t.status is TaskStatus.COMPLETED]
        slots = [t.payload["slot"] for t in decays]
        assert len(slots) == 13 and len(set(slots)) == 13
        claim = next(iter((await app.memory.read()).claims.values()))
        assert claim.confidence < 0.7 and claim.decayed_slot == max(slots)

    run(scenario())


def test_a_periodic_task_after_a_long_absence_runs_once_and_skips_the_missed_slots() -> None:
    async def scenario() -> None:
        every = 10_000.0
        app = App(decay_every_ms=every, dormancy_every_ms=every)
        await schedule_due(app.queue)
        await app.runner.run_burst()
        app.clock.advance(every * 50)
        await schedule_due(app.queue)
        await app.runner.run_burst()
        decays = [t for t in await app.all_tasks() if t.type == mt.DECAY]
        assert [t.status for t in decays] == [TaskStatus.COMPLETED, TaskStatus.COMPLETED]
        assert decays[1].payload["slot"] - decays[0].payload["slot"] == 50

    run(scenario())


def test_with_periodic_work_off_nothing_is_scheduled() -> None:
    async def scenario() -> None:
        app = App(periodic=False)
        assert await schedule_due(app.queue) == []

    run(scenario())


def test_offline_a_synthesis_parks_without_using_an_attempt_and_runs_once_unparked_online() -> None:
    async def scenario() -> None:
        app = App(periodic=False)
        app.online.value = False
        for note in NOTES:
            await app.worker.add_note(note)
        counts = await app.runner.run_burst()
        assert counts.failed == 0 and counts.retried == 0 and counts.parked >= 1
        syntheses = [t for t in await app.all_tasks() if t.type == mt.SYNTHESIS]
        assert syntheses and all(t.parked is not None and t.attempts == 0 and t.errors == () for t in syntheses)
        assert {t.parked for t in syntheses} == {OFFLINE}
        app.clock.advance(7 * 24 * 60 * MINUTE)  # a week offline: still parked, never claimed
        assert (await app.runner.run_burst()).claimed == 0

        app.online.value = True
        woken = await unpark_offline(app.queue)
        assert sorted(t.id for t in woken) == sorted(t.id for t in syntheses)
        await app.runner.run_burst()
        for t in syntheses:
            done = await app.queue.get(t.id)
            assert done.status is TaskStatus.COMPLETED and done.attempts == 1 and done.errors == ()
        assert "s-coffee" in (await app.memory.read()).syntheses

    run(scenario())


def test_unparking_leaves_tasks_parked_for_other_reasons_alone() -> None:
    async def scenario() -> None:
        app = App(periodic=False)
        app.online.value = False
        task_id = await app.queue.enqueue(mt.SYNTHESIS, {"topic": "coffee"})
        other = await app.queue.enqueue(mt.SUMMARY, {"session_id": "x"})
        await app.runner.run_burst()
        assert (await app.queue.get(task_id)).parked is not None
        assert (await app.queue.get(other)).status is TaskStatus.COMPLETED
        assert await unpark_offline(app.queue) != []
        assert await unpark_offline(app.queue) == []

    run(scenario())


@pytest.mark.parametrize("bad", [{"unit_id": 3, "content_hash": "h"}, {"unit": "u"}])
def test_payloads_are_typed_and_checked_at_enqueue(bad: dict[str, Any]) -> None:
    from pyqueue import InvalidPayload

    async def scenario() -> None:
        app = App()
        with pytest.raises(InvalidPayload):
            await app.queue.enqueue(mt.EXTRACT, bad)

    run(scenario())

"""The runner's alarm: one timer at a time however often the loop is woken, never later than asked."""

from __future__ import annotations

import asyncio

from pyqueue.alarm import Alarm

from .async_support import run, timers_of


def test_a_loop_woken_again_and_again_re_arms_nothing_while_its_deadline_is_pending() -> None:
    async def scenario() -> None:
        event = asyncio.Event()
        alarm = Alarm(event)
        timers = timers_of(Alarm)
        for _ in range(100):  # each wake-up of an idle loop asks for its look again a minute on
            alarm.ring_within(60)
            await asyncio.sleep(0)
        assert len(timers) == 1
        assert not event.is_set()

    run(scenario())


def test_an_earlier_deadline_gets_a_timer_of_its_own_and_rings_at_it() -> None:
    async def scenario() -> None:
        event = asyncio.Event()
        alarm = Alarm(event)
        timers = timers_of(Alarm)
        alarm.ring_within(60)
        alarm.ring_within(0.01)  # a task falls due sooner
        await asyncio.wait_for(event.wait(), 5)
        assert len(timers) == 2 and timers[1] < timers[0]

    run(scenario())


def test_a_later_deadline_while_an_earlier_one_is_pending_rings_early_not_late() -> None:
    async def scenario() -> None:
        event = asyncio.Event()
        alarm = Alarm(event)
        alarm.ring_within(0.01)
        alarm.ring_within(60)  # kept: the pending ring comes first, one more look for the loop
        await asyncio.wait_for(event.wait(), 5)

    run(scenario())


def test_after_a_ring_the_next_deadline_arms_a_new_timer() -> None:
    async def scenario() -> None:
        event = asyncio.Event()
        alarm = Alarm(event)
        timers = timers_of(Alarm)
        alarm.ring_within(0.01)
        await asyncio.wait_for(event.wait(), 5)
        event.clear()
        alarm.ring_within(0.01)
        await asyncio.wait_for(event.wait(), 5)
        assert len(timers) == 2

    run(scenario())


def test_an_alarm_used_again_in_a_new_event_loop_rings_there() -> None:
    event = asyncio.Event()
    alarm = Alarm(event)

    async def first() -> None:
        alarm.ring_within(0.001)  # still pending when this loop closes: it never rings

    async def second() -> None:
        alarm.ring_within(0.05)  # later than the dead timer's due: it must not count on it
        await asyncio.wait_for(event.wait(), 5)

    run(first())
    run(second())

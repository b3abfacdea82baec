"""Task timeouts through shared timers: what a block sees is what ``asyncio.timeout`` does, with one timer pending."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest

from pyqueue.deadlines import Deadline, Deadlines

from .async_support import run, timers_of

Within = Callable[[float | None], AbstractAsyncContextManager[Any]]


async def ends_early(within: Within) -> str:
    async with within(60):
        await asyncio.sleep(0)
    return "done"


async def overruns(within: Within) -> str:
    async with within(0.02):
        await asyncio.sleep(10)
    return "done"


async def swallows_its_cancel(within: Within) -> str:
    async with within(0.02):
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "swallowed"
    return "done"


async def cleans_up_after_its_cancel(within: Within) -> str:
    async with within(0.02):
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.01)
    return "done"


async def catches_its_own_shorter_timeout(within: Within) -> str:
    async with within(60):
        try:
            async with asyncio.timeout(0.01):
                await asyncio.sleep(10)
        except TimeoutError:
            return "own timeout"
    return "done"


async def sits_under_its_own_longer_timeout(within: Within) -> str:
    async with within(0.02):
        async with asyncio.timeout(30):
            await asyncio.sleep(10)
    return "done"


async def is_cancelled_from_outside(within: Within) -> str:  # how a runner's stop ends a late task
    asyncio.get_running_loop().call_later(0.02, asyncio.current_task().cancel)  # type: ignore[union-attr]
    async with within(60):
        await asyncio.sleep(10)
    return "done"


async def has_no_timeout(within: Within) -> str:
    async with within(None):
        await asyncio.sleep(0.02)
    return "done"


async def outcome(body: Callable[[Within], Awaitable[str]], within: Within) -> str:
    """What the block's task ended with: its result, or the name of the exception it raised."""
    task = asyncio.ensure_future(body(within))
    try:
        return await task
    except BaseException as e:  # a CancelledError too: the task's, not ours
        return type(e).__name__


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (ends_early, "done"),
        (overruns, "TimeoutError"),
        (swallows_its_cancel, "swallowed"),
        (cleans_up_after_its_cancel, "TimeoutError"),
        (catches_its_own_shorter_timeout, "own timeout"),
        (sits_under_its_own_longer_timeout, "TimeoutError"),
        (is_cancelled_from_outside, "CancelledError"),
        (has_no_timeout, "done"),
    ],
)
def test_a_block_ends_as_under_asyncio_timeout(body: Callable[[Within], Awaitable[str]], expected: str) -> None:
    async def scenario() -> tuple[str, str]:
        return await outcome(body, asyncio.timeout), await outcome(body, Deadlines().timeout)

    assert run(scenario()) == (expected, expected)


def test_blocks_that_end_before_their_time_leave_one_timer_pending() -> None:
    async def scenario() -> None:
        deadlines = Deadlines()
        timers = timers_of(Deadlines, asyncio.Timeout)
        for _ in range(200):
            assert await ends_early(deadlines.timeout) == "done"
        assert len(timers) == 1
        # (asyncio.timeout sets one per block, and in Pyodide each stays alive until its time)
        for _ in range(200):
            await ends_early(asyncio.timeout)
        assert len(timers) == 201

    run(scenario())


def test_an_earlier_due_entered_after_a_later_one_expires_at_its_own_time() -> None:
    async def scenario() -> None:
        deadlines = Deadlines()
        patient = asyncio.ensure_future(outcome(cleans_up_after_its_cancel, lambda s: deadlines.timeout(60)))
        await asyncio.sleep(0)  # its 60 s deadline is pending first
        assert await outcome(overruns, deadlines.timeout) == "TimeoutError"  # not 10 s later, when its sleep ends
        assert not patient.done()
        patient.cancel()

    run(scenario())


def test_a_block_still_running_when_an_earlier_one_ended_expires_at_its_own_time() -> None:
    async def scenario() -> None:
        deadlines = Deadlines()
        async with deadlines.timeout(0.01):  # sets the timer, then ends before it fires
            pass
        with pytest.raises(TimeoutError):
            async with deadlines.timeout(0.05):  # due after that timer: left to the timer it sets next
                await asyncio.sleep(10)

    run(scenario())


def test_timeouts_of_two_lengths_side_by_side_keep_one_timer_each_pending() -> None:
    async def scenario() -> None:
        deadlines = Deadlines()
        timers = timers_of(Deadlines)
        for _ in range(10):
            for seconds in (60, 0.01):  # a long task type's block, then a short one's, both ending early
                async with deadlines.timeout(seconds):
                    pass
            await asyncio.sleep(0.02)  # the short one's timer fires
        # the 60 s timer is kept, not cancelled (cancelled, it would stay alive in Pyodide all the same)
        assert sum(when > asyncio.get_running_loop().time() for when in timers) == 1

    run(scenario())


def test_a_block_that_ended_holds_on_to_nothing_while_its_due_waits_in_the_heap() -> None:
    async def scenario() -> None:
        deadlines = Deadlines()
        others = [asyncio.ensure_future(ends_after(deadlines, 60, asyncio.Event())) for _ in range(2)]
        finished = asyncio.ensure_future(ends_early(deadlines.timeout))  # its due is later than the others'
        assert await finished == "done"
        ref = weakref.ref(finished)
        del finished
        await asyncio.sleep(0)  # the loop's handle that woke us with the finished task goes too
        gc.collect()
        assert ref() is None  # not kept by its asyncio.Timeout for the next minute
        for task in others:
            task.cancel()

    run(scenario())


def test_blocks_that_ended_leave_the_heap_so_it_holds_about_as_many_as_run() -> None:
    async def scenario() -> None:
        deadlines = Deadlines()
        running = asyncio.Event()
        other = asyncio.ensure_future(ends_after(deadlines, 60, running))
        await asyncio.sleep(0)
        for _ in range(100):
            async with deadlines.timeout(60):
                pass
        gc.collect()
        assert sum(isinstance(o, Deadline) for o in gc.get_objects()) <= 3  # not 100 until their minute is up
        running.set()
        await other

    run(scenario())


async def ends_after(deadlines: Deadlines, seconds: float, event: asyncio.Event) -> None:
    async with deadlines.timeout(seconds):
        await event.wait()


def test_deadlines_used_again_in_a_new_event_loop_still_expire_blocks() -> None:
    deadlines = Deadlines()
    run(ends_early(lambda s: deadlines.timeout(0.01)))  # that loop closes before its timer fires
    assert run(outcome(overruns, deadlines.timeout)) == "TimeoutError"

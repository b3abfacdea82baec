"""When the read-only view says the queue is idle: nothing pending, processing, or scheduled and due."""

from __future__ import annotations

from dataclasses import dataclass

from pyqueue import MemoryStore, Queue, TaskContext, TaskRegistry
from pyqueue.browser.devtools import queue_idle

from .async_support import run
from .fakes import FakeClock


@dataclass
class Ping:
    n: int = 0


async def ping(payload: Ping, ctx: TaskContext) -> None:
    return None


def make_queue() -> tuple[Queue, FakeClock]:
    clock = FakeClock()
    registry = TaskRegistry()
    registry.register("ping", ping)
    return Queue(MemoryStore(clock=clock), registry, clock=clock), clock


def test_an_empty_queue_is_idle_and_a_pending_task_is_not() -> None:
    async def scenario() -> tuple[bool, bool]:
        queue, _ = make_queue()
        empty = await queue_idle(queue)
        await queue.enqueue("ping", Ping())
        return empty, await queue_idle(queue)

    assert run(scenario()) == (True, False)


def test_a_claimed_task_keeps_the_queue_busy_until_its_outcome_is_recorded() -> None:
    async def scenario() -> tuple[bool, bool]:
        queue, clock = make_queue()
        await queue.enqueue("ping", Ping())
        await queue.store.claim(now=clock(), owner="r", lease_ms=1_000, limit=1)
        return await queue_idle(queue), (await queue.stats()).by_status.get("processing") == 1

    assert run(scenario()) == (False, True)


def test_a_task_scheduled_later_leaves_the_queue_idle_until_it_falls_due() -> None:
    async def scenario() -> tuple[bool, bool]:
        queue, clock = make_queue()
        await queue.enqueue("ping", Ping(), delay_ms=5_000)
        before = await queue_idle(queue)
        clock.advance(5_000)
        return before, await queue_idle(queue)

    assert run(scenario()) == (True, False)

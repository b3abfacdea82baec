"""Awaiting a task's result: finished before or after the await, failed, cancelled, timed out, lost events."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from pyqueue import (
    Fail,
    InvalidOption,
    MemoryStore,
    Queue,
    QueueRunner,
    ResultTimeout,
    TaskCancelled,
    TaskContext,
    TaskFailed,
    TaskNotFound,
    TaskRegistry,
    TaskStatus,
)
from pyqueue.storage import Storage
from pyqueue.task import Task

from .async_support import run
from .fakes import FakeClock


@dataclass
class Sum:
    a: int
    b: int


async def add(p: Sum, ctx: TaskContext) -> int:
    if p.a < 0:
        raise Fail("negative numbers are not supported")
    return p.a + p.b


def make_queue(store: Storage | None = None) -> tuple[Queue, QueueRunner]:
    registry = TaskRegistry()
    registry.register("add", add, max_attempts=2)
    clock = FakeClock()
    queue = Queue(store or MemoryStore(clock=clock), registry, clock=clock)
    return queue, QueueRunner(queue)


def test_awaiting_a_handle_gives_the_result_of_a_task_run_after_the_await_began() -> None:
    async def scenario() -> None:
        queue, runner = make_queue()
        handle = queue.handle(await queue.enqueue("add", Sum(2, 3)))
        waiter = asyncio.ensure_future(handle.result(timeout_ms=5_000))
        await asyncio.sleep(0)
        assert not waiter.done()
        await runner.run_burst()
        assert await waiter == 5

    run(scenario())


def test_a_task_that_finished_before_the_await_began_resolves_at_once() -> None:
    async def scenario() -> None:
        queue, runner = make_queue()
        task_id = await queue.enqueue("add", Sum(1, 1))
        await runner.run_burst()
        assert await queue.handle(task_id) == 2
        assert await queue.result(task_id, timeout_ms=0) == 2

    run(scenario())


def test_a_failed_task_raises_task_failed_carrying_its_last_error_and_traceback() -> None:
    async def scenario() -> None:
        queue, runner = make_queue()
        handle = queue.handle(await queue.enqueue("add", Sum(-1, 1)))
        waiter = asyncio.ensure_future(handle.result())
        await runner.run_burst()
        with pytest.raises(TaskFailed) as caught:
            await waiter
        failed = caught.value
        assert failed.error == "Fail: negative numbers are not supported"
        assert "Traceback" in failed.traceback and "negative numbers" in failed.traceback
        assert failed.task.status is TaskStatus.FAILED and failed.task.id == handle.id
        assert "failed after 1 attempt(s): Fail: negative numbers" in str(failed)

    run(scenario())


def test_a_task_cancelled_while_awaited_raises_task_cancelled() -> None:
    async def scenario() -> None:
        queue, _ = make_queue()
        handle = queue.handle(await queue.enqueue("add", Sum(1, 2), delay_ms=60_000))
        waiter = asyncio.ensure_future(handle.result())
        await asyncio.sleep(0)
        await queue.cancel(handle.id)
        with pytest.raises(TaskCancelled) as caught:
            await asyncio.wait_for(waiter, 1)  # the cancel's event, not a timer, resolves it
        assert caught.value.task.status is TaskStatus.CANCELLED and caught.value.error == ""
        assert str(caught.value) == f"task {handle.id!r} (add) was cancelled"

    run(scenario())


def test_a_timeout_raises_result_timeout_a_timeout_error_and_leaves_the_task_alone() -> None:
    async def scenario() -> None:
        queue, _ = make_queue()
        task_id = await queue.enqueue("add", Sum(1, 2))
        with pytest.raises(ResultTimeout) as caught:
            await queue.result(task_id, timeout_ms=30)
        assert isinstance(caught.value, TimeoutError)
        assert (caught.value.task_id, caught.value.status) == (task_id, "pending")
        assert (await queue.get(task_id)).status is TaskStatus.PENDING

    run(scenario())


def test_a_task_finished_where_no_event_reaches_this_queue_resolves_by_reading_the_row() -> None:
    async def scenario() -> None:
        # Given two queues on one store with their own event buses: another tab whose messages are lost
        here, _ = make_queue()
        _, their_runner = make_queue(here.store)
        handle = here.handle(await here.enqueue("add", Sum(4, 4)), poll_ms=20)
        waiter = asyncio.ensure_future(handle.result(timeout_ms=2_000))
        await asyncio.sleep(0)
        # When the other side runs it
        await their_runner.run_burst()
        # Then the waiter reads the row within its poll interval
        assert await waiter == 8

    run(scenario())


class SlowReadStore(MemoryStore):
    """The first read of a task is taken before a gate and returned after it: a finish can fall in between."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = asyncio.Event()
        self.gate = asyncio.Event()

    async def get(self, task_id: str) -> Task | None:
        task = await super().get(task_id)
        if not self.gate.is_set():
            self.reading.set()
            await self.gate.wait()
        return task


def test_a_finish_between_the_first_read_and_the_wait_is_not_missed() -> None:
    async def scenario() -> None:
        store = SlowReadStore()
        queue, runner = make_queue(store)
        store.gate.set()
        handle = queue.handle(await queue.enqueue("add", Sum(1, 4)), poll_ms=60_000)
        store.gate.clear()
        waiter = asyncio.ensure_future(handle.result())
        await store.reading.wait()  # the handle holds a pending copy of the task
        await runner.run_burst()  # the task completes, its event fires now
        store.gate.set()
        # subscribed before reading: the event was kept and the row read again at once, not a minute later
        assert await asyncio.wait_for(waiter, 1) == 5

    run(scenario())


def test_a_task_deleted_while_awaited_raises_task_not_found() -> None:
    async def scenario() -> None:
        queue, _ = make_queue()
        handle = queue.handle(await queue.enqueue("add", Sum(1, 2)), poll_ms=10)
        waiter = asyncio.ensure_future(handle.result(timeout_ms=2_000))
        await asyncio.sleep(0)
        await queue.clear()
        with pytest.raises(TaskNotFound):
            await waiter

    run(scenario())


@pytest.mark.parametrize(("option", "value"), [("timeout_ms", -1), ("timeout_ms", float("nan")), ("poll_ms", 0)])
def test_bad_waiting_options_are_refused(option: str, value: Any) -> None:
    async def scenario() -> None:
        queue, _ = make_queue()
        task_id = await queue.enqueue("add", Sum(1, 2))
        with pytest.raises(InvalidOption):
            if option == "poll_ms":
                queue.handle(task_id, poll_ms=value)
            else:
                await queue.result(task_id, timeout_ms=value)

    run(scenario())

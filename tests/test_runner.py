"""The runner, driven by a fake clock in burst mode (no sleeping for backoffs), plus a few real-time loop tests."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from pyqueue import (
    Fail,
    InlineQueue,
    MemoryStore,
    Park,
    PauseReason,
    Queue,
    QueueRunner,
    Retry,
    RunnerState,
    StorageError,
    TaskContext,
    TaskRegistry,
    TaskStatus,
    exponential_backoff,
    wall_clock,
)
from pyqueue.alarm import Alarm
from pyqueue.deadlines import Deadlines
from pyqueue.runner import INTERRUPTED

from .async_support import run, timers_of
from .contract_cases import T0, make_task
from .fakes import FakeClock

no_jitter = functools.partial(exponential_backoff, base_ms=1_000, jitter=None)


@dataclass
class Job:
    name: str
    fail_times: int = 0
    seconds: float = 0.0


class Recorder:
    """Handlers that record every call, fail on demand, and can sleep."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.running = 0
        self.most_at_once = 0

    async def handle(self, payload: Job, ctx: TaskContext) -> dict[str, Any]:
        self.calls.append(payload.name)
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if payload.seconds:
                await asyncio.sleep(payload.seconds)
            if self.calls.count(payload.name) <= payload.fail_times:
                raise ValueError(f"{payload.name} failed")
            return {"done": payload.name, "attempt": ctx.attempt}
        finally:
            self.running -= 1


def setup(
    clock: Callable[[], float] | None = None, *, register: Callable[[TaskRegistry], None] | None = None, **runner: Any
) -> tuple[Queue, QueueRunner, Recorder]:
    recorder = Recorder()
    registry = TaskRegistry()
    registry.register("job", recorder.handle, max_attempts=3)
    if register:
        register(registry)
    clock = clock or FakeClock()
    queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
    runner.setdefault("backoff", no_jitter)
    return queue, QueueRunner(queue, **runner), recorder


def test_burst_runs_every_due_task_in_priority_order_and_stores_results() -> None:
    async def scenario() -> None:
        queue, runner, rec = setup()
        low = await queue.enqueue("job", Job("low"), priority=-1)
        high = await queue.enqueue("job", Job("high"), priority=5)
        later = await queue.enqueue("job", Job("later"), delay_ms=60_000)
        counts = await runner.run_burst()
        assert rec.calls == ["high", "low"]
        assert (counts.claimed, counts.completed, counts.failed) == (2, 2, 0)
        assert (await queue.get(high)).result == {"done": "high", "attempt": 1}
        assert (await queue.get(low)).status is TaskStatus.COMPLETED
        assert (await queue.get(later)).status is TaskStatus.SCHEDULED

    run(scenario())


def test_a_failing_task_is_retried_with_exponential_backoff_then_succeeds() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        queue, runner, rec = setup(clock)
        task_id = await queue.enqueue("job", Job("flaky", fail_times=2))
        assert (await runner.run_burst()).retried == 1
        first = await queue.get(task_id)
        assert first.status is TaskStatus.SCHEDULED and first.run_at == T0 + 1_000  # 1st retry after base
        clock.advance(999)
        assert (await runner.run_burst()).claimed == 0  # not before it is due
        clock.advance(1)
        assert (await runner.run_burst()).retried == 1
        second = await queue.get(task_id)
        assert second.run_at - clock.now == 2_000  # the gap doubles
        clock.advance(2_000)
        assert (await runner.run_burst()).completed == 1
        done = await queue.get(task_id)
        assert done.status is TaskStatus.COMPLETED and done.attempts == 3
        assert [e.error for e in done.errors] == ["ValueError: flaky failed"] * 2
        assert rec.calls == ["flaky"] * 3

    run(scenario())


def test_after_max_attempts_the_task_fails_with_every_error_and_traceback() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        queue, runner, _ = setup(clock)
        task_id = await queue.enqueue("job", Job("doomed", fail_times=99))
        for _ in range(3):
            await runner.run_burst()
            clock.advance(10_000)
        task = await queue.get(task_id)
        assert task.status is TaskStatus.FAILED and task.attempts == 3
        assert [e.attempt for e in task.errors] == [1, 2, 3]
        assert all("Traceback" in e.traceback and "ValueError: doomed failed" in e.traceback for e in task.errors)
        assert (await runner.run_burst()).claimed == 0

    run(scenario())


def test_an_unknown_type_or_a_broken_payload_at_dispatch_fails_at_once_without_retry() -> None:
    async def scenario() -> None:
        queue, runner, rec = setup()
        await queue.store.add([make_task("ghost", task_type="vanished"), make_task("bad", task_type="job")])
        counts = await runner.run_burst()
        assert counts.failed == 2 and rec.calls == []
        ghost, bad = await queue.get("ghost"), await queue.get("bad")
        assert ghost.status is TaskStatus.FAILED and ghost.attempts == 1
        assert "unknown task type 'vanished'" in ghost.errors[0].error
        assert bad.status is TaskStatus.FAILED and "invalid payload for task type 'job'" in bad.errors[0].error
        assert "unexpected field(s) n" in bad.errors[0].error

    run(scenario())


def test_a_handler_can_ask_for_a_specific_retry_delay_or_fail_for_good() -> None:
    async def scenario() -> None:
        def register(reg: TaskRegistry) -> None:
            async def later(p: Job, ctx: TaskContext) -> None:
                raise Retry(delay_ms=12_345, reason="service busy")

            async def never(p: Job, ctx: TaskContext) -> None:
                raise Fail("this input can never work")

            reg.register("later", later)
            reg.register("never", never)

        queue, runner, _ = setup(register=register)
        later_id = await queue.enqueue("later", Job("x"))
        never_id = await queue.enqueue("never", Job("y"), max_attempts=5)
        await runner.run_burst()
        later_task, never_task = await queue.get(later_id), await queue.get(never_id)
        assert later_task.status is TaskStatus.SCHEDULED and later_task.run_at == T0 + 12_345
        assert later_task.errors[0].error == "Retry: service busy"
        assert never_task.status is TaskStatus.FAILED and never_task.attempts == 1
        assert never_task.errors[0].error == "Fail: this input can never work"

    run(scenario())


def test_a_handler_over_its_timeout_is_stopped_and_retried() -> None:
    async def scenario() -> None:
        queue, runner, _ = setup(task_timeout_ms=50)
        task_id = await queue.enqueue("job", Job("slow", seconds=30))
        counts = await runner.run_burst()
        task = await queue.get(task_id)
        assert counts.retried == 1 and task.errors[0].error == "timed out after 50 ms"

    run(scenario())


async def nap(payload: Job, ctx: TaskContext) -> str:
    await asyncio.sleep(payload.seconds)
    return payload.name


def test_tasks_that_finish_before_their_timeout_leave_one_timer_pending() -> None:
    async def scenario() -> None:
        queue, runner, _ = setup(task_timeout_ms=60_000, concurrency=2)
        timers = timers_of(Deadlines, asyncio.Timeout)  # what a task's timeout sets, shared or its own
        for i in range(40):
            await queue.enqueue("job", Job(f"j{i}"))
        counts = await runner.run_burst()
        assert counts.completed == 40 and len(timers) == 1  # in Pyodide each would stay alive for its minute

    run(scenario())


def test_a_short_timeout_started_after_a_long_one_still_ends_its_task_on_time() -> None:
    async def scenario() -> None:
        def register(reg: TaskRegistry) -> None:
            reg.register("patient", nap, timeout_ms=60_000)
            reg.register("hasty", nap, timeout_ms=50)

        queue, runner, _ = setup(register=register, concurrency=2)
        patient = await queue.enqueue("patient", Job("patient", seconds=0.3))  # claimed first: its timer is set first
        hasty = await queue.enqueue("hasty", Job("hasty", seconds=10))
        counts = await runner.run_burst()
        assert (counts.completed, counts.retried) == (1, 1)
        assert (await queue.get(patient)).result == "patient"
        assert (await queue.get(hasty)).errors[0].error == "timed out after 50 ms"

    run(scenario())


def test_a_result_that_is_not_json_fails_the_task_clearly() -> None:
    async def scenario() -> None:
        def register(reg: TaskRegistry) -> None:
            reg.register("odd", lambda p, ctx: {"when": object()}, payload=Job)

        queue, runner, _ = setup(register=register)
        task_id = await queue.enqueue("odd", Job("x"))
        await runner.run_burst()
        task = await queue.get(task_id)
        assert task.status is TaskStatus.FAILED
        assert (
            task.errors[0].error
            == "handler returned a result that is not JSON data: result.when is of type object, which is not JSON data"
        )

    run(scenario())


def test_concurrency_limits_how_many_tasks_run_at_once() -> None:
    async def scenario() -> None:
        queue, runner, rec = setup(concurrency=3)
        for i in range(7):
            await queue.enqueue("job", Job(f"j{i}", seconds=0.01))
        counts = await runner.run_burst()
        assert counts.completed == 7 and rec.most_at_once == 3

    run(scenario())


def test_progress_is_stored_on_the_task() -> None:
    async def scenario() -> None:
        seen: list[object] = []

        def register(reg: TaskRegistry) -> None:
            async def steps(p: Job, ctx: TaskContext) -> None:
                await ctx.progress({"done": 1, "of": 2})
                seen.append((await queue.get(ctx.task.id)).progress)

            reg.register("steps", steps)

        queue, runner, _ = setup(register=register)
        await queue.enqueue("steps", Job("x"))
        await runner.run_burst()
        assert seen == [{"done": 1, "of": 2}]

    run(scenario())


def test_start_recovers_a_crashed_runners_expired_task_and_completes_it_once() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        queue, runner, rec = setup(clock)
        task_id = await queue.enqueue("job", Job("orphan"))
        await queue.store.claim(now=clock.now, owner="dead-tab", lease_ms=30_000, limit=1)
        assert (await runner.run_burst()).claimed == 0  # lease still valid: not touched
        clock.advance(30_000)
        counts = await runner.run_burst()
        assert (counts.recovered, counts.completed) == (1, 1) and rec.calls == ["orphan"]
        task = await queue.get(task_id)
        assert task.attempts == 2 and "lease lost" in task.errors[0].error

    run(scenario())


def test_inline_mode_runs_tasks_at_enqueue_including_follow_ups() -> None:
    async def scenario() -> None:
        registry = TaskRegistry()
        order: list[str] = []

        async def first(p: Job, ctx: TaskContext) -> None:
            order.append("first")
            await queue.enqueue("second", Job("b"))

        async def second(p: Job, ctx: TaskContext) -> str:
            order.append("second")
            return "ok"

        registry.register("first", first)
        registry.register("second", second)
        queue = InlineQueue(MemoryStore(), registry)
        task_id = await queue.enqueue("first", Job("a"))
        assert order == ["first", "second"]
        assert (await queue.get(task_id)).status is TaskStatus.COMPLETED
        assert (await queue.stats()).by_status["completed"] == 2

    run(scenario())


# -- the real loop (real time, short) ------------------------------------------------


class CountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.claims = 0

    async def claim(self, **kw: Any) -> Any:
        self.claims += 1
        return await super().claim(**kw)

    async def finish_and_claim(self, changes: Any, **kw: Any) -> Any:
        self.claims += 1
        return await super().finish_and_claim(changes, **kw)


async def wait_for(predicate: Callable[[], Any], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not await predicate():
            await asyncio.sleep(0.005)


def live(**runner: Any) -> tuple[Queue, QueueRunner, Recorder, CountingStore]:
    rec = Recorder()
    registry = TaskRegistry()
    registry.register("job", rec.handle)
    store = CountingStore()
    queue = Queue(store, registry, clock=wall_clock)
    return queue, QueueRunner(queue, **runner), rec, store


def status_is(queue: Queue, task_id: str, status: TaskStatus) -> Callable[[], Any]:
    async def check() -> bool:
        return (await queue.get(task_id)).status is status

    return check


def test_the_loop_sleeps_without_polling_and_wakes_on_enqueue() -> None:
    async def scenario() -> None:
        queue, runner, _, store = live()
        runner.start()
        await asyncio.sleep(0.05)
        idle_claims = store.claims
        await asyncio.sleep(0.3)
        assert store.claims == idle_claims  # no polling while idle
        task_id = await queue.enqueue("job", Job("now"))
        await wait_for(status_is(queue, task_id, TaskStatus.COMPLETED), timeout=0.5)
        assert runner.state is RunnerState.RUNNING
        await runner.stop()
        assert runner.state is RunnerState.STOPPED

    run(scenario())


def test_the_loop_sleeps_until_a_scheduled_task_is_due() -> None:
    async def scenario() -> None:
        queue, runner, _, store = live()
        runner.start()
        task_id = await queue.enqueue("job", Job("soon"), delay_ms=150)
        await asyncio.sleep(0.1)
        assert (await queue.get(task_id)).status is TaskStatus.SCHEDULED
        await wait_for(status_is(queue, task_id, TaskStatus.COMPLETED), timeout=1.0)
        assert store.claims <= 4  # woke for the enqueue and the due time, not on a timer
        await runner.stop()

    run(scenario())


def test_start_twice_never_runs_two_loops() -> None:
    async def scenario() -> None:
        _, runner, _, _ = live()
        first = runner.start()
        assert runner.start() is first
        await asyncio.sleep(0.01)
        with pytest.raises(RuntimeError, match="already running"):
            await runner.run()
        await runner.stop()
        assert first.done()

    run(scenario())


def test_pause_claims_nothing_new_and_lets_the_running_task_finish() -> None:
    async def scenario() -> None:
        queue, runner, rec, _ = live()
        runner.start()
        running = await queue.enqueue("job", Job("running", seconds=0.1))
        await wait_for(status_is(queue, running, TaskStatus.PROCESSING))
        runner.pause()
        assert runner.state is RunnerState.PAUSED_USER
        waiting = await queue.enqueue("job", Job("waiting"))
        await wait_for(status_is(queue, running, TaskStatus.COMPLETED))
        await asyncio.sleep(0.1)
        assert (await queue.get(waiting)).status is TaskStatus.PENDING
        runner.pause(PauseReason.HIDDEN)
        runner.resume()
        assert runner.state is RunnerState.PAUSED_HIDDEN  # one reason is still there
        runner.resume(PauseReason.HIDDEN)
        await wait_for(status_is(queue, waiting, TaskStatus.COMPLETED))
        assert rec.calls == ["running", "waiting"]
        await runner.stop()

    run(scenario())


def test_stop_waits_for_running_tasks_within_the_grace() -> None:
    async def scenario() -> None:
        queue, runner, _, _ = live()
        runner.start()
        task_id = await queue.enqueue("job", Job("short", seconds=0.1))
        await wait_for(status_is(queue, task_id, TaskStatus.PROCESSING))
        await runner.stop(grace_ms=2_000)
        assert (await queue.get(task_id)).status is TaskStatus.COMPLETED

    run(scenario())


def test_stop_past_the_grace_puts_the_task_back_and_loses_nothing() -> None:
    async def scenario() -> None:
        queue, runner, _, _ = live()
        runner.start()
        task_id = await queue.enqueue("job", Job("long", seconds=30))
        await wait_for(status_is(queue, task_id, TaskStatus.PROCESSING))
        await runner.stop(grace_ms=50)
        task = await queue.get(task_id)
        assert task.status is TaskStatus.PENDING and task.lease_owner is None
        assert task.errors[-1].error == INTERRUPTED and task.attempts == 0  # a shutdown spends no attempt

    run(scenario())


def test_cancelling_a_running_task_reaches_the_handler_and_it_ends_cancelled() -> None:
    async def scenario() -> None:
        registry = TaskRegistry()
        saw_cancel = asyncio.Event()

        async def patient(p: Job, ctx: TaskContext) -> str:
            await asyncio.wait_for(ctx.cancelled.wait(), 5)
            saw_cancel.set()
            return "finished anyway"

        registry.register("patient", patient)
        queue = Queue(MemoryStore(), registry)
        runner = QueueRunner(queue, lease_ms=60)  # heartbeat every 20 ms
        runner.start()
        task_id = await queue.enqueue("patient", Job("p"))
        await wait_for(status_is(queue, task_id, TaskStatus.PROCESSING))
        await queue.cancel(task_id)
        await wait_for(status_is(queue, task_id, TaskStatus.CANCELLED))
        assert saw_cancel.is_set() and (await queue.get(task_id)).result is None
        await runner.stop()

    run(scenario())


def test_a_live_runner_renews_its_lease_so_a_long_task_is_never_recovered() -> None:
    async def scenario() -> None:
        queue, runner, rec, _ = live(lease_ms=90)
        other = QueueRunner(queue, lease_ms=90)
        runner.start()
        task_id = await queue.enqueue("job", Job("long", seconds=0.4))  # over 4 leases
        await wait_for(status_is(queue, task_id, TaskStatus.PROCESSING))
        other.start()
        await wait_for(status_is(queue, task_id, TaskStatus.COMPLETED))
        assert rec.calls == ["long"] and other.counts.recovered == 0
        task = await queue.get(task_id)
        assert task.attempts == 1 and task.errors == ()
        await asyncio.gather(runner.stop(), other.stop())

    run(scenario())


class BatchCountingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.claim_sizes: list[int] = []
        self.writes: list[int] = []
        self.merged = 0  # writes that were also claims

    async def claim(self, **kw: Any) -> Any:
        claim = await super().claim(**kw)
        self.claim_sizes.append(len(claim.tasks))
        return claim

    async def update_many(self, changes: Any) -> Any:
        self.writes.append(len(changes))
        return await super().update_many(changes)

    async def finish_and_claim(self, changes: Any, **kw: Any) -> Any:
        self.writes.append(len(changes))
        self.merged += 1
        results, claim = await super().finish_and_claim(changes, **kw)
        self.claim_sizes.append(len(claim.tasks))
        return results, claim


def test_batch_size_claims_several_tasks_in_one_claim_and_records_them_in_one_write() -> None:
    async def scenario() -> None:
        rec = Recorder()
        registry = TaskRegistry()
        registry.register("job", rec.handle)
        store = BatchCountingStore()
        queue = Queue(store, registry)
        for i in range(10):
            await queue.enqueue("job", Job(f"j{i}"))
        counts = await QueueRunner(queue, batch_size=4).run_burst()
        assert counts.completed == 10 and rec.calls == [f"j{i}" for i in range(10)]
        assert store.claim_sizes == [4, 4, 2, 0]
        assert store.writes == [4, 4, 2]
        assert store.merged == 3  # each write also made the next claim: four transactions, not seven

    run(scenario())


def test_pausing_hands_back_claimed_tasks_that_have_not_started() -> None:
    async def scenario() -> None:
        queue, runner, rec, _ = live(batch_size=4)
        first = await queue.enqueue("job", Job("first", seconds=0.2))
        rest = [await queue.enqueue("job", Job(f"rest{i}")) for i in range(3)]
        runner.start()
        await wait_for(status_is(queue, first, TaskStatus.PROCESSING))
        runner.pause()
        await wait_for(status_is(queue, first, TaskStatus.COMPLETED))
        for task_id in rest:
            task = await queue.get(task_id)
            assert task.status is TaskStatus.PENDING and task.attempts == 0 and task.lease_owner is None
        assert rec.calls == ["first"]
        runner.resume()
        for task_id in rest:
            await wait_for(status_is(queue, task_id, TaskStatus.COMPLETED))
        await runner.stop()

    run(scenario())


def test_a_parked_task_waits_without_using_attempts_and_runs_once_unparked() -> None:
    async def scenario() -> None:
        online = False
        runs: list[str] = []

        def register(reg: TaskRegistry) -> None:
            async def fetch(p: Job, ctx: TaskContext) -> str:
                if not online:
                    raise Park("offline")
                runs.append(p.name)
                return "fetched"

            reg.register("fetch", fetch)

        queue, runner, _ = setup(register=register)
        task_id = await queue.enqueue("fetch", Job("page"), max_attempts=1)
        counts = await runner.run_burst()
        task = await queue.get(task_id)
        assert counts.parked == 1 and counts.failed == 0
        assert (task.status, task.parked, task.attempts, task.errors) == (TaskStatus.SCHEDULED, "offline", 0, ())
        assert (await runner.run_burst()).claimed == 0  # nothing spins while parked
        online = True
        assert [t.id for t in await queue.unpark(reason="offline")] == [task_id]
        assert (await runner.run_burst()).completed == 1
        done = await queue.get(task_id)
        assert done.status is TaskStatus.COMPLETED and done.attempts == 1 and runs == ["page"]

    run(scenario())


def test_the_loop_never_sleeps_past_the_cap_so_far_deadlines_cannot_overflow_timers() -> None:
    async def scenario() -> None:
        queue, runner, _, _ = live()
        await queue.enqueue("job", Job("far"), delay_ms=10**13)
        slept: list[float] = []
        original = Alarm.ring_within

        def spy(alarm: Alarm, seconds: float) -> None:
            slept.append(seconds)
            original(alarm, 0.01)

        Alarm.ring_within = spy  # type: ignore[method-assign]
        try:
            runner.start()
            await asyncio.sleep(0.05)
        finally:
            Alarm.ring_within = original  # type: ignore[method-assign]
        await runner.stop()
        assert slept and all(t is not None and t <= 60 for t in slept), slept

    run(scenario())


class FlakyStore(MemoryStore):
    """Refuses the first claims, as a closed or full database would."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def claim(self, **kw: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise StorageError("database closed: another tab is upgrading it")
        return await super().claim(**kw)


class RefusingWriteStore(MemoryStore):
    """Refuses the first write of outcomes that also claims, as a full database would."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = False

    async def finish_and_claim(self, changes: Any, **kw: Any) -> Any:
        if not self.refused:
            self.refused = True
            raise StorageError("quota exceeded")
        return await super().finish_and_claim(changes, **kw)


def test_a_refused_write_of_outcomes_and_claim_drops_the_outcomes_and_the_loop_goes_on() -> None:
    async def scenario() -> None:
        # Given a runner whose first write of an outcome (with the next claim) is refused
        rec = Recorder()
        registry = TaskRegistry()
        registry.register("job", rec.handle)
        queue = Queue(RefusingWriteStore(), registry)
        first = await queue.enqueue("job", Job("first"))
        second = await queue.enqueue("job", Job("second"))
        runner = QueueRunner(queue)
        runner.start()
        # Then the error is shown, the outcome is dropped (the task stays held until its lease expires,
        # as when a plain write of outcomes fails), nothing else was claimed, and the loop goes on
        await wait_for(lambda: asyncio.sleep(0, runner.last_error is not None), timeout=1)
        assert runner.last_error == "quota exceeded"
        assert await status_is(queue, second, TaskStatus.PENDING)()
        await wait_for(status_is(queue, second, TaskStatus.COMPLETED), timeout=3)  # retried after ~1 s
        task = await queue.get(first)
        assert (task.status, task.attempts, task.lease_owner) == (TaskStatus.PROCESSING, 1, runner.owner)
        assert rec.calls == ["first", "second"] and runner.counts.completed == 1
        await runner.stop()

    run(scenario())


def test_a_store_error_does_not_end_the_loop_it_is_shown_and_retried() -> None:
    async def scenario() -> None:
        rec = Recorder()
        registry = TaskRegistry()
        registry.register("job", rec.handle)
        store = FlakyStore(failures=1)
        queue = Queue(store, registry)
        task_id = await queue.enqueue("job", Job("after the error"))
        runner = QueueRunner(queue)
        runner.start()
        await asyncio.sleep(0.05)
        assert runner.state is RunnerState.RUNNING
        assert runner.last_error == "database closed: another tab is upgrading it"
        await wait_for(status_is(queue, task_id, TaskStatus.COMPLETED), timeout=3)  # retried after ~1 s
        assert runner.last_error is None
        await runner.stop()

    run(scenario())

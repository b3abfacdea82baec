"""The task life cycle as a hypothesis state machine over :class:`~pyqueue.MemoryStore`.

Random sequences of enqueue, claim, complete, fail, cancel, retry, lease renewal and expiry, purge
and clock moves are driven through the real queue, store and transitions; a model written from the
documented rules says what each step must return and what every task must look like afterwards.
After every step the store must match the model, and the life-cycle invariants must hold: one valid
status per task, never completed twice, attempts within the maximum, nothing lost but purged finished
tasks, a lease on every processing task, and claims in priority-then-FIFO order that never take a
task someone holds.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from pyqueue import (
    AttemptError,
    InvalidStateChange,
    LeaseLost,
    MemoryStore,
    Queue,
    QueueFull,
    Task,
    TaskContext,
    TaskNotFound,
    TaskRegistry,
    TaskSpec,
    TaskStatus,
    transitions,
)
from pyqueue.constants import DEFAULT_MAX_ATTEMPTS, PARKED_RUN_AT
from pyqueue.jsondata import JSONValue
from pyqueue.ordering import claim_key
from pyqueue.transitions import LEASE_LOST

from .async_support import run
from .contract_cases import make_task
from .fakes import FakeClock

T = TypeVar("T")

OWNERS = ("tab-a", "tab-b", "tab-c")
UNIQUE_KEYS = (None, None, None, "unit-1", "unit-2")
MAX_LIVE = 8
WAITING = (TaskStatus.SCHEDULED, TaskStatus.PENDING)
FINISHED = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)


class LoopThread:
    """An event loop of its own in a helper thread, so that rules (plain functions) can await the store.

    Playwright's sync API may keep a loop running on the main thread in the same pytest session,
    which rules out ``asyncio.run`` there; one loop per machine also keeps each run independent.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="state-machine-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@dataclass
class Job:
    n: int = 0


async def handle(payload: Job, ctx: TaskContext) -> None:
    return None


@dataclass
class Expected:
    """What the model says one stored task must look like."""

    id: str
    order: int  # enqueue order: FIFO among equal priorities
    priority: int
    run_at: float
    max_attempts: int
    unique_key: str | None
    status: TaskStatus
    attempts: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
    cancel_requested: bool = False
    errors: list[tuple[int, float, str]] = field(default_factory=list)
    result: JSONValue = None
    parked: str | None = None

    def view(self) -> dict[str, object]:
        return {
            "status": self.status,
            "priority": self.priority,
            "run_at": self.run_at,
            "max_attempts": self.max_attempts,
            "unique_key": self.unique_key,
            "attempts": self.attempts,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "lease_owner": self.lease_owner,
            "lease_until": self.lease_until,
            "cancel_requested": self.cancel_requested,
            "errors": self.errors,
            "result": self.result,
            "parked": self.parked,
        }


def observed(task: Task) -> dict[str, object]:
    return {
        "status": task.status,
        "priority": task.priority,
        "run_at": task.run_at,
        "max_attempts": task.max_attempts,
        "unique_key": task.unique_key,
        "attempts": task.attempts,
        "started_at": task.started_at,
        "finished_at": task.finished_at,
        "lease_owner": task.lease_owner,
        "lease_until": task.lease_until,
        "cancel_requested": task.cancel_requested,
        "errors": [(e.attempt, e.at, e.error) for e in task.errors],
        "result": task.result,
        "parked": task.parked,
    }


specs = st.builds(
    TaskSpec,
    type=st.just("job"),
    payload=st.builds(Job, n=st.integers(0, 9)),
    priority=st.integers(-2, 2),
    delay_ms=st.sampled_from([None, 0.0, 1_000.0, 5_000.0]),
    max_attempts=st.sampled_from([None, 1, 2, 3]),
    unique_key=st.sampled_from(UNIQUE_KEYS),
)


class QueueMachine(RuleBasedStateMachine):
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.loop = LoopThread()
        self.clock = FakeClock()
        self.store = MemoryStore(clock=self.clock)
        registry = TaskRegistry()
        registry.register("job", handle, payload=Job, max_attempts=None)
        self.queue = Queue(self.store, registry, clock=self.clock, max_size=MAX_LIVE)
        self.model: dict[str, Expected] = {}
        self.orders = itertools.count()
        self.completions: Counter[str] = Counter()
        self.last_status: dict[str, TaskStatus] = {}

    def teardown(self) -> None:
        self.loop.close()

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run(coro)

    def stored(self) -> list[Task]:
        return [Task.from_record(r) for r in self.call(self.store.records())]

    # -- the model's rules, written from the documentation -------------------

    def _finish(self, e: Expected, status: TaskStatus) -> None:
        e.status, e.finished_at, e.lease_owner, e.lease_until = status, self.clock.now, None, None

    def _failed_attempt(self, e: Expected, error: str, retry_in_ms: float | None) -> None:
        now = self.clock.now
        e.errors.append((e.attempts, now, error))
        if e.cancel_requested:
            self._finish(e, TaskStatus.CANCELLED)
        elif retry_in_ms is None or e.attempts >= e.max_attempts:
            self._finish(e, TaskStatus.FAILED)
        else:
            e.status = TaskStatus.PENDING if retry_in_ms <= 0 else TaskStatus.SCHEDULED
            e.run_at, e.lease_owner, e.lease_until = now + max(0.0, retry_in_ms), None, None

    def _holder(self, task_id: str, as_holder: bool, other: str) -> str:
        e = self.model.get(task_id)
        return e.lease_owner if as_holder and e is not None and e.lease_owner is not None else other

    # -- rules --------------------------------------------------------------

    @rule(target=tasks, batch=st.lists(specs, min_size=1, max_size=3))
    def enqueue(self, batch: list[TaskSpec]) -> object:
        now = self.clock.now
        held = {e.unique_key: e.id for e in self.model.values() if e.unique_key is not None}
        plan: list[str | int] = []  # an existing id, or the index of a new task in this batch
        first_of_key: dict[str, int] = {}
        new: list[int] = []
        for i, spec in enumerate(batch):
            key = spec.unique_key
            if key is not None and key in held:
                plan.append(held[key])
            elif key is not None and key in first_of_key:
                plan.append(first_of_key[key])
            else:
                if key is not None:
                    first_of_key[key] = i
                new.append(i)
                plan.append(i)
        live = sum(1 for e in self.model.values() if not e.status.finished)
        try:
            ids = self.call(self.queue.enqueue_many(batch))
        except QueueFull:
            assert new and live + len(new) > MAX_LIVE, (live, len(new))
            return multiple()
        assert not (new and live + len(new) > MAX_LIVE), "enqueue went past max_size"
        assert len(ids) == len(batch)
        for i, (want, got) in enumerate(zip(plan, ids, strict=True)):
            if isinstance(want, str):
                assert got == want, "a unique key must return the task that holds it"
            elif want != i:
                assert got == ids[want], "a unique key repeated in one batch must give one task"
            else:
                assert got not in self.model
                spec = batch[i]
                run_at = now + (spec.delay_ms or 0.0)
                self.model[got] = Expected(
                    id=got,
                    order=next(self.orders),
                    priority=spec.priority,
                    run_at=run_at,
                    max_attempts=spec.max_attempts or DEFAULT_MAX_ATTEMPTS,
                    unique_key=spec.unique_key,
                    status=TaskStatus.SCHEDULED if run_at > now else TaskStatus.PENDING,
                )
        return multiple(*dict.fromkeys(ids))

    @initialize(target=tasks, batch=st.lists(specs, min_size=1, max_size=4))
    def start_with_some_tasks(self, batch: list[TaskSpec]) -> object:
        return self.enqueue(batch)

    @rule(target=tasks, spec=specs)
    def enqueue_one(self, spec: TaskSpec) -> object:
        return self.enqueue([spec])

    @rule(
        owner=st.sampled_from(OWNERS),
        limit=st.integers(1, 3),
        lease_ms=st.sampled_from([500.0, 1_000.0, 5_000.0, 30_000.0]),
    )
    def claim(self, owner: str, limit: int, lease_ms: float) -> None:
        now = self.clock.now
        before = {t.id: t for t in self.stored()}
        got = self.call(self.store.claim(now=now, owner=owner, lease_ms=lease_ms, limit=limit))
        # model: due scheduled tasks become pending, then the best `limit` pending ones are taken
        for e in self.model.values():
            if e.status is TaskStatus.SCHEDULED and e.run_at <= now:
                e.status = TaskStatus.PENDING
        ready = sorted(
            (e for e in self.model.values() if e.status is TaskStatus.PENDING), key=lambda e: (-e.priority, e.order)
        )
        taken = ready[:limit]
        for e in taken:
            e.status, e.attempts, e.started_at = TaskStatus.PROCESSING, e.attempts + 1, now
            e.lease_owner, e.lease_until = owner, now + lease_ms
        for task in got.tasks:
            prev = before[task.id]
            assert not (prev.status is TaskStatus.PROCESSING and prev.lease_owner != owner), (
                f"claim by {owner} took {task.id}, held by {prev.lease_owner} until {prev.lease_until} (now {now})"
            )
            assert prev.status is TaskStatus.PENDING or (prev.status is TaskStatus.SCHEDULED and prev.run_at <= now)
        # claim order, checked against the stored tasks themselves: no due task left behind beats a taken one
        keys = [claim_key(before[t.id]) for t in got.tasks]
        assert keys == sorted(keys), keys
        left = [
            claim_key(t)
            for t in before.values()
            if t.id not in {g.id for g in got.tasks}
            and (t.status is TaskStatus.PENDING or (t.status is TaskStatus.SCHEDULED and t.run_at <= now))
        ]
        assert not (left and keys and min(left) < keys[-1]), ("a better due task was left", keys, min(left))
        assert len(got.tasks) == min(limit, len(got.tasks) + len(left))
        assert [t.id for t in got.tasks] == [e.id for e in taken]
        due = [e.run_at for e in self.model.values() if e.status is TaskStatus.SCHEDULED]
        assert got.next_due == (min(due) if due else None)

    def _update_as(self, task_id: str, owner: str, change: Callable[[Task], Task]) -> tuple[Expected, Task] | None:
        """Apply *change* as *owner*; check the store accepted it exactly when the model says *owner* holds the task.

        Returns the model's entry and the stored task when it was accepted, ``None`` when it was refused.
        """
        e = self.model.get(task_id)
        try:
            task = self.call(self.store.update(task_id, change))
        except TaskNotFound:
            assert e is None, f"{task_id} is in the store's model but update said it is gone"
            return None
        except LeaseLost:
            assert e is not None and not (e.status is TaskStatus.PROCESSING and e.lease_owner == owner)
            return None
        assert e is not None and e.status is TaskStatus.PROCESSING and e.lease_owner == owner, (
            f"{owner} changed {task_id}, which the model has {e and e.status} held by {e and e.lease_owner}"
        )
        return e, task

    @rule(task_id=tasks, as_holder=st.booleans(), other=st.sampled_from(OWNERS))
    def complete(self, task_id: str, as_holder: bool, other: str) -> None:
        owner, now = self._holder(task_id, as_holder, other), self.clock.now
        accepted = self._update_as(
            task_id, owner, lambda t: transitions.complete(t, owner=owner, now=now, result={"by": owner})
        )
        if accepted is None:
            return
        e, task = accepted
        if e.cancel_requested:
            self._finish(e, TaskStatus.CANCELLED)
        else:
            self._finish(e, TaskStatus.COMPLETED)
            e.result = {"by": owner}
        assert task.status is e.status

    @rule(
        task_id=tasks,
        as_holder=st.booleans(),
        other=st.sampled_from(OWNERS),
        retry_in_ms=st.sampled_from([None, 0.0, 1_000.0, 5_000.0]),
    )
    def fail(self, task_id: str, as_holder: bool, other: str, retry_in_ms: float | None) -> None:
        owner, now = self._holder(task_id, as_holder, other), self.clock.now
        text = f"boom from {owner}"

        def change(t: Task) -> Task:
            error = AttemptError(attempt=t.attempts, at=now, error=text)
            return transitions.fail(t, owner=owner, now=now, error=error, retry_in_ms=retry_in_ms)

        accepted = self._update_as(task_id, owner, change)
        if accepted is not None:
            self._failed_attempt(accepted[0], text, retry_in_ms)

    def _running(self) -> list[str]:
        # in enqueue order, not by id: ids are random, and hypothesis must replay the same draws
        return [e.id for e in sorted(self.model.values(), key=lambda e: e.order) if e.status is TaskStatus.PROCESSING]

    @precondition(lambda self: self._running())
    @rule(data=st.data())
    def holder_completes_a_running_task(self, data: st.DataObject) -> None:
        self.complete(data.draw(st.sampled_from(self._running()), label="task_id"), True, OWNERS[0])

    @precondition(lambda self: self._running())
    @rule(data=st.data(), retry_in_ms=st.sampled_from([None, 0.0, 1_000.0, 5_000.0]))
    def holder_fails_a_running_task(self, data: st.DataObject, retry_in_ms: float | None) -> None:
        self.fail(data.draw(st.sampled_from(self._running()), label="task_id"), True, OWNERS[0], retry_in_ms)

    @rule(task_id=tasks)
    def cancel(self, task_id: str) -> None:
        e = self.model.get(task_id)
        try:
            task = self.call(self.queue.cancel(task_id))
        except TaskNotFound:
            assert e is None
            return
        except InvalidStateChange:
            assert e is not None and e.status.finished
            return
        assert e is not None and not e.status.finished
        if e.status is TaskStatus.PROCESSING:
            e.cancel_requested = True
        else:
            self._finish(e, TaskStatus.CANCELLED)
            e.parked = None  # a cancelled task is no longer parked
        assert task.status is e.status

    @rule(task_id=tasks)
    def retry(self, task_id: str) -> None:
        e = self.model.get(task_id)
        try:
            self.call(self.queue.retry(task_id))
        except TaskNotFound:
            assert e is None
            return
        except InvalidStateChange:
            assert e is not None and e.status not in (TaskStatus.FAILED, TaskStatus.CANCELLED)
            return
        assert e is not None and e.status in (TaskStatus.FAILED, TaskStatus.CANCELLED)
        e.status, e.run_at, e.attempts = TaskStatus.PENDING, self.clock.now, 0
        e.finished_at, e.cancel_requested = None, False

    @rule(ms=st.sampled_from([1.0, 999.0, 1_000.0, 5_000.0, 30_000.0]))
    def advance_clock(self, ms: float) -> None:
        self.clock.advance(ms)

    def _leases(self) -> list[float]:
        return sorted(e.lease_until for e in self.model.values() if e.lease_until is not None)

    @precondition(lambda self: self._leases())
    @rule(data=st.data())
    def time_passes_until_a_lease_runs_out(self, data: st.DataObject) -> None:
        self.clock.now = max(self.clock.now, data.draw(st.sampled_from(self._leases()), label="lease_until"))

    def _due_times(self) -> list[float]:
        return sorted(e.run_at for e in self.model.values() if e.status is TaskStatus.SCHEDULED and e.parked is None)

    @precondition(lambda self: self._due_times())
    @rule(data=st.data())
    def time_passes_until_a_scheduled_task_is_due(self, data: st.DataObject) -> None:
        self.clock.now = max(self.clock.now, data.draw(st.sampled_from(self._due_times()), label="run_at"))

    @rule()
    def recover(self) -> None:
        now = self.clock.now
        got = self.call(self.store.recover(now=now))
        expired = [
            e
            for e in self.model.values()
            if e.status is TaskStatus.PROCESSING and e.lease_until is not None and e.lease_until <= now
        ]
        assert sorted(t.id for t in got) == sorted(e.id for e in expired)
        for e in expired:
            self._failed_attempt(e, LEASE_LOST, 0.0)

    @rule(
        task_ids=st.lists(tasks, min_size=1, max_size=3),
        as_holder=st.booleans(),
        other=st.sampled_from(OWNERS),
        extend_ms=st.sampled_from([1_000.0, 30_000.0]),
    )
    def renew(self, task_ids: list[str], as_holder: bool, other: str, extend_ms: float) -> None:
        owner, until = self._holder(task_ids[0], as_holder, other), self.clock.now + extend_ms
        got = self.call(self.store.renew(task_ids, owner=owner, until=until))
        assert [t.id for t in got] == [i for i in task_ids if i in self.model]
        for task in got:
            e = self.model[task.id]
            if e.status is TaskStatus.PROCESSING and e.lease_owner == owner:
                e.lease_until = max(until, e.lease_until or until)
            assert observed(task) == e.view(), task.id

    @rule(
        statuses=st.lists(st.sampled_from(FINISHED), unique=True, max_size=3),
        older_than_ms=st.sampled_from([0.0, 0.0, 1.0, 1_000.0]),
        dry_run=st.booleans(),
    )
    def purge(self, statuses: list[TaskStatus], older_than_ms: float, dry_run: bool) -> None:
        cutoff = self.clock.now - older_than_ms
        report = self.call(self.queue.purge(statuses, older_than_ms=older_than_ms, dry_run=dry_run))
        gone = sorted(
            (
                e
                for e in self.model.values()
                if e.status in statuses and e.finished_at is not None and e.finished_at < cutoff
            ),
            key=lambda e: e.order,
        )
        assert [t.id for t in report.tasks] == [e.id for e in gone]
        assert all(t.status.finished for t in report.tasks), "purge took a task that is not finished"
        if not dry_run:
            for e in gone:
                del self.model[e.id]

    # -- invariants ---------------------------------------------------------

    @invariant()
    def store_matches_the_model_and_the_life_cycle_rules_hold(self) -> None:
        stored = self.stored()
        ids = [t.id for t in stored]
        assert len(ids) == len(set(ids)), "one id stored twice"
        missing, extra = set(self.model) - set(ids), set(ids) - set(self.model)
        assert not missing, f"tasks disappeared without a purge: {missing}"
        assert not extra, f"tasks appeared without an enqueue: {extra}"
        for task in stored:
            assert task.status in TaskStatus
            assert 0 <= task.attempts <= task.max_attempts, (task.id, task.attempts, task.max_attempts)
            if task.status is TaskStatus.PROCESSING:
                assert task.lease_owner is not None and task.lease_until is not None, task
            else:
                assert task.lease_owner is None and task.lease_until is None, task
            assert (task.finished_at is not None) == task.status.finished, task
            parked = task.status is TaskStatus.SCHEDULED and task.run_at == PARKED_RUN_AT
            assert (task.parked is not None) == parked, f"parked marker {task.parked!r} on a {task.status} task"
            if task.status is TaskStatus.COMPLETED and self.last_status.get(task.id) is not TaskStatus.COMPLETED:
                self.completions[task.id] += 1
            assert self.completions[task.id] <= 1, f"{task.id} completed twice"
            self.last_status[task.id] = task.status
            assert observed(task) == self.model[task.id].view(), task.id
        # FIFO among equal priorities needs enqueue order and sequence numbers to agree
        by_seq = [t.id for t in sorted(stored, key=lambda t: t.seq)]
        assert by_seq == [e.id for e in sorted(self.model.values(), key=lambda e: e.order)]
        keys = [t.unique_key for t in stored if t.unique_key is not None]
        assert len(keys) == len(set(keys)), "two stored tasks hold one unique key"
        stats = self.call(self.store.stats())
        counts = Counter(e.status.value for e in self.model.values())
        assert stats.by_status == {s.value: counts[s.value] for s in TaskStatus}


class QueueMachineWithParking(QueueMachine):
    """The same life cycle, plus the holder handing back unstarted tasks and parking them (``Park``)."""

    @rule(task_id=QueueMachine.tasks, as_holder=st.booleans(), other=st.sampled_from(OWNERS))
    def release(self, task_id: str, as_holder: bool, other: str) -> None:
        owner, now = self._holder(task_id, as_holder, other), self.clock.now
        accepted = self._update_as(task_id, owner, lambda t: transitions.release(t, owner=owner, now=now))
        if accepted is None:
            return
        e = accepted[0]
        if e.cancel_requested:  # as if never claimed: a cancel would have cancelled it at once
            self._finish(e, TaskStatus.CANCELLED)
        else:
            e.status, e.attempts, e.started_at = TaskStatus.PENDING, e.attempts - 1, None
            e.lease_owner, e.lease_until = None, None

    @rule(
        task_id=QueueMachine.tasks,
        as_holder=st.booleans(),
        other=st.sampled_from(OWNERS),
        reason=st.sampled_from(["offline", "quota"]),
    )
    def park(self, task_id: str, as_holder: bool, other: str, reason: str) -> None:
        owner, now = self._holder(task_id, as_holder, other), self.clock.now
        accepted = self._update_as(task_id, owner, lambda t: transitions.park(t, owner=owner, now=now, reason=reason))
        if accepted is None:
            return
        e = accepted[0]
        if e.cancel_requested:
            self._finish(e, TaskStatus.CANCELLED)
        else:
            e.status, e.run_at, e.attempts, e.started_at = TaskStatus.SCHEDULED, PARKED_RUN_AT, e.attempts - 1, None
            e.lease_owner, e.lease_until, e.parked = None, None, reason

    @precondition(lambda self: self._running())
    @rule(data=st.data())
    def holder_releases_a_running_task(self, data: st.DataObject) -> None:
        self.release(data.draw(st.sampled_from(self._running()), label="task_id"), True, OWNERS[0])

    @precondition(lambda self: self._running())
    @rule(data=st.data(), reason=st.sampled_from(["offline", "quota"]))
    def holder_parks_a_running_task(self, data: st.DataObject, reason: str) -> None:
        self.park(data.draw(st.sampled_from(self._running()), label="task_id"), True, OWNERS[0], reason)

    @rule(reason=st.sampled_from([None, "offline", "quota"]))
    def unpark(self, reason: str | None) -> None:
        now = self.clock.now
        back = self.call(self.queue.unpark(reason=reason))
        wanted = sorted(
            (
                e
                for e in self.model.values()
                if e.status is TaskStatus.SCHEDULED and e.parked is not None and reason in (None, e.parked)
            ),
            key=lambda e: e.order,
        )
        assert [t.id for t in back] == [e.id for e in wanted]
        for e in wanted:
            e.status, e.run_at, e.parked = TaskStatus.PENDING, now, None


def test_random_task_life_cycles_keep_the_store_consistent_with_the_model() -> None:
    run_state_machine_as_test(QueueMachine, settings=settings(max_examples=200, stateful_step_count=40, deadline=None))


def test_random_life_cycles_with_release_and_parking_keep_the_store_consistent_with_the_model() -> None:
    run_state_machine_as_test(
        QueueMachineWithParking, settings=settings(max_examples=150, stateful_step_count=40, deadline=None)
    )


# -- the two smallest sequences the machine above fails on, as plain examples --


def test_cancelling_a_parked_task_leaves_no_parked_marker_behind() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        store = MemoryStore(clock=clock)
        await store.add([make_task("a")])
        await store.claim(now=clock.now, owner="tab-a", lease_ms=1_000.0, limit=1)
        await store.update("a", lambda t: transitions.park(t, owner="tab-a", now=clock.now, reason="offline"))
        cancelled = await store.update("a", lambda t: transitions.cancel(t, clock.now))
        # Then the task is cancelled, and no longer marked parked
        assert cancelled.status is TaskStatus.CANCELLED and cancelled.parked is None, cancelled
        # And after a retry and a failed attempt it waits for its backoff, not for an unpark
        await store.update("a", lambda t: transitions.retry(t, clock.now, {}))
        await store.claim(now=clock.now, owner="tab-a", lease_ms=1_000.0, limit=1)
        error = AttemptError(attempt=1, at=clock.now, error="boom")
        await store.update(
            "a", lambda t: transitions.fail(t, owner="tab-a", now=clock.now, error=error, retry_in_ms=5_000.0)
        )
        assert [t.id for t in await store.parked()] == []

    run(scenario())


def test_handing_back_an_unstarted_task_whose_cancel_was_requested_cancels_it() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        store = MemoryStore(clock=clock)
        await store.add([make_task("a")])
        await store.claim(now=clock.now, owner="tab-a", lease_ms=1_000.0, limit=1)
        await store.update("a", lambda t: transitions.cancel(t, clock.now))  # the user cancels it
        # When the (paused) runner hands the unstarted task back
        back = await store.update("a", lambda t: transitions.release(t, owner="tab-a", now=clock.now))
        # Then it is cancelled, as it would have been had it not been claimed: it must never run
        assert back.status is TaskStatus.CANCELLED, back
        claim = await store.claim(now=clock.now, owner="tab-b", lease_ms=1_000.0, limit=1)
        assert claim.tasks == []

    run(scenario())

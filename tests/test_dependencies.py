"""Dependencies without a browser: the pure rules, the queue's options, and a runner running a small flow."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pyqueue import (
    InvalidOption,
    MemoryStore,
    Queue,
    QueueRunner,
    TaskContext,
    TaskRegistry,
    TaskSpec,
    TaskStatus,
    transitions,
)
from pyqueue.dependencies import plan_add
from pyqueue.task import Task

from .async_support import run
from .contract_cases import T0, make_task
from .fakes import FakeClock


def finished(task_id: str, status: TaskStatus) -> Task:
    return make_task(task_id).replace(status=status, finished_at=T0 + 1)


def test_a_dependant_is_due_once_its_last_dependency_completed_and_scheduled_if_its_time_is_later() -> None:
    task = make_task("c", depends_on=("a", "b"))
    after_a = transitions.dependency_finished(task, finished("a", TaskStatus.COMPLETED), T0)
    assert (after_a.status, after_a.waiting_on) == (TaskStatus.WAITING, ("b",))
    after_b = transitions.dependency_finished(after_a, finished("b", TaskStatus.COMPLETED), T0)
    assert (after_b.status, after_b.waiting_on, after_b.depends_on) == (TaskStatus.PENDING, (), ("a", "b"))
    later = make_task("d", depends_on=("a",)).replace(run_at=T0 + 50)
    assert (
        transitions.dependency_finished(later, finished("a", TaskStatus.COMPLETED), T0).status is TaskStatus.SCHEDULED
    )


@pytest.mark.parametrize("status", [TaskStatus.FAILED, TaskStatus.CANCELLED])
def test_a_dependant_ends_as_its_failed_or_cancelled_dependency_did_naming_it(status: TaskStatus) -> None:
    task = transitions.dependency_finished(make_task("c", depends_on=("a",)), finished("a", status), T0 + 3)
    assert (task.status, task.finished_at, task.attempts) == (status, T0 + 3, 0)
    assert task.errors[-1].error == f"dependency a (noop) {status.value}: this task will not run"


def test_a_dependency_that_is_not_awaited_or_not_finished_changes_nothing() -> None:
    task = make_task("c", depends_on=("a",))
    assert transitions.dependency_finished(task, finished("z", TaskStatus.FAILED), T0) is task
    assert transitions.dependency_finished(task, make_task("a"), T0) is task


def test_plan_add_refuses_a_dependency_it_cannot_see() -> None:
    with pytest.raises(InvalidOption, match="no task has this id"):
        plan_add([make_task("x", depends_on=("ghost",))], seq=0, held={}, stored={}, now=T0)


def test_plan_add_numbers_the_tasks_unless_the_store_does() -> None:
    tasks = [make_task("a"), make_task("b", depends_on=("a",))]
    assert [t.seq for t in plan_add(tasks, seq=7, held={}, stored={}, now=T0).write] == [8, 9]
    plan = plan_add(tasks, seq=None, held={}, stored={}, now=T0)  # the key generator numbers them as written
    assert [t.seq for t in plan.write] == [0, 0] and plan.write[1].waiting_on == ("a",)


@dataclass
class Step:
    name: str
    fail: bool = False


class Flow:
    def __init__(self) -> None:
        self.ran: list[str] = []

    def step(self, payload: Step, ctx: TaskContext) -> None:
        self.ran.append(payload.name)
        if payload.fail:
            raise ValueError(f"{payload.name} broke")


def flow_queue() -> tuple[Queue, QueueRunner, Flow]:
    flow, registry, clock = Flow(), TaskRegistry(), FakeClock()
    registry.register("step", flow.step, max_attempts=1)
    queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
    return queue, QueueRunner(queue, concurrency=3), flow


def test_a_dependant_runs_only_after_all_its_dependencies_completed() -> None:
    async def scenario() -> None:
        queue, runner, flow = flow_queue()
        # Given a join enqueued first-in-line (high priority) with two fetches it depends on, in one enqueue
        ids = await queue.enqueue_many(
            [
                TaskSpec("step", Step("fetch a")),
                TaskSpec("step", Step("fetch b")),
                TaskSpec("step", Step("join"), priority=9, depends_on=[0, 1]),
            ]
        )
        assert (await queue.get(ids[2])).status is TaskStatus.WAITING
        # When the runner runs everything
        await runner.run_burst()
        # Then the join ran last, once, and knows what it depended on
        assert flow.ran[-1] == "join" and sorted(flow.ran[:2]) == ["fetch a", "fetch b"]
        join = await queue.get(ids[2])
        assert join.status is TaskStatus.COMPLETED and join.depends_on == tuple(ids[:2])

    run(scenario())


def test_a_dependant_of_a_failed_task_never_runs_and_says_which_dependency_failed() -> None:
    async def scenario() -> None:
        queue, runner, flow = flow_queue()
        a = await queue.enqueue("step", Step("a", fail=True))
        b = await queue.enqueue("step", Step("b"), depends_on=[a])
        c = await queue.enqueue("step", Step("c"), depends_on=[b])
        await runner.run_burst()
        assert flow.ran == ["a"]
        b_task, c_task = await queue.get(b), await queue.get(c)
        assert b_task.status is TaskStatus.FAILED and b_task.errors[-1].error.startswith(
            f"dependency {a} (step) failed"
        )
        assert c_task.status is TaskStatus.FAILED and f"dependency {b} (step) failed" in c_task.errors[-1].error

    run(scenario())


@pytest.mark.parametrize(
    ("depends_on", "words"),
    [
        ("abc", "must be a list"),
        ([5], "earlier spec"),
        ([1], "earlier spec"),
        ([""], "task id"),
        (["missing"], "no task has this id"),
    ],
)
def test_a_bad_dependency_is_refused_and_nothing_is_written(depends_on: object, words: str) -> None:
    async def scenario() -> None:
        queue, _, _ = flow_queue()
        specs = [TaskSpec("step", Step("first")), TaskSpec("step", Step("x"), depends_on=depends_on)]  # type: ignore[arg-type]
        with pytest.raises(InvalidOption, match=words):
            await queue.enqueue_many(specs)
        assert await queue.tasks() == []

    run(scenario())


def test_cancelling_a_waiting_task_cancels_its_dependants() -> None:
    async def scenario() -> None:
        queue, _, _ = flow_queue()
        a = await queue.enqueue("step", Step("a"), delay_ms=1_000)
        b = await queue.enqueue("step", Step("b"), depends_on=[a])
        c = await queue.enqueue("step", Step("c"), depends_on=[b])
        cancelled = await queue.cancel(b)
        assert cancelled.status is TaskStatus.CANCELLED
        assert (await queue.get(c)).status is TaskStatus.CANCELLED
        assert (await queue.get(a)).status is TaskStatus.SCHEDULED

    run(scenario())

"""The worker runner's pure parts under CPython: its message format, the page's watchdog, and the takeover.

The browser parts (worker.mjs, the handle's Worker and events) are tested in
Chromium by tests/e2e/test_worker_runner.py.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest

from pyqueue import MemoryStore, Queue, TaskContext, TaskRegistry, TaskStatus
from pyqueue.browser.worker import protocol
from pyqueue.browser.worker.entry import PageCalls, PageHandlerError, ReportingRegistry, WorkerSetup, load_registry
from pyqueue.browser.worker.placement import on_page, run_on_page
from pyqueue.browser.worker.takeover import take_over
from pyqueue.browser.worker.watchdog import Overdue, Watchdog

from .async_support import run
from .fakes import FakeClock

OWNER = "runner-worker"


@dataclass
class Nothing:
    pass


registry = TaskRegistry()


@registry.task("job", max_attempts=3)
def job(payload: Nothing, ctx: TaskContext) -> str:
    return "done"


@registry.task("draw")
async def draw(payload: Nothing, ctx: TaskContext) -> str:
    await ctx.progress({"drawn": 1})
    return "drawn on the page"


on_page(registry, "draw")


# -- protocol ---------------------------------------------------------------


def test_a_message_round_trips_through_its_json_text() -> None:
    text = protocol.encode(protocol.STARTED, task="t1", type="job", timeout_ms=1500)
    message = protocol.decode(text)
    assert (message.kind, message["task"], message["timeout_ms"]) == (protocol.STARTED, "t1", 1500)


@pytest.mark.parametrize(
    "text",
    [
        b'{"kind": "pause"}',  # not text
        "not json",
        "[1, 2]",
        '{"kind": "explode"}',
        '{"kind": "visibility", "hidden": "yes"}',
        '{"kind": "started", "task": 1, "type": "job", "timeout_ms": null}',
        '{"kind": "status", "state": "running", "counts": {"completed": true}, "running": [], "last_error": null}',
        '{"kind": "status", "state": "running", "counts": {}, "running": [{"id": 1}], "last_error": null}',
        '{"kind": "ready", "owner": "o"}',
    ],
)
def test_a_malformed_message_is_refused_with_a_reason(text: object) -> None:
    with pytest.raises(protocol.BadMessage):
        protocol.decode(text)


def test_unknown_fields_of_a_message_are_dropped() -> None:
    message = protocol.decode(json.dumps({"kind": "failed", "reason": "boom", "html": "<img onerror=x>"}))
    assert message.fields == {"reason": "boom"}


def test_the_worker_config_travels_in_the_boot_message() -> None:
    config = protocol.WorkerConfig(entry="app.tasks:registry", archives=("/static/pyqueue.zip",), lease_ms=2_000)
    message = protocol.decode(protocol.encode(protocol.BOOT, config=config.to_json()))
    assert protocol.WorkerConfig.from_json(message["config"]) == config


@pytest.mark.parametrize("config", [{"entry": "no-colon"}, {"entry": "m:r", "surprise": 1}, {}])
def test_a_bad_worker_config_is_refused(config: dict[str, object]) -> None:
    with pytest.raises(protocol.BadMessage):
        protocol.WorkerConfig.from_json(config)


# -- watchdog ---------------------------------------------------------------


def test_a_task_still_running_past_its_timeout_and_the_grace_is_overdue() -> None:
    watchdog = Watchdog(grace_ms=1_000)
    watchdog.started("t1", 1_500, now=0)
    watchdog.still_running(["t1"])
    assert watchdog.overdue(2_499) == []
    assert watchdog.overdue(2_500) == [Overdue("t1", 1_500)]


def test_a_task_the_worker_no_longer_lists_is_never_overdue() -> None:
    watchdog = Watchdog(grace_ms=0)
    watchdog.started("t1", 100, now=0)
    watchdog.still_running([])
    assert watchdog.overdue(10_000) == []


def test_a_task_whose_worker_fell_silent_after_it_started_is_overdue() -> None:
    # The handler never yields: no status ever follows its "started".
    watchdog = Watchdog(grace_ms=0)
    watchdog.started("t1", 100, now=0)
    assert watchdog.overdue(100) == [Overdue("t1", 100)]


def test_a_task_without_a_timeout_is_never_overdue() -> None:
    watchdog = Watchdog()
    watchdog.started("t1", None, now=0)
    assert watchdog.overdue(1e12) == []


# -- takeover ---------------------------------------------------------------


async def claimed_by_worker(count: int) -> tuple[Queue, list[str]]:
    clock = FakeClock()
    queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
    ids = [await queue.enqueue("job", Nothing()) for _ in range(count)]
    await queue.store.claim(now=clock(), owner=OWNER, lease_ms=30_000, limit=count)
    return queue, ids


def test_the_overdue_task_fails_an_attempt_and_the_others_go_back_in_line() -> None:
    async def scenario() -> None:
        queue, (stuck, other) = await claimed_by_worker(2)

        settled = await take_over(queue, OWNER, overdue=[Overdue(stuck, 1_500)], reason="terminated by the page")

        assert {t.id for t in settled} == {stuck, other}
        stuck_task, other_task = await queue.get(stuck), await queue.get(other)
        assert stuck_task.status is TaskStatus.SCHEDULED and stuck_task.lease_owner is None
        assert stuck_task.errors[-1].error.startswith("terminated after timeout: the handler ran past its 1500 ms")
        assert other_task.status is TaskStatus.PENDING
        assert other_task.errors[-1].error == "interrupted: the worker running this task ended (terminated by the page)"

    run(scenario())


def test_an_overdue_task_on_its_last_attempt_fails() -> None:
    async def scenario() -> None:
        queue, (stuck,) = await claimed_by_worker(1)
        for _ in range(2):  # attempts 1 and 2 ended by terminations
            await take_over(queue, OWNER, overdue=[Overdue(stuck, 100)], reason="x")
            await queue.store.update(stuck, lambda t: t.replace(status=TaskStatus.PENDING, run_at=0))
            await queue.store.claim(now=queue.clock(), owner=OWNER, lease_ms=30_000, limit=1)

        await take_over(queue, OWNER, overdue=[Overdue(stuck, 100)], reason="x")

        task = await queue.get(stuck)
        assert (task.status, task.attempts, len(task.errors)) == (TaskStatus.FAILED, 3, 3)

    run(scenario())


def test_tasks_another_runner_holds_are_left_alone() -> None:
    async def scenario() -> None:
        queue, (task_id,) = await claimed_by_worker(1)
        assert await take_over(queue, "runner-someone-else", reason="x") == []
        assert (await queue.get(task_id)).lease_owner == OWNER

    run(scenario())


# -- the worker's registry ----------------------------------------------------


def test_the_worker_reports_each_task_before_its_handler_runs() -> None:
    async def scenario() -> None:
        posted: list[str] = []
        reporting = ReportingRegistry(registry, posted.append)
        queue, (task_id,) = await claimed_by_worker(1)
        task = await queue.get(task_id)

        result = await reporting.get("job").call(Nothing(), TaskContext(task, report=lambda _v: _none()))

        assert result == "done"
        assert [protocol.decode(p).fields for p in posted] == [{"task": task_id, "type": "job", "timeout_ms": None}]
        assert reporting.names == registry.names

    run(scenario())


async def _none() -> None:
    return None


def test_the_worker_finds_the_registry_by_module_and_attribute() -> None:
    setup = WorkerSetup({})
    assert run(load_registry(f"{__name__}:registry", setup)) is registry
    assert run(load_registry(f"{__name__}:make_registry", setup)) is registry
    with pytest.raises(TypeError):
        run(load_registry(f"{__name__}:OWNER", setup))


def make_registry() -> TaskRegistry:
    return registry


async def app_registry(setup: WorkerSetup) -> TaskRegistry:
    """An entry that reads the page's options and wants the queue before the runner starts."""
    app = TaskRegistry()
    app.register(setup.options["type"], lambda _p, _ctx: None, payload=Nothing)
    setup.on_queue(opened.append)
    return app


opened: list[Queue] = []


def test_an_async_entry_gets_the_page_options_and_hears_of_the_queue() -> None:
    # Given the page's options, when the worker loads the app's async entry
    setup = WorkerSetup({"type": "from-the-page"})
    app = run(load_registry(f"{__name__}:app_registry", setup))
    # Then the entry read them, and asked to be told of the queue
    assert app.names == ["from-the-page"]
    queue = Queue(MemoryStore(), app)
    setup.queue_opened(queue)
    assert opened == [queue]


# -- handlers on the page -------------------------------------------------------


async def claimed(task_type: str) -> tuple[Queue, str]:
    clock = FakeClock()
    queue = Queue(MemoryStore(clock=clock), registry, clock=clock)
    task_id = await queue.enqueue(task_type, Nothing())
    await queue.store.claim(now=clock(), owner=OWNER, lease_ms=30_000, limit=1)
    return queue, task_id


def test_the_page_runs_a_marked_handler_of_a_task_its_worker_holds() -> None:
    async def scenario() -> None:
        queue, task_id = await claimed("draw")
        assert await run_on_page(queue, OWNER, task_id, "draw") == ("drawn on the page", None)
        assert (await queue.get(task_id)).progress == {"drawn": 1}

    run(scenario())


@pytest.mark.parametrize(
    ("task_type", "asked_type", "owner", "error"),
    [
        ("job", "job", OWNER, "task type 'job' is not marked to run on the page"),
        ("job", "draw", OWNER, "is not a 'draw' task held by this page's worker"),
        ("draw", "draw", "runner-someone-else", "is not a 'draw' task held by this page's worker"),
        ("draw", "draw", None, "is not a 'draw' task held by this page's worker"),
    ],
)
def test_the_page_refuses_a_handler_it_was_not_asked_to_run_by_its_worker(
    task_type: str, asked_type: str, owner: str | None, error: str
) -> None:
    async def scenario() -> None:
        queue, task_id = await claimed(task_type)
        result, refused = await run_on_page(queue, owner, task_id, asked_type)
        assert result is None and refused is not None and error in refused

    run(scenario())


def test_a_page_call_gets_the_pages_answer_or_its_error() -> None:
    async def scenario() -> None:
        posted: list[str] = []
        calls = PageCalls(posted.append)
        queue, task_id = await claimed("draw")
        task = await queue.get(task_id)

        first = asyncio.ensure_future(calls.call(task))
        second = asyncio.ensure_future(calls.call(task))
        await asyncio.sleep(0)
        asked = [protocol.decode(p) for p in posted]
        assert [(m.kind, m["task"], m["type"]) for m in asked] == [(protocol.CALL, task_id, "draw")] * 2
        calls.reply(protocol.decode(protocol.encode(protocol.REPLY, call=asked[1]["call"], result=None, error="boom")))
        calls.reply(protocol.decode(protocol.encode(protocol.REPLY, call=asked[0]["call"], result=[1], error=None)))

        assert await first == [1]
        with pytest.raises(PageHandlerError, match="boom"):
            await second

    run(scenario())

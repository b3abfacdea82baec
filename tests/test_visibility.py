"""Visibility rules under CPython: a short hide does not pause, a long one does, visible resumes."""

from __future__ import annotations

import asyncio

from pyqueue import MemoryStore, Queue, QueueRunner, RunnerState, TaskRegistry
from pyqueue.visibility import VisibilityPauser

from .async_support import run


async def started_runner() -> QueueRunner:
    runner = QueueRunner(Queue(MemoryStore(), TaskRegistry()))
    runner.start()
    await asyncio.sleep(0)  # let its loop begin
    return runner


def test_hidden_longer_than_the_grace_pauses_and_visible_resumes() -> None:
    async def scenario() -> None:
        runner = await started_runner()
        pauser = VisibilityPauser(runner, grace_ms=50)
        pauser.hidden()
        await asyncio.sleep(0.02)
        assert runner.state is RunnerState.RUNNING  # still within the grace
        await asyncio.sleep(0.06)
        assert runner.state is RunnerState.PAUSED_HIDDEN
        pauser.visible()
        assert runner.state is RunnerState.RUNNING
        await runner.stop()

    run(scenario())


def test_a_hide_shorter_than_the_grace_never_pauses() -> None:
    async def scenario() -> None:
        runner = await started_runner()
        pauser = VisibilityPauser(runner, grace_ms=50)
        pauser.hidden()
        await asyncio.sleep(0.02)
        pauser.visible()
        pauser.hidden()  # hiding again restarts the grace
        await asyncio.sleep(0.03)
        pauser.visible()
        await asyncio.sleep(0.08)
        assert runner.state is RunnerState.RUNNING
        await runner.stop()

    run(scenario())


def test_a_user_pause_survives_the_page_becoming_visible() -> None:
    async def scenario() -> None:
        runner = await started_runner()
        runner.pause()
        VisibilityPauser(runner, grace_ms=10).visible()
        assert runner.state is RunnerState.PAUSED_USER
        await runner.stop()

    run(scenario())

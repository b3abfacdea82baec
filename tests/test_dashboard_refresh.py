"""When the dashboard renders: a burst of changes costs one render, renders keep a gap, unmount stops all."""

from __future__ import annotations

import asyncio
import logging

import pytest

from pyqueue.browser.dashboard.background import Background
from pyqueue.browser.dashboard.refresh import RenderSchedule

from .async_support import run


class Renders:
    def __init__(self) -> None:
        self.log: list[str] = []

    async def fast(self) -> None:
        self.log.append("fast")

    async def slow(self) -> None:
        self.log.append("slow")


def schedule(
    renders: Renders, background: Background, *, gap_s: float = 0.0, slow_every_s: float = 60.0
) -> RenderSchedule:
    return RenderSchedule(
        renders.fast, renders.slow, background, slow_every_s=slow_every_s, debounce_s=0.01, gap_s=gap_s
    )


def test_many_change_reports_in_a_burst_cost_one_render() -> None:
    async def scenario() -> list[str]:
        renders, background = Renders(), Background()
        plan = schedule(renders, background)
        for _ in range(50):
            plan.request()
        await asyncio.sleep(0.1)
        plan.request()  # a change after the render asks for another
        await asyncio.sleep(0.1)
        background.close()
        return renders.log

    assert run(scenario()) == ["fast", "fast"]


def test_a_render_waits_for_the_gap_since_the_last_one() -> None:
    async def scenario() -> tuple[float, float]:
        renders, background = Renders(), Background()
        plan = schedule(renders, background, gap_s=0.3)
        loop = asyncio.get_running_loop()
        await plan.render_fast()
        start = loop.time()
        plan.request()
        while len(renders.log) < 2:
            await asyncio.sleep(0.01)
        background.close()
        return start, loop.time()

    start, second = run(scenario())
    assert second - start >= 0.25  # not the 0.01 debounce: the gap after the first render


def test_the_timer_renders_the_slow_part_then_the_fast_part_and_unmount_stops_it() -> None:
    async def scenario() -> list[str]:
        renders, background = Renders(), Background()
        plan = schedule(renders, background, slow_every_s=0.05)
        plan.start()
        plan.start()  # a second start is the same timer
        await asyncio.sleep(0.12)
        background.close()
        seen = len(renders.log)
        await asyncio.sleep(0.12)
        assert len(renders.log) == seen  # nothing after unmount
        return renders.log

    log = run(scenario())
    assert log[:4] == ["slow", "fast", "slow", "fast"] and len(log) <= 6


def test_a_failed_background_step_is_logged_with_its_error(caplog: pytest.LogCaptureFixture) -> None:
    async def boom() -> None:
        raise RuntimeError("store went away")

    async def scenario() -> None:
        Background().spawn(boom())
        await asyncio.sleep(0.01)

    with caplog.at_level(logging.ERROR, logger="pyqueue.dashboard"):
        run(scenario())
    assert "background step failed" in caplog.text and "store went away" in caplog.text

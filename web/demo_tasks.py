"""The demo task types the page offers: work that takes a while and reports progress, work that fails,
and work that says where it ran (in the worker runner, or on the page with ``?runner=page``)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from pyqueue import TaskContext, TaskRegistry
from pyqueue.jsondata import JSONValue


@dataclass
class DemoWork:
    """Sleep for ``duration_ms`` in ``steps`` steps, reporting progress after each."""

    label: str = "demo"
    duration_ms: int = 300
    steps: int = 3


@dataclass
class DemoFlaky:
    """Fail on the first ``fail_first`` attempts, and until ``fail_until_ms`` (epoch ms), then succeed."""

    label: str = "flaky"
    fail_first: int = 1
    fail_until_ms: float = 0.0


@dataclass
class DemoWhere:
    """No fields: the handler only looks around."""


def demo_where(_payload: DemoWhere, _ctx: TaskContext) -> JSONValue:
    """The class of the global scope the handler ran in: ``DedicatedWorkerGlobalScope`` or ``Window``."""
    import js  # type: ignore[import-not-found]

    return {"scope": str(js.globalThis.constructor.name)}


async def demo_work(payload: DemoWork, ctx: TaskContext) -> JSONValue:
    steps = max(1, payload.steps)
    for step in range(steps):
        if ctx.cancelled.is_set():
            return {"label": payload.label, "stopped_at_step": step}
        await asyncio.sleep(payload.duration_ms / steps / 1000.0)
        await ctx.progress({"done": step + 1, "of": steps})
    return {"label": payload.label, "ms": payload.duration_ms, "attempt": ctx.attempt}


async def demo_flaky(payload: DemoFlaky, ctx: TaskContext) -> JSONValue:
    if ctx.attempt <= payload.fail_first:
        raise RuntimeError(f"simulated failure of {payload.label!r} on attempt {ctx.attempt}")
    if time.time() * 1000.0 < payload.fail_until_ms:
        raise RuntimeError(f"simulated outage for {payload.label!r}: try again later")
    return {"label": payload.label, "succeeded_on_attempt": ctx.attempt}


def demo_registry() -> TaskRegistry:
    registry = TaskRegistry()
    registry.register("demo.work", demo_work)
    registry.register("demo.flaky", demo_flaky, max_attempts=3)
    registry.register("demo.where", demo_where)
    return registry

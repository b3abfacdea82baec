"""Task types for the worker runner tests: loaded on the page (to enqueue) and in the worker (to run)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from pyqueue import TaskContext, TaskRegistry
from pyqueue.browser.worker.placement import on_page

STUCK_TIMEOUT_MS = 1_500.0

registry = TaskRegistry()


@dataclass
class Empty:
    pass


@dataclass
class Ms:
    ms: float = 0.0


@registry.task("where")
def where(payload: Empty, ctx: TaskContext) -> dict[str, object]:
    """Says where it runs: the global scope's class, and whether there is a document."""
    import js

    return {"scope": str(js.globalThis.constructor.name), "has_document": hasattr(js, "document")}


@registry.task("spin")
def spin(payload: Ms, ctx: TaskContext) -> float:
    """Computes for ``ms`` without yielding once: what would freeze the page on the main thread."""
    end = time.perf_counter() + payload.ms / 1000.0
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


@registry.task("stuck", timeout_ms=STUCK_TIMEOUT_MS, max_attempts=2)
def stuck(payload: Empty, ctx: TaskContext) -> None:
    """Never yields, never ends: only terminating its worker stops it."""
    while True:
        pass


@registry.task("nap")
async def nap(payload: Ms, ctx: TaskContext) -> str:
    await asyncio.sleep(payload.ms / 1000.0)
    return "rested"


@registry.task("vanish", max_attempts=1)
async def vanish(payload: Empty, ctx: TaskContext) -> None:
    """Ends its worker mid-task, as a crash would: the worker says nothing more, ever."""
    import js

    js.close()
    await asyncio.sleep(3600)


@dataclass
class Text:
    text: str


@registry.task("paint")
def paint(payload: Text, ctx: TaskContext) -> dict[str, str]:
    """Touches the DOM, so it runs on the page (marked below); the worker's runner still holds its lease."""
    import js

    js.document.getElementById("painted").textContent = payload.text
    return {"scope": str(js.globalThis.constructor.name)}


on_page(registry, "paint")

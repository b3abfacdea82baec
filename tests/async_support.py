"""Run a coroutine to completion from a plain test, and watch the timers it sets.

Playwright's sync API keeps an event loop running on the main thread once a
browser test has run, so ``asyncio.run`` there fails; a short-lived thread
gives every unit test a fresh loop of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as e:
            box["error"] = e

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def timers_of(*owner_types: type) -> list[float]:
    """Record when each timer is due that the running loop is asked for from now on by a method of *owner_types*.

    In Pyodide every timer set keeps a proxy alive until its time, cancelled
    or not, so how many are set is what a long-lived tab pays.
    """
    loop = asyncio.get_running_loop()
    asked: list[float] = []
    original: Callable[..., asyncio.TimerHandle] = loop.call_at

    def call_at(when: float, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        if isinstance(getattr(callback, "__self__", None), owner_types):
            asked.append(when)
        return original(when, callback, *args, **kwargs)

    loop.call_at = call_at  # type: ignore[method-assign]
    return asked

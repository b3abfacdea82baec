"""Web Locks: run a coroutine while holding a lock that every tab of this origin respects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def with_lock(name: str, fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn()`` holding the Web Lock *name*: other tabs asking for it wait until it returns."""
    import js
    from pyodide.ffi import create_proxy

    box: list[T] = []

    async def held(_lock: Any) -> None:
        box.append(await fn())

    proxy = create_proxy(held)
    try:
        await js.navigator.locks.request(name, proxy)
    finally:
        proxy.destroy()
    return box[0]

"""What tabs of one origin tell each other: new work (wake up), changes (refresh), and who is alive.

Signals travel over a BroadcastChannel, so an enqueue in one tab wakes the
runners of the others at once without polling. Presence uses Web Locks: each
runner holds a lock named after itself for as long as it lives, and the
browser drops the lock when the tab closes or crashes, so counting the held
locks counts the live runners with no stale entries to expire.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

ENQUEUED = "enqueued"
CHANGED = "changed"


class TabSignals:
    """A BroadcastChannel per database; a tab does not hear its own messages."""

    def __init__(self, db_name: str) -> None:
        import js
        from pyodide.ffi import create_proxy

        self._channel: Any = js.BroadcastChannel.new(f"pyqueue:{db_name}")
        self._handlers: dict[str, list[Callable[[], None]]] = {}
        self._proxy = create_proxy(self._receive)
        self._channel.addEventListener("message", self._proxy)

    def on(self, kind: str, handler: Callable[[], None]) -> None:
        """Call *handler* when another tab posts *kind*."""
        self._handlers.setdefault(kind, []).append(handler)

    def post(self, kind: str) -> None:
        """Tell the other tabs that *kind* happened."""
        self._channel.postMessage(kind)

    def _receive(self, event: Any) -> None:
        for handler in self._handlers.get(str(event.data), []):
            handler()

    def close(self) -> None:
        self._channel.removeEventListener("message", self._proxy)
        self._channel.close()
        self._proxy.destroy()


def _lock_prefix(db_name: str) -> str:
    return f"pyqueue:{db_name}:runner:"


class Presence:
    """Holds a Web Lock named after one runner while it lives."""

    def __init__(self, db_name: str, owner: str) -> None:
        self.name = _lock_prefix(db_name) + owner
        self._release = asyncio.Event()
        self._proxy: Any = None

    def hold(self) -> None:
        """Take the lock in the background; it is held until :meth:`release` or the tab's end."""
        import js
        from pyodide.ffi import create_proxy

        async def held(_lock: Any) -> None:
            await self._release.wait()

        self._proxy = create_proxy(held)
        js.navigator.locks.request(self.name, self._proxy)

    def release(self) -> None:
        self._release.set()


async def live_runners(db_name: str) -> int:
    """How many runners, in all tabs of this origin, currently hold their presence lock on *db_name*."""
    import js

    state = await js.navigator.locks.query()
    prefix = _lock_prefix(db_name)
    return sum(1 for lock in state.held if str(lock.name).startswith(prefix))

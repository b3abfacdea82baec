"""What tabs of one origin tell each other: new work (wake up), changes (refresh), task events, and who is alive.

Signals travel over a BroadcastChannel, so an enqueue in one tab wakes the
runners of the others at once without polling; :class:`EventRelay` carries
task events (:mod:`pyqueue.events`) the same way, on a channel of their own.
Presence uses Web Locks: each
runner holds a lock named after itself for as long as it lives, and the
browser drops the lock when the tab closes or crashes, so counting the held
locks counts the live runners with no stale entries to expire.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..events import BadEvent, EventBus, TaskEvent
from ..queue import Queue
from .background import spawn
from .locks import with_lock

log = logging.getLogger("pyqueue.browser")

ENQUEUED = "enqueued"
CHANGED = "changed"


class _Channel:
    """A BroadcastChannel whose messages go to *receive*; a tab does not hear its own messages."""

    def __init__(self, name: str, receive: Callable[[Any], None]) -> None:
        import js
        from pyodide.ffi import create_proxy

        self._channel: Any = js.BroadcastChannel.new(name)
        self._proxy = create_proxy(receive)
        self._channel.addEventListener("message", self._proxy)

    def post(self, message: str) -> None:
        self._channel.postMessage(message)

    def close(self) -> None:
        self._channel.removeEventListener("message", self._proxy)
        self._channel.close()
        self._proxy.destroy()


class TabSignals:
    """A BroadcastChannel per database; a tab does not hear its own messages."""

    def __init__(self, db_name: str) -> None:
        self.db_name = db_name
        self._handlers: dict[str, list[Callable[[], None]]] = {}
        self._channel = _Channel(f"pyqueue:{db_name}", self._receive)

    def on(self, kind: str, handler: Callable[[], None]) -> None:
        """Call *handler* when another tab posts *kind*."""
        self._handlers.setdefault(kind, []).append(handler)

    def post(self, kind: str) -> None:
        """Tell the other tabs that *kind* happened."""
        self._channel.post(kind)

    def _receive(self, event: Any) -> None:
        for handler in self._handlers.get(str(event.data), []):
            handler()

    def close(self) -> None:
        self._channel.close()


class EventRelay:
    """Posts this tab's task events to the other tabs of the origin, and emits theirs on this tab's bus.

    Events travel as JSON text on the channel ``pyqueue:<db>:events``. What
    arrives is untrusted (any script of the origin may post there): it is
    read by :meth:`TaskEvent.from_json <pyqueue.events.TaskEvent.from_json>`,
    a bad message is logged and dropped, and a good one is emitted with
    ``remote=True`` and never posted again. Listeners that act on an event
    read the task (as :class:`~pyqueue.results.TaskHandle` does), so a forged
    event costs a read, nothing more.
    """

    def __init__(self, db_name: str, bus: EventBus) -> None:
        self._bus = bus
        self._channel = _Channel(f"pyqueue:{db_name}:events", self._receive)
        self._unsubscribe = bus.subscribe(self._send)

    def _send(self, event: TaskEvent) -> None:
        if not event.remote:
            self._channel.post(event.to_json())

    def _receive(self, message: Any) -> None:
        try:
            event = TaskEvent.from_json(message.data)
        except BadEvent as e:
            log.warning("pyqueue: dropped a message from another tab that is not a task event: %s", e)
            return
        self._bus.emit(event)

    def close(self) -> None:
        """Stop relaying, both ways."""
        self._unsubscribe()
        self._channel.close()


def _lock_prefix(db_name: str) -> str:
    return f"pyqueue:{db_name}:runner:"


class Presence:
    """Holds a Web Lock named after one runner while it lives."""

    def __init__(self, db_name: str, owner: str) -> None:
        self.name = _lock_prefix(db_name) + owner
        self._release = asyncio.Event()

    def hold(self) -> None:
        """Take the lock in the background; it is held until :meth:`release` or the tab's end.

        The lock is asked for now (an eager start), so the runner counts among
        the live ones as soon as this returns; its callback's proxy is
        destroyed once the lock is let go.
        """
        spawn(with_lock(self.name, self._release.wait), eager=True)

    def release(self) -> None:
        self._release.set()


async def live_runners(db_name: str) -> int:
    """How many runners, in all tabs of this origin, currently hold their presence lock on *db_name*."""
    import js

    state = await js.navigator.locks.query()
    prefix = _lock_prefix(db_name)
    return sum(1 for lock in state.held if str(lock.name).startswith(prefix))


def connect_queue(queue: Queue, signals: TabSignals) -> list[Callable[[], None]]:
    """Wake the other tabs' (and workers') runners on every enqueue here, and relay task events both ways.

    Returns the undo steps, in the order to push them: the relay closes first, the signals last.
    """
    return [
        queue.on_enqueue(lambda _tasks: signals.post(ENQUEUED)),
        signals.close,
        EventRelay(signals.db_name, queue.events).close,
    ]

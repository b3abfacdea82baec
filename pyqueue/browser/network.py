"""The browser's network state, and parking while offline.

A handler that needs the network raises :func:`offline` while the browser is
offline: the task keeps its attempts and gains no error, and no runner finds
it due, so nothing fails or spins. :func:`unpark_when_online` puts those tasks
back in line on the ``online`` event (and at once, if the browser is online:
tasks parked in a tab since closed).
"""

from __future__ import annotations

from collections.abc import Callable

from ..queue import Queue
from ..retry import Park
from ..task import Task
from .background import spawn
from .events import listen

OFFLINE = "offline: waits for the network"
"""The park reason of tasks waiting for the network."""


def online() -> bool:
    """What the browser believes: ``navigator.onLine``."""
    import js

    return bool(js.navigator.onLine)


def offline() -> Park:
    """What a handler that needs the network raises while the browser is offline."""
    return Park(OFFLINE)


async def unpark_offline(queue: Queue) -> list[Task]:
    """Put every task parked for being offline back in line; return them."""
    return await queue.unpark(reason=OFFLINE)


async def unpark_when_online(queue: Queue) -> Callable[[], None]:
    """Unpark offline tasks now if online, and on every ``online`` event; return a function that stops."""
    import js

    if online():
        await unpark_offline(queue)
    return listen(js.window, "online", lambda _event: spawn(unpark_offline(queue)))

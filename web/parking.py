"""Parking while offline: a network task raises :class:`pyqueue.Park`, and the page unparks on ``online``.

A parked task keeps its attempts and gains no error; no runner finds it due,
so nothing fails or spins while the browser is offline. The page calls
:func:`unpark_offline` on the ``online`` event, at start, and on its slow
timer while online (which also catches a task that parked itself in the
instant the connection came back, after the event had been handled).
"""

from __future__ import annotations

from pyqueue import Park, Queue, Task

OFFLINE = "offline: waits for the network"


def is_parked(task: Task) -> bool:
    return task.parked is not None


def offline() -> Park:
    """What a handler that needs the network raises while the browser is offline."""
    return Park(OFFLINE)


async def unpark_offline(queue: Queue) -> list[Task]:
    """Put every task parked for being offline back in line; return them."""
    return await queue.unpark(reason=OFFLINE)

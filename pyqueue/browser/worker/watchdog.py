"""The page's watch over the worker's running tasks: which one ran past its timeout and must be stopped.

Inside the worker a timeout only works when the handler yields (``asyncio.timeout``
cancels at an ``await``). A handler that computes without yielding holds the
worker's event loop, so the worker cannot even say so. The page can: the
worker posts ``started`` before each handler runs, and every status it sends
lists what still runs. A task that the page saw start and that is still
listed (or never listed again, as its worker fell silent) past its timeout
plus a grace is overdue, and the page terminates the worker. Pure, tested under CPython.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_HARD_GRACE_MS = 1_000.0
"""How long past its timeout a task may run before the page terminates its worker: time for the
worker's own timeout to end a task that yields, so only a task that never yields is terminated."""


@dataclass(frozen=True)
class Overdue:
    """A task that ran past its timeout: its id and the timeout it had (ms)."""

    task_id: str
    timeout_ms: float


class Watchdog:
    """Deadlines of the tasks running in one worker, on the page's clock (epoch ms)."""

    def __init__(self, *, grace_ms: float = DEFAULT_HARD_GRACE_MS) -> None:
        self.grace_ms = grace_ms
        self._running: dict[str, tuple[float, float]] = {}  # id -> (deadline, timeout)

    def started(self, task_id: str, timeout_ms: float | None, now: float) -> None:
        """The worker is about to run *task_id*; without a timeout it is never overdue."""
        if timeout_ms is not None and timeout_ms > 0:
            self._running[task_id] = (now + timeout_ms + self.grace_ms, timeout_ms)

    def still_running(self, task_ids: Iterable[str]) -> None:
        """A status from the worker, sent after every ``started`` before it: the tasks not listed are done."""
        listed = set(task_ids)
        for task_id in [t for t in self._running if t not in listed]:
            del self._running[task_id]

    def overdue(self, now: float) -> list[Overdue]:
        """The tasks past their deadline at *now*."""
        return [Overdue(t, timeout) for t, (deadline, timeout) in self._running.items() if now >= deadline]

    @property
    def watching(self) -> bool:
        """True while a started task with a timeout has not been seen to end."""
        return bool(self._running)

    def clear(self) -> None:
        """The worker is gone: nothing of it runs any more."""
        self._running.clear()

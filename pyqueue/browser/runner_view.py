"""What a page reads and asks of its runner, whether it runs on the page or in a Web Worker.

A :class:`~pyqueue.runner.QueueRunner` runs on the page's main thread; a
:class:`~pyqueue.browser.worker.WorkerRunner` is the page's handle on one in a
dedicated worker. Both satisfy :class:`RunnerView`, so the dashboard and a
page's controls take either. The handle's :attr:`~RunnerView.state` may also be
``loading`` or ``failed`` (the worker's own states) besides the runner's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ..runner import RunnerCounts

PAGE = "page"
WORKER = "worker"
"""The values of :attr:`RunnerView.location`."""
LOADING = "loading"
FAILED = "failed"
"""A worker handle's states besides the runner's: its worker boots, or failed to boot or crashed."""


class RunnerView(Protocol):
    @property
    def location(self) -> str:
        """Where the runner's handlers run: :data:`PAGE` (this tab's main thread) or :data:`WORKER`."""

    @property
    def state(self) -> str:
        """A :class:`~pyqueue.runner.RunnerState` value, or a worker handle's ``loading`` / ``failed``."""

    @property
    def owner(self) -> str | None:
        """The runner's owner id (the lease holder of its tasks); ``None`` while a worker loads."""

    @property
    def concurrency(self) -> int: ...

    @property
    def lease_ms(self) -> float: ...

    @property
    def running_tasks(self) -> list[str]: ...

    @property
    def last_error(self) -> str | None: ...

    @property
    def counts(self) -> RunnerCounts: ...

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]: ...

    def wake(self) -> None: ...

    def start(self) -> object: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

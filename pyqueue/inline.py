"""Inline mode: a queue whose every enqueue runs the due tasks before it returns.

For tests and for pages that want results at once. It sits beside the runner
rather than inside :class:`~pyqueue.queue.Queue`: it is a runner driven by
enqueues, and the queue itself knows nothing of runners (the runner builds on
the queue, never the other way round).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .queue import Queue, TaskSpec
from .registry import TaskRegistry
from .runner import QueueRunner
from .storage import Storage


class InlineQueue(Queue):
    """A :class:`~pyqueue.queue.Queue` with no runner of its own to start: each enqueue runs every due task.

    Handlers that enqueue follow-ups get them run in the same pass. Takes the
    same options as :class:`~pyqueue.queue.Queue`; ``runner`` is the
    :class:`~pyqueue.runner.QueueRunner` that does the work.
    """

    def __init__(self, store: Storage, registry: TaskRegistry, **options: Any) -> None:
        super().__init__(store, registry, **options)
        self.runner = QueueRunner(self, owner="inline")

    async def enqueue_many(self, specs: Iterable[TaskSpec]) -> list[str]:
        ids = await super().enqueue_many(specs)
        if not self.runner.active:  # a handler enqueueing mid-burst: the running burst picks it up
            await self.runner.run_burst()
        return ids

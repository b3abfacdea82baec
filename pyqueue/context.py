"""What a handler gets besides its payload: the task, a way to report progress, and the cancel signal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .jsondata import JSONValue
from .task import Task


@dataclass
class TaskContext:
    """Passed to a handler as its second argument.

    ``cancelled`` is set when someone cancels the task while it runs; a
    long handler should check it and return early (the task then ends
    ``cancelled``, whatever it returns).
    """

    task: Task
    report: Callable[[JSONValue], Awaitable[None]]
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def attempt(self) -> int:
        """Which attempt this is, starting at 1."""
        return self.task.attempts

    async def progress(self, value: JSONValue) -> None:
        """Record progress (any JSON data, e.g. ``{"done": 3, "of": 10}``) for the page to show."""
        await self.report(value)

"""Background steps started by event handlers: held until they finish, and a failure is logged, not lost.

asyncio keeps only a weak reference to a running task, so a step nobody holds
could be collected before it is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger("pyqueue.app")

_RUNNING: set[asyncio.Task[Any]] = set()


def spawn(coro: Awaitable[Any]) -> None:
    """Run *coro* in the background for as long as it takes."""
    task = asyncio.ensure_future(coro)
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    task.add_done_callback(_report_failure)


def _report_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("pyqueue app: background step failed", exc_info=task.exception())

"""Background steps started by event handlers: held until they finish, and a failure is logged, not lost.

asyncio keeps only a weak reference to a running task, so a step nobody holds
could be collected before it is done.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("pyqueue.browser")

_RUNNING: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, Any], *, eager: bool = False) -> asyncio.Task[Any]:
    """Run *coro* in the background for as long as it takes.

    With *eager*, its first step runs now, inside the caller: an event handler
    for ``pagehide`` must issue its IndexedDB requests before it returns, as
    the page may run no later task.
    """
    if eager and sys.version_info >= (3, 12):
        task: asyncio.Task[Any] = asyncio.eager_task_factory(asyncio.get_running_loop(), coro)
    else:
        task = asyncio.ensure_future(coro)
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    task.add_done_callback(_report_failure)
    return task


def _report_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("pyqueue: background step failed", exc_info=task.exception())

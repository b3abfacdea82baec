"""Where a task type's handler runs when the runner lives in a worker: in the worker (the default) or on the page.

A handler that must touch the DOM cannot run in a worker. Marking its type
with :func:`on_page` keeps the queue's rules the same (the worker's runner
claims it, holds its lease, times it out and records its outcome) but the
handler itself is called on the page: the worker asks the page over the
message channel and waits for the answer. The page runs only types marked
so, whatever a message asks. Mark the types in the module both sides import.
"""

from __future__ import annotations

import weakref

from ... import transitions
from ...context import TaskContext
from ...jsondata import JSONValue, check_json_data
from ...payload import load_payload
from ...queue import Queue
from ...registry import TaskRegistry

_ON_PAGE: weakref.WeakKeyDictionary[TaskRegistry, set[str]] = weakref.WeakKeyDictionary()


def on_page(registry: TaskRegistry, *names: str) -> None:
    """Run the handlers of task types *names* of *registry* on the page's main thread (they touch the DOM)."""
    for name in names:
        registry.get(name)  # raises UnknownTaskType for a typo
    _ON_PAGE.setdefault(registry, set()).update(names)


def runs_on_page(registry: TaskRegistry, name: str) -> bool:
    """True when task type *name* of *registry* was marked with :func:`on_page`."""
    return name in _ON_PAGE.get(registry, ())


async def run_on_page(queue: Queue, owner: str | None, task_id: str, type_name: str) -> tuple[JSONValue, str | None]:
    """Run on the page the handler that the worker's runner *owner* asks for: ``(result, None)`` or ``(None, error)``.

    The request is checked like any input: the type must be marked
    :func:`on_page` on the page's registry, and the task must be held by that worker.
    """
    if not runs_on_page(queue.registry, type_name):
        return None, f"task type {type_name!r} is not marked to run on the page"
    try:
        task = await queue.get(task_id)
        holder = task.lease_owner
        if task.type != type_name or holder is None or holder != owner:
            return None, f"task {task_id} is not a {type_name!r} task held by this page's worker"
        task_type = queue.registry.get(type_name)
        payload: object = load_payload(task_type.payload_type, task.payload)

        async def report(value: JSONValue) -> None:
            await queue.store.update(task_id, lambda t: transitions.report_progress(t, owner=holder, progress=value))

        result = await task_type.call(payload, TaskContext(task, report=report))
        check_json_data(result, "result")
    except Exception as e:
        return None, f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
    return result, None

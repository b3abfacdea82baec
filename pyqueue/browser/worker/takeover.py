"""Recording, from the page, the end of the tasks a terminated or crashed worker held.

The worker's runner held its tasks under its owner id, which it told the
page. Once that worker is gone nobody renews those leases, and the page
settles them at once instead of waiting for them to expire: a task the page
terminated for running past its timeout counts a failed attempt (retried after
its backoff, like a timeout in the worker), and every other task the worker
held goes back in line with a lost attempt. Each change is the same
holder-checked transition the runner applies, so a task some other runner
took meanwhile is left alone. Pure queue logic, tested under CPython.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...backoff import BackoffPolicy, exponential_backoff
from ...errors import QueueError, UnknownTaskType
from ...execution import Outcome
from ...queue import Queue
from ...storage import Change
from ...task import Task, TaskStatus
from .watchdog import Overdue

WORKER_GONE = "interrupted: the worker running this task ended ({reason})"
TERMINATED = (
    "terminated after timeout: the handler ran past its {timeout_ms:g} ms timeout without yielding, "
    "so the page terminated its worker"
)
MAX_HELD = 10_000


async def take_over(
    queue: Queue,
    owner: str,
    *,
    overdue: Iterable[Overdue] = (),
    reason: str,
    backoff: BackoffPolicy = exponential_backoff,
) -> list[Task]:
    """Settle every task *owner* still holds: *overdue* ones fail an attempt, the others go back in line.

    Returns the tasks as written; a task another runner holds by now is skipped.
    """
    timeouts = {o.task_id: o.timeout_ms for o in overdue}
    held = [t for t in await queue.tasks(TaskStatus.PROCESSING, limit=MAX_HELD) if t.lease_owner == owner]
    if not held:
        return []
    now = queue.clock()
    changes: list[tuple[str, Change]] = []
    for task in held:
        if task.id in timeouts:
            outcome = Outcome(
                error=TERMINATED.format(timeout_ms=timeouts[task.id]),
                retry_in_ms=_policy(queue, task, backoff)(task.attempts),
            )
        else:
            outcome = Outcome(error=WORKER_GONE.format(reason=reason), retry_in_ms=0.0)
        changes.append((task.id, outcome.change(owner=owner, now=now)))
    results = await queue.store.update_many(changes)
    return [r for r in results if not isinstance(r, QueueError)]


def _policy(queue: Queue, task: Task, default: BackoffPolicy) -> BackoffPolicy:
    try:
        return queue.registry.get(task.type).backoff or default
    except UnknownTaskType:
        return default

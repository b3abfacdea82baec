"""Every change of a task's status, as pure functions from a task to its next version.

Stores apply these inside their atomic read-modify-write, so the rules (who may
finish a task, when a retry becomes final, what a lost lease costs) live in one
place and are tested under CPython without any storage.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping

from .constants import MAX_TIME_MS, PARKED_RUN_AT
from .errors import InvalidStateChange, LeaseLost
from .ids import random_hex
from .jsondata import JSONValue, NotJSONData, check_json_data
from .task import MAX_KEY_CHARS, MAX_SEQ, AttemptError, Task, TaskStatus
from .task_meta import TaskMeta, check_meta

LEASE_LOST = "lease lost: the runner holding this task stopped renewing it (tab closed, crashed or frozen)"


def promote(task: Task, now: float) -> Task:
    """A scheduled task whose time has come becomes pending (claimable)."""
    if task.status is not TaskStatus.SCHEDULED or task.run_at > now:
        return task
    return task.replace(status=TaskStatus.PENDING)


def claim(task: Task, *, owner: str, now: float, lease_ms: float) -> Task:
    """A pending task is taken by *owner*: one more attempt, held until the lease ends."""
    if task.status is not TaskStatus.PENDING:
        raise InvalidStateChange(task.id, task.status, "claim")
    return task.replace(
        status=TaskStatus.PROCESSING,
        attempts=task.attempts + 1,
        started_at=now,
        lease_owner=owner,
        lease_until=now + lease_ms,
        progress=None,
    )


def _check_holder(task: Task, owner: str) -> None:
    if task.status is not TaskStatus.PROCESSING or task.lease_owner != owner:
        raise LeaseLost(task.id, owner)


def renew(task: Task, *, owner: str, until: float) -> Task:
    """The holder extends its lease; anyone else learns that it lost the task."""
    _check_holder(task, owner)
    return task.replace(lease_until=max(until, task.lease_until or until))


def report_progress(task: Task, *, owner: str, progress: JSONValue) -> Task:
    """The holder records how far the handler has got, for the page to show."""
    _check_holder(task, owner)
    return task.replace(progress=progress)


def release(task: Task, *, owner: str, now: float) -> Task:
    """The holder gives back a task it claimed but never started: as if it had not been claimed.

    A cancel that came meanwhile wins: the task ends cancelled instead of going back in line.
    """
    _check_holder(task, owner)
    if task.cancel_requested:
        return _finish(task, TaskStatus.CANCELLED, now)
    return task.replace(
        status=TaskStatus.PENDING,
        attempts=task.attempts - 1,
        started_at=None,
        lease_owner=None,
        lease_until=None,
    )


def interrupt(task: Task, *, owner: str, now: float, error: AttemptError) -> Task:
    """The holder's own shutdown cut the handler short: back in line, the attempt not counted.

    Stopping a runner is not the task's failure, so it never costs the task an
    attempt, its last one included; *error* keeps the interruption in the history.
    A cancel that came meanwhile wins, as for :func:`release`.
    """
    return release(task, owner=owner, now=now).replace(errors=(*task.errors, error), progress=None)


def park(task: Task, *, owner: str, now: float, reason: str) -> Task:
    """The holder's handler cannot run now: the task waits until unparked, and the attempt is not counted."""
    _check_holder(task, owner)
    if task.cancel_requested:
        return _finish(task, TaskStatus.CANCELLED, now)
    return task.replace(
        status=TaskStatus.SCHEDULED,
        run_at=PARKED_RUN_AT,
        attempts=task.attempts - 1,
        started_at=None,
        lease_owner=None,
        lease_until=None,
        parked=reason,
        progress=None,
    )


def unpark(task: Task, now: float) -> Task:
    """A parked task goes back in line at once; any other task is left as it is."""
    if task.status is not TaskStatus.SCHEDULED or task.parked is None:
        return task
    return task.replace(status=TaskStatus.PENDING, run_at=now, parked=None)


def _finish(task: Task, status: TaskStatus, now: float, **changes: object) -> Task:
    return task.replace(status=status, finished_at=now, lease_owner=None, lease_until=None, parked=None, **changes)


def complete(task: Task, *, owner: str, now: float, result: JSONValue) -> Task:
    """The holder's handler returned: the task is completed, or cancelled if a cancel came meanwhile."""
    _check_holder(task, owner)
    if task.cancel_requested:
        return _finish(task, TaskStatus.CANCELLED, now)
    return _finish(task, TaskStatus.COMPLETED, now, result=result)


def fail(task: Task, *, owner: str, now: float, error: AttemptError, retry_in_ms: float | None) -> Task:
    """The holder's handler failed.

    With *retry_in_ms* ``None`` the failure is final; otherwise the task is
    scheduled again after that delay unless its attempts are used up.
    """
    _check_holder(task, owner)
    return _after_failed_attempt(task, now=now, error=error, retry_in_ms=retry_in_ms)


def _after_failed_attempt(task: Task, *, now: float, error: AttemptError, retry_in_ms: float | None) -> Task:
    errors = (*task.errors, error)
    if task.cancel_requested:
        return _finish(task, TaskStatus.CANCELLED, now, errors=errors)
    if retry_in_ms is None or task.attempts >= task.max_attempts:
        return _finish(task, TaskStatus.FAILED, now, errors=errors)
    status = TaskStatus.PENDING if retry_in_ms <= 0 else TaskStatus.SCHEDULED
    return task.replace(
        status=status,
        run_at=now + max(0.0, retry_in_ms),
        lease_owner=None,
        lease_until=None,
        errors=errors,
    )


def lease_expired(task: Task, now: float) -> bool:
    """True when *task* is held by a runner whose lease ran out."""
    return task.status is TaskStatus.PROCESSING and (task.lease_until is None or task.lease_until <= now)


def expire(task: Task, now: float) -> Task:
    """Recover a task whose runner vanished: the lost attempt counts, and past the maximum it fails."""
    if not lease_expired(task, now):
        return task
    error = AttemptError(attempt=task.attempts, at=now, error=LEASE_LOST)
    return _after_failed_attempt(task, now=now, error=error, retry_in_ms=0.0)


def cancel(task: Task, now: float) -> Task:
    """Cancel a waiting task at once; ask a running one to stop (it ends cancelled, never completed)."""
    if task.status in (TaskStatus.WAITING, TaskStatus.SCHEDULED, TaskStatus.PENDING):
        return _finish(task, TaskStatus.CANCELLED, now)
    if task.status is TaskStatus.PROCESSING:
        return task.replace(cancel_requested=True)
    raise InvalidStateChange(task.id, task.status, "cancel")


def dependency_failed(dependency: Task) -> str:
    """The error a dependant gets when *dependency* ended failed or cancelled instead of completed."""
    return f"dependency {dependency.id} ({dependency.type}) {dependency.status.value}: this task will not run"


def dependency_finished(task: Task, dependency: Task, now: float) -> Task:
    """A task waiting on *dependency* learns that it finished.

    Completed: one dependency fewer to wait for, and with none left the task
    is due (pending, or scheduled if its ``run_at`` is later). Failed or
    cancelled: the task will never run, so it ends the same way (failed or
    cancelled) with an error naming the dependency; stores apply this to that
    task's own dependants in turn. Any other task is left as it is.
    """
    if task.status is not TaskStatus.WAITING or dependency.id not in task.waiting_on:
        return task
    if not dependency.status.finished:
        return task
    if dependency.status is TaskStatus.COMPLETED:
        left = tuple(d for d in task.waiting_on if d != dependency.id)
        if left:
            return task.replace(waiting_on=left)
        status = TaskStatus.PENDING if task.run_at <= now else TaskStatus.SCHEDULED
        return task.replace(status=status, waiting_on=())
    error = AttemptError(attempt=task.attempts, at=now, error=dependency_failed(dependency))
    return _finish(task, dependency.status, now, errors=(*task.errors, error))


def retry(task: Task, now: float, dependencies: Mapping[str, Task]) -> Task:
    """Put a failed or cancelled task back in line with a fresh set of attempts; its history is kept.

    A dependant waits again (``waiting``) for those of its ``depends_on`` that
    are not completed, read by the store in the same atomic step as
    *dependencies* (the stored tasks of ``depends_on``): so a dependant failed
    by its dependency's failure runs only once that dependency, retried too,
    completed. A dependency no longer stored (purged after completing, or
    deleted) is not waited for.
    """
    if task.status not in (TaskStatus.FAILED, TaskStatus.CANCELLED):
        raise InvalidStateChange(task.id, task.status, "retry")
    waits = tuple(
        d for d in task.depends_on if d in dependencies and dependencies[d].status is not TaskStatus.COMPLETED
    )
    return task.replace(
        status=TaskStatus.WAITING if waits else TaskStatus.PENDING,
        run_at=now,
        attempts=0,
        finished_at=None,
        cancel_requested=False,
        progress=None,
        waiting_on=waits,
    )


def deleted(task: Task, now: float) -> Task:
    """What a deleted task's waiting dependants learn of it: as it ended if finished, else as if cancelled.

    This version is never stored; stores pass it to
    :func:`dependency_finished` so that a dependant of a deleted unfinished
    task is cancelled (naming it) rather than left waiting forever.
    """
    return task if task.status.finished else _finish(task, TaskStatus.CANCELLED, now)


def quarantine(record: object, *, reason: str, now: float) -> dict[str, JSONValue]:
    """Turn a broken stored row into a failed task that names the problem, keeping what can be kept.

    The runner must never stop or spin on a row it cannot read, and must not
    silently drop it either: the row stays visible, failed, with its reason.
    Each field is kept only if it is valid on its own (a payload with a NaN or
    nested too deeply is dropped, the reason says why the row broke), so the
    failed task can always be stored and exported again.
    """
    raw = record if isinstance(record, dict) else {}
    task_id, task_type, payload, seq = raw.get("id"), raw.get("type"), raw.get("payload"), raw.get("seq")
    created = raw.get("created_at")
    return Task(
        id=task_id if isinstance(task_id, str) and _is_key(task_id) else f"broken-{random_hex()}",
        type=task_type if isinstance(task_type, str) and _is_key(task_type) else "<unknown>",
        payload=payload if isinstance(payload, dict) and _is_json(payload) else {},
        status=TaskStatus.FAILED,
        priority=0,
        seq=seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= MAX_SEQ else 0,
        run_at=now,
        attempts=0,
        max_attempts=0,
        created_at=float(typing.cast(float, created)) if _is_time(created) else now,
        finished_at=now,
        errors=(AttemptError(attempt=0, at=now, error=f"broken task row: {reason}"),),
        meta=_valid_meta(raw.get("meta")),
    ).to_record()


def _valid_meta(value: object) -> TaskMeta:
    """The row's meta if it is valid (it says who enqueued the broken task), else none."""
    try:
        return check_meta(value)
    except NotJSONData:
        return {}


def _is_key(value: str) -> bool:
    return 0 < len(value) <= MAX_KEY_CHARS


def _is_json(value: object) -> bool:
    try:
        check_json_data(value)
    except NotJSONData:
        return False
    return True


def _is_time(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        number = float(value)
    except OverflowError:
        return False
    return math.isfinite(number) and -MAX_TIME_MS <= number <= PARKED_RUN_AT

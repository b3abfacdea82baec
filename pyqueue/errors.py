"""The exceptions pyqueue raises, as one small tree under :class:`QueueError`.

Every error carries what went wrong as attributes, so callers can react to it
without parsing the message, and a message written for the person who reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .task import Task


class QueueError(Exception):
    """Base class of every error pyqueue raises on purpose."""


class UnknownTaskType(QueueError):
    """Raised when a task names a type that has no registered handler."""

    def __init__(self, task_type: str, known: list[str]) -> None:
        self.task_type = task_type
        self.known = known
        names = ", ".join(sorted(known)) or "none registered"
        super().__init__(f"unknown task type {task_type!r} (known types: {names})")


class InvalidPayload(QueueError):
    """Raised when a payload does not fit its task type or is not JSON data."""

    def __init__(self, task_type: str, reason: str) -> None:
        self.task_type = task_type
        self.reason = reason
        super().__init__(f"invalid payload for task type {task_type!r}: {reason}")


class InvalidMeta(QueueError):
    """Raised when a task's ``meta`` is not an object of JSON data, is nested too deeply or is too big."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"invalid task meta: {reason}")


def _show(value: object) -> str:
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return f"<{type(value).__name__} too long to print>"
    return text if len(text) <= 80 else text[:77] + "..."


class InvalidOption(QueueError):
    """Raised when an option such as a priority or a time is of the wrong type or out of range."""

    def __init__(self, option: str, value: object, reason: str) -> None:
        self.option = option
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {option} {_show(value)}: {reason}")


class TaskNotFound(QueueError):
    """Raised when no task has the given id."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        super().__init__(f"no task with id {task_id!r}")


class InvalidStateChange(QueueError):
    """Raised when an action does not apply to a task in its current status."""

    def __init__(self, task_id: str, status: str, action: str) -> None:
        self.task_id = task_id
        self.status = status
        self.action = action
        super().__init__(f"cannot {action} task {task_id!r}: it is {status}")


class LeaseLost(QueueError):
    """Raised when a runner reports on a task whose lease it no longer holds.

    It happens when the lease expired and another runner recovered the task; the
    late report is dropped so that the task is never finished twice.
    """

    def __init__(self, task_id: str, owner: str) -> None:
        self.task_id = task_id
        self.owner = owner
        super().__init__(f"runner {owner!r} no longer holds the lease of task {task_id!r}")


class QueueFull(QueueError):
    """Raised when an enqueue would take the queue past its maximum size."""

    def __init__(self, max_size: int, adding: int) -> None:
        self.max_size = max_size
        self.adding = adding
        super().__init__(f"queue is full: adding {adding} task(s) would exceed the maximum of {max_size} waiting tasks")


class StorageError(QueueError):
    """Raised when the storage backend refuses an operation for a reason of its own."""


class QuotaExceeded(StorageError):
    """Raised when the browser refuses a write because the origin's storage quota is used up."""

    def __init__(self, detail: str = "") -> None:
        self.detail = detail
        extra = f" ({detail})" if detail else ""
        super().__init__(
            "storage quota exceeded: the browser refused to store more data for this site; "
            f"purge finished tasks or free space{extra}"
        )


class UpgradeBlocked(StorageError):
    """Raised when the database cannot be opened at the new schema because an older tab keeps it open."""

    def __init__(self, name: str, version: int) -> None:
        self.name = name
        self.version = version
        super().__init__(
            f"cannot upgrade database {name!r} to version {version}: another tab holds it open "
            "at an older version; close or reload the other tabs of this site"
        )


class TaskNotCompleted(QueueError):
    """Raised when a task whose result is awaited ended without one: its last error and traceback are attached.

    ``task`` is the task as stored; ``error`` and ``traceback`` are its last
    attempt's (empty when it never ran, e.g. cancelled while waiting);
    ``task.errors`` holds every attempt's.
    """

    def __init__(self, task: Task, what: str) -> None:
        self.task = task
        last = task.errors[-1] if task.errors else None
        self.error = last.error if last is not None else ""
        self.traceback = last.traceback if last is not None else ""
        after = f" after {task.attempts} attempt(s)" if task.attempts else ""
        detail = f": {self.error}" if self.error else ""
        super().__init__(f"task {task.id!r} ({task.type}) {what}{after}{detail}")


class TaskFailed(TaskNotCompleted):
    """Raised when an awaited task failed for good (attempts used up, or a failure that is never retried)."""

    def __init__(self, task: Task) -> None:
        super().__init__(task, "failed")


class TaskCancelled(TaskNotCompleted):
    """Raised when an awaited task was cancelled."""

    def __init__(self, task: Task) -> None:
        super().__init__(task, "was cancelled")


class ResultTimeout(QueueError, TimeoutError):
    """Raised when an awaited task has not finished within the timeout; the task itself is left as it is.

    Also a :class:`TimeoutError`, so ``except TimeoutError`` catches it.
    """

    def __init__(self, task_id: str, timeout_ms: float, status: str) -> None:
        self.task_id = task_id
        self.timeout_ms = timeout_ms
        self.status = status
        super().__init__(f"task {task_id!r} did not finish within {timeout_ms:g} ms (it is {status})")

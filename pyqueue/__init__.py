"""pyqueue: a durable task queue for Python in the browser, on IndexedDB.

The core (task model, transitions, queue, runner, memory store) is plain
Python and imports under CPython; the browser edge lives in
:mod:`pyqueue.browser` and needs Pyodide.

:class:`MemoryStore`, :class:`InlineQueue`, the metrics, :class:`Cron` and the
import's reports are imported on first use (:func:`__getattr__`): a page needs
none of them to start, and every module a page imports costs it time before
its first task.
"""

import importlib
from typing import TYPE_CHECKING

# The one version source: pyproject.toml reads it, and the wheel's file name carries it.
__version__ = "0.1.0"

from .backoff import exponential_backoff, full_jitter
from .bulk import BulkAction, BulkReport
from .clock import Clock, wall_clock
from .context import TaskContext
from .errors import (
    InvalidMeta,
    InvalidOption,
    InvalidPayload,
    InvalidStateChange,
    LeaseLost,
    QueueError,
    QueueFull,
    QuotaExceeded,
    ResultTimeout,
    StorageError,
    TaskCancelled,
    TaskFailed,
    TaskNotCompleted,
    TaskNotFound,
    UnknownTaskType,
    UpgradeBlocked,
)
from .events import EventBus, EventKind, EventStream, TaskEvent
from .limits import ClaimLimits, RateLimit
from .periodic import PeriodicScheduler, next_slot_at, schedule_due
from .queue import PurgeReport, Queue, TaskSpec
from .registry import TaskRegistry, TaskType
from .results import Finish, ProcessResult, TaskHandle
from .retention import RetentionPolicy, RetentionReport, apply_retention
from .retry import Fail, Park, Retry
from .runner import PauseReason, QueueRunner, RunnerCounts, RunnerState
from .schedules import Every, PeriodicTask, Slot
from .storage import Claim, Stats, Storage
from .task import AttemptError, Task, TaskStatus

if TYPE_CHECKING:
    from .cron import Cron
    from .importing import ImportReport, ImportSkip
    from .inline import InlineQueue
    from .memory_store import MemoryStore
    from .metrics import Bucket, QueueMetrics, TypeStats, collect_metrics, error_kind

_ON_FIRST_USE = {
    "InlineQueue": "inline",
    "MemoryStore": "memory_store",
    "Cron": "cron",
    **dict.fromkeys(("ImportReport", "ImportSkip"), "importing"),
    **dict.fromkeys(("Bucket", "QueueMetrics", "TypeStats", "collect_metrics", "error_kind"), "metrics"),
}
"""The names whose modules are imported when first asked for, and those modules."""


def __getattr__(name: str) -> object:
    """Import the module of a name in :data:`_ON_FIRST_USE` (PEP 562), once."""
    module = _ON_FIRST_USE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AttemptError",
    "Bucket",
    "BulkAction",
    "BulkReport",
    "Claim",
    "ClaimLimits",
    "Clock",
    "Cron",
    "EventBus",
    "EventKind",
    "EventStream",
    "Every",
    "Fail",
    "Finish",
    "ImportReport",
    "ImportSkip",
    "InlineQueue",
    "InvalidMeta",
    "InvalidOption",
    "InvalidPayload",
    "InvalidStateChange",
    "LeaseLost",
    "MemoryStore",
    "Park",
    "PauseReason",
    "PeriodicScheduler",
    "PeriodicTask",
    "ProcessResult",
    "PurgeReport",
    "Queue",
    "QueueError",
    "QueueFull",
    "QueueMetrics",
    "QueueRunner",
    "QuotaExceeded",
    "RateLimit",
    "ResultTimeout",
    "RetentionPolicy",
    "RetentionReport",
    "Retry",
    "RunnerCounts",
    "RunnerState",
    "Slot",
    "Stats",
    "Storage",
    "StorageError",
    "Task",
    "TaskCancelled",
    "TaskContext",
    "TaskEvent",
    "TaskFailed",
    "TaskHandle",
    "TaskNotCompleted",
    "TaskNotFound",
    "TaskRegistry",
    "TaskSpec",
    "TaskStatus",
    "TaskType",
    "TypeStats",
    "UnknownTaskType",
    "UpgradeBlocked",
    "apply_retention",
    "collect_metrics",
    "error_kind",
    "exponential_backoff",
    "full_jitter",
    "next_slot_at",
    "schedule_due",
    "wall_clock",
]

"""pyqueue: a durable task queue for Python in the browser, on IndexedDB.

The core (task model, transitions, queue, runner, memory store) is plain
Python and imports under CPython; the browser edge lives in
:mod:`pyqueue.browser` and needs Pyodide.
"""

from .backoff import exponential_backoff, full_jitter
from .clock import Clock, wall_clock
from .context import TaskContext
from .errors import (
    InvalidOption,
    InvalidPayload,
    InvalidStateChange,
    LeaseLost,
    QueueError,
    QueueFull,
    QuotaExceeded,
    StorageError,
    TaskNotFound,
    UnknownTaskType,
    UpgradeBlocked,
)
from .importing import ImportReport, ImportSkip
from .memory_store import MemoryStore
from .queue import PurgeReport, Queue, TaskSpec
from .registry import TaskRegistry, TaskType
from .retry import Fail, Park, Retry
from .runner import PauseReason, QueueRunner, RunnerCounts, RunnerState
from .storage import Claim, Stats, Storage
from .task import AttemptError, Task, TaskStatus

__all__ = [
    "AttemptError",
    "Claim",
    "Clock",
    "Fail",
    "ImportReport",
    "ImportSkip",
    "InvalidOption",
    "InvalidPayload",
    "InvalidStateChange",
    "LeaseLost",
    "MemoryStore",
    "Park",
    "PauseReason",
    "PurgeReport",
    "Queue",
    "QueueError",
    "QueueFull",
    "QueueRunner",
    "QuotaExceeded",
    "Retry",
    "RunnerCounts",
    "RunnerState",
    "Stats",
    "Storage",
    "StorageError",
    "Task",
    "TaskContext",
    "TaskNotFound",
    "TaskRegistry",
    "TaskSpec",
    "TaskStatus",
    "TaskType",
    "UnknownTaskType",
    "UpgradeBlocked",
    "exponential_backoff",
    "full_jitter",
    "wall_clock",
]

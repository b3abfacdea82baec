"""The task record: one immutable value per task, and its plain-JSON form for storage.

Stores keep the JSON form (``Task.to_record``) and rebuild tasks with
``Task.from_record``, which checks every field's type and range, and the
payload, result and progress as JSON data (finite numbers, bounded nesting):
rows written by an older version, an import file or a hand in devtools are
reported as :class:`BrokenRecord` instead of crashing the runner later, and a
task that was read can always be written and exported again as valid JSON.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import operator
from dataclasses import dataclass, field
from typing import Any

from .constants import MAX_PRIORITY, MAX_TIME_MS, MIN_PRIORITY, PARKED_RUN_AT
from .jsondata import JSONValue, NotJSONData, check_json_data
from .task_meta import TaskMeta, check_meta


class TaskStatus(enum.StrEnum):
    """Where a task is in its life.

    ``waiting`` waits for its dependencies to complete (``depends_on``);
    ``scheduled`` waits for its ``run_at``; ``pending`` is due and claimable;
    ``processing`` is held by a runner's lease; the last three are final.
    """

    WAITING = "waiting"
    SCHEDULED = "scheduled"
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True for the final statuses, which no runner changes any more."""
        return self in _FINISHED


_FINISHED = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED})
MAX_KEY_CHARS = 512
"""The longest task id or unique key."""

MAX_SEQ = 2**53 - 1
"""The largest enqueue sequence number: ``Number.MAX_SAFE_INTEGER`` (larger ints reach JavaScript as BigInt)."""

MAX_DEPENDENCIES = 100
"""The most tasks one task may depend on."""

LIVE_STATUSES = (TaskStatus.WAITING, TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.PROCESSING)
FINISHED_STATUSES = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class AttemptError:
    """The error of one failed attempt, kept for every attempt (not only the last)."""

    attempt: int
    at: float
    error: str
    traceback: str = ""

    def to_record(self) -> dict[str, JSONValue]:
        return {"attempt": self.attempt, "at": self.at, "error": self.error, "traceback": self.traceback}


@dataclass(frozen=True, slots=True)
class Task:
    """One task as stored. Times are epoch milliseconds."""

    id: str
    type: str
    payload: dict[str, JSONValue]
    status: TaskStatus
    priority: int
    seq: int
    run_at: float
    attempts: int
    max_attempts: int
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
    errors: tuple[AttemptError, ...] = ()
    result: JSONValue = None
    unique_key: str | None = None
    cancel_requested: bool = False
    progress: JSONValue = None
    parked: str | None = None
    depends_on: tuple[str, ...] = ()
    """The ids of the tasks that must complete before this one runs (kept after it ran, for the page)."""
    waiting_on: tuple[str, ...] = ()
    """Those of ``depends_on`` not completed yet; a ``waiting`` task becomes due when it is empty."""
    meta: TaskMeta = field(default_factory=dict)
    """Free JSON data given at enqueue (see :mod:`pyqueue.task_meta`); kept unchanged through every change."""

    def replace(self, **changes: Any) -> Task:
        """Return a copy with *changes* applied (tasks are immutable).

        What ``dataclasses.replace`` does, at a third of its cost: every status
        change and every claimed or recorded task makes one, and a frozen
        dataclass's ``__init__`` sets each field through ``object.__setattr__``
        by name. This sets them the same way, without the call (Task has no
        ``__post_init__`` and no field outside ``__init__``). An unknown name
        raises ``TypeError``, as there.
        """
        unknown = changes.keys() - _FIELD_SET
        if unknown:
            raise TypeError(f"Task has no field {sorted(unknown)[0]!r}")
        copy = object.__new__(Task)
        for name, value in zip(_FIELD_NAMES, _field_values(self), strict=True):
            _set_field(copy, name, value)
        for name, value in changes.items():
            _set_field(copy, name, value)
        return copy

    def to_record(self) -> dict[str, JSONValue]:
        """Return the task as plain JSON data, the form every store keeps."""
        return {
            "id": self.id,
            "type": self.type,
            "payload": self.payload,
            "status": self.status.value,
            "priority": self.priority,
            "seq": self.seq,
            "run_at": self.run_at,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "lease_owner": self.lease_owner,
            "lease_until": self.lease_until,
            "errors": [e.to_record() for e in self.errors],
            "result": self.result,
            "unique_key": self.unique_key,
            "cancel_requested": self.cancel_requested,
            "progress": self.progress,
            "parked": self.parked,
            "depends_on": list(self.depends_on),
            "waiting_on": list(self.waiting_on),
            "meta": self.meta,
        }

    @classmethod
    def from_record(cls, record: object) -> Task:
        """Rebuild a task from its JSON form, raising :class:`BrokenRecord` naming what is wrong."""
        return _RecordReader(record).task()


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Task))
_FIELD_SET = frozenset(_FIELD_NAMES)
_field_values = operator.attrgetter(*_FIELD_NAMES)
_set_field = object.__setattr__  # how a frozen dataclass's own __init__ sets its fields


class BrokenRecord(ValueError):
    """Raised when a stored row is not a valid task; the message names the problem."""


def _short(text: str) -> str:
    shown = repr(text[:60])
    return shown if len(text) <= 60 else shown + "..."


class _RecordReader:
    """Reads one record field by field; only shallow type checks until the JSON values, walked without recursion."""

    def __init__(self, record: object) -> None:
        self.record = record

    def task(self) -> Task:
        if not isinstance(self.record, dict):
            raise BrokenRecord(f"row is a {type(self.record).__name__}, not an object")
        r: dict[str, Any] = self.record
        status_text = self._get(r, "status", str)
        try:
            status = TaskStatus(status_text)
        except ValueError:
            raise BrokenRecord(f"unknown status {_short(status_text)}") from None
        raw_errors = self._get(r, "errors", list)
        return Task(
            id=self._key(r, "id"),
            type=self._key(r, "type"),
            payload=self._json(r, "payload", self._get(r, "payload", dict)),
            status=status,
            priority=self._int(r, "priority", MIN_PRIORITY, MAX_PRIORITY),
            seq=self._int(r, "seq", 0, MAX_SEQ),
            run_at=self._time(r, "run_at"),
            attempts=self._int(r, "attempts", 0, MAX_SEQ),
            max_attempts=self._int(r, "max_attempts", 0, MAX_SEQ),
            created_at=self._time(r, "created_at"),
            started_at=self._optional_time(r, "started_at"),
            finished_at=self._optional_time(r, "finished_at"),
            lease_owner=self._optional(r, "lease_owner", str),
            lease_until=self._optional_time(r, "lease_until"),
            errors=tuple(self._attempt_error(e, i) for i, e in enumerate(raw_errors)),
            result=self._json(r, "result", r.get("result")),
            unique_key=None if r.get("unique_key") is None else self._key(r, "unique_key"),
            cancel_requested=self._flag(r, "cancel_requested"),
            progress=self._json(r, "progress", r.get("progress")),
            parked=self._optional(r, "parked", str),
            depends_on=self._ids(r, "depends_on"),
            waiting_on=self._ids(r, "waiting_on"),
            meta=self._meta(r),
        )

    @staticmethod
    def _meta(r: dict[str, Any]) -> TaskMeta:
        """The task's meta; absent (a record from before meta existed) reads as none."""
        if r.get("meta") is None:
            return {}
        try:
            return check_meta(r["meta"])
        except NotJSONData as e:
            raise BrokenRecord(f"field 'meta' is not valid: {e}") from None

    def _ids(self, r: dict[str, Any], name: str) -> tuple[str, ...]:
        """A list of task ids; absent (a record from before dependencies existed) reads as none."""
        if r.get(name) is None:
            return ()
        values: list[Any] = self._get(r, name, list)
        if len(values) > MAX_DEPENDENCIES:
            raise BrokenRecord(f"field {name!r} should hold at most {MAX_DEPENDENCIES} ids, got {len(values)}")
        for value in values:
            if not isinstance(value, str) or not 0 < len(value) <= MAX_KEY_CHARS:
                raise BrokenRecord(f"field {name!r} should hold task ids (text of 1 to {MAX_KEY_CHARS} characters)")
        return tuple(values)

    def _key(self, r: dict[str, Any], name: str) -> str:
        value: str = self._get(r, name, str)
        if not 0 < len(value) <= MAX_KEY_CHARS:
            raise BrokenRecord(f"field {name!r} should be 1 to {MAX_KEY_CHARS} characters, got {len(value)}")
        return value

    def _int(self, r: dict[str, Any], name: str, low: int, high: int) -> int:
        value: int = self._get(r, name, int)
        if not low <= value <= high:
            shown = str(value) if value.bit_length() <= 64 else f"an integer of {value.bit_length()} bits"
            raise BrokenRecord(f"field {name!r} should be from {low} to {high}, got {shown}")
        return value

    @staticmethod
    def _json(r: dict[str, Any], name: str, value: Any) -> Any:
        try:
            check_json_data(value, name)
        except NotJSONData as e:
            raise BrokenRecord(f"field {name!r} is not JSON data: {e}") from None
        return value

    def _get(self, r: dict[str, Any], name: str, kind: type) -> Any:
        if name not in r:
            raise BrokenRecord(f"field {name!r} is missing")
        value = r[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise BrokenRecord(f"field {name!r} should be {kind.__name__}, got {type(value).__name__}")
        return value

    def _optional(self, r: dict[str, Any], name: str, kind: type) -> Any:
        if r.get(name) is None:
            return None
        return self._get(r, name, kind)

    def _time(self, r: dict[str, Any], name: str) -> float:
        if name not in r:
            raise BrokenRecord(f"field {name!r} is missing")
        value = r[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BrokenRecord(f"field {name!r} should be a time in milliseconds, got {type(value).__name__}")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise BrokenRecord(f"field {name!r} should be a finite time in milliseconds, got {number!r}")
        if not -MAX_TIME_MS <= number <= PARKED_RUN_AT:
            raise BrokenRecord(f"field {name!r} should be a time from {-MAX_TIME_MS:g} to {PARKED_RUN_AT:g} ms")
        return number

    def _flag(self, r: dict[str, Any], name: str) -> bool:
        value = r.get(name, False)
        if not isinstance(value, bool):
            raise BrokenRecord(f"field {name!r} should be true or false, got {type(value).__name__}")
        return value

    def _optional_time(self, r: dict[str, Any], name: str) -> float | None:
        return None if r.get(name) is None else self._time(r, name)

    def _attempt_error(self, raw: object, index: int) -> AttemptError:
        if not isinstance(raw, dict):
            raise BrokenRecord(f"errors[{index}] is not an object")
        try:
            error, trace = raw["error"], raw.get("traceback", "")
            if not isinstance(error, str) or not isinstance(trace, str):
                raise TypeError("'error' and 'traceback' should be text")
            at = float(raw["at"])
            if not math.isfinite(at):
                raise ValueError(f"'at' is {at!r}")
            return AttemptError(attempt=int(raw["attempt"]), at=at, error=error, traceback=trace)
        except (KeyError, TypeError, ValueError, OverflowError) as e:
            raise BrokenRecord(f"errors[{index}] is malformed: {e}") from None

"""The task record: one immutable value per task, and its plain-JSON form for storage.

Stores keep the JSON form (``Task.to_record``) and rebuild tasks with
``Task.from_record``, which checks every field: rows written by an older
version or by hand are reported as :class:`BrokenRecord` instead of crashing
the runner somewhere later.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from dataclasses import dataclass
from typing import Any

from .jsondata import JSONValue


class TaskStatus(enum.StrEnum):
    """Where a task is in its life.

    ``scheduled`` waits for its ``run_at``; ``pending`` is due and claimable;
    ``processing`` is held by a runner's lease; the last three are final.
    """

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
LIVE_STATUSES = (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.PROCESSING)
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

    def replace(self, **changes: Any) -> Task:
        """Return a copy with *changes* applied (tasks are immutable)."""
        return dataclasses.replace(self, **changes)

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
        }

    @classmethod
    def from_record(cls, record: object) -> Task:
        """Rebuild a task from its JSON form, raising :class:`BrokenRecord` naming what is wrong."""
        return _RecordReader(record).task()


class BrokenRecord(ValueError):
    """Raised when a stored row is not a valid task; the message names the problem."""


class _RecordReader:
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
            raise BrokenRecord(f"unknown status {status_text!r}") from None
        raw_errors = self._get(r, "errors", list)
        return Task(
            id=self._get(r, "id", str),
            type=self._get(r, "type", str),
            payload=self._get(r, "payload", dict),
            status=status,
            priority=self._get(r, "priority", int),
            seq=self._get(r, "seq", int),
            run_at=self._time(r, "run_at"),
            attempts=self._get(r, "attempts", int),
            max_attempts=self._get(r, "max_attempts", int),
            created_at=self._time(r, "created_at"),
            started_at=self._optional_time(r, "started_at"),
            finished_at=self._optional_time(r, "finished_at"),
            lease_owner=self._optional(r, "lease_owner", str),
            lease_until=self._optional_time(r, "lease_until"),
            errors=tuple(self._attempt_error(e, i) for i, e in enumerate(raw_errors)),
            result=r.get("result"),
            unique_key=self._optional(r, "unique_key", str),
            cancel_requested=self._flag(r, "cancel_requested"),
            progress=r.get("progress"),
            parked=self._optional(r, "parked", str),
        )

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
            return AttemptError(
                attempt=int(raw["attempt"]),
                at=float(raw["at"]),
                error=str(raw["error"]),
                traceback=str(raw.get("traceback", "")),
            )
        except (KeyError, TypeError, ValueError, OverflowError) as e:
            raise BrokenRecord(f"errors[{index}] is malformed: {e}") from None

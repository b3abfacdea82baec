"""What runs when: the schedules of periodic tasks, and their declarations on the registry.

A schedule names the times (epoch ms) at which its slots start: :class:`Every`
for a fixed interval, :class:`~pyqueue.cron.Cron` for a cron expression. The
scheduling itself (enqueueing each slot once) is in :mod:`pyqueue.periodic`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Protocol

from .errors import InvalidOption


class Schedule(Protocol):
    """When the slots of a periodic task start (epoch ms)."""

    def latest_at_or_before(self, now: float) -> float | None:
        """The start of the slot in progress at *now*, or ``None`` if no slot has started."""
        ...

    def next_after(self, now: float) -> float:
        """The start of the first slot after *now*."""
        ...


@dataclass(frozen=True, slots=True)
class Every:
    """Slots of a fixed length, aligned to the epoch (so every tab cuts time the same way)."""

    ms: float

    def __post_init__(self) -> None:
        if isinstance(self.ms, bool) or not isinstance(self.ms, (int, float)) or not math.isfinite(self.ms):
            raise InvalidOption("every_ms", self.ms, "must be a number of milliseconds")
        if self.ms < 1:
            raise InvalidOption("every_ms", self.ms, "must be at least 1 ms")

    def latest_at_or_before(self, now: float) -> float:
        return math.floor(now / self.ms) * self.ms

    def next_after(self, now: float) -> float:
        return self.latest_at_or_before(now) + self.ms


@dataclass(frozen=True, slots=True)
class Slot:
    """The default payload of a periodic task: which slot this run is for."""

    start: float
    """The slot's start, epoch ms."""


PayloadFor = Callable[[float], object]
"""``payload(slot_start)``: builds one slot's payload, for handlers that need more than :class:`Slot`."""


@dataclass(frozen=True, slots=True)
class PeriodicTask:
    """A task type that runs once per slot of its schedule."""

    type: str
    schedule: Schedule
    payload: object = None
    """``None`` for a :class:`Slot`, a dataclass instance sent every time, or a :data:`PayloadFor`."""

    def key(self, start: float) -> str:
        """The unique key of the slot starting at *start*: the same in every tab."""
        return f"periodic:{self.type}:{start:.0f}"

    def payload_for(self, start: float) -> object:
        if self.payload is None:
            return Slot(start)
        if callable(self.payload):
            return self.payload(start)
        return self.payload


def schedule_of(*, every_ms: float | None = None, cron: str | None = None, tz: tzinfo | None = None) -> Schedule:
    """The schedule named by exactly one of *every_ms* and *cron* (with its time zone *tz*)."""
    if (every_ms is None) == (cron is None):
        raise InvalidOption("schedule", (every_ms, cron), "give exactly one of every_ms and cron")
    if every_ms is not None:
        return Every(every_ms)
    if tz is not None and not isinstance(tz, tzinfo):
        raise InvalidOption("tz", tz, "must be a datetime.tzinfo, or None for the local time zone")
    from .cron import Cron  # on first use: a page whose schedules are all intervals starts without it

    return Cron.parse(cron or "", tz=tz)

"""Limits per task type, decided once for both stores: how many a runner runs at once, how many start per window.

A :class:`RateLimit` is declared on the registry and holds across every tab of
the origin: the start times of a type's recent tasks are kept in the store and
read and written inside the claim's atomic step (for IndexedDB, the claim's
transaction), so two tabs can never start more than the limit between them.
The window slides: at most ``starts`` tasks start in *any* ``per_ms``
milliseconds, so a burst at the end of one window and another at the start of
the next cannot double the rate.

A task held back by a limit stays pending. A claim returns ``next_due`` no later
than when a rate-held type may start again, so the runner sleeps until then;
a type held by the runner's own per-type concurrency frees a slot when one of
its tasks finishes, which wakes the runner anyway.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import InvalidOption
from .jsondata import NotJSONData
from .task import Task
from .untrusted import loads

MAX_RATE_STARTS = 10_000
"""The most starts one rate limit may allow per window (each start time is kept for one window)."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most *starts* tasks of one type start in any *per_ms* milliseconds, across all tabs."""

    starts: int
    per_ms: float

    def __post_init__(self) -> None:
        if isinstance(self.starts, bool) or not isinstance(self.starts, int) or not 1 <= self.starts <= MAX_RATE_STARTS:
            raise InvalidOption("rate_limit", self.starts, f"starts must be an integer from 1 to {MAX_RATE_STARTS}")
        per = self.per_ms
        if isinstance(per, bool) or not isinstance(per, (int, float)) or not (math.isfinite(per) and per > 0):
            raise InvalidOption("rate_limit", per, "per_ms must be a positive number of milliseconds")

    @classmethod
    def of(cls, value: RateLimit | tuple[int, float]) -> RateLimit:
        """A rate limit from itself or a ``(starts, per_ms)`` pair."""
        if isinstance(value, RateLimit):
            return value
        if not isinstance(value, tuple) or len(value) != 2:
            raise InvalidOption("rate_limit", value, "must be a RateLimit or a (starts, per_ms) pair")
        return cls(*value)


@dataclass(frozen=True, slots=True)
class ClaimLimits:
    """The per-type limits one claim respects: *rates* shared by all tabs, *caps* of this runner's free slots."""

    rates: Mapping[str, RateLimit] = field(default_factory=dict)
    caps: Mapping[str, int] = field(default_factory=dict)
    """How many more tasks of a type this claim may take (0: none)."""


def rate_key(task_type: str) -> str:
    """Where a type's recent start times are kept in the store's metadata."""
    return f"rate:{task_type}"


def read_starts(stored: object, rate: RateLimit, now: float) -> list[float]:
    """The start times in the window that ends at *now*, or later, from a stored value (untrusted: junk reads as none).

    A start later than *now* counts: a runner reads the time before its claim
    waits for another tab's transaction, so the claim that ran first may have
    recorded a later time. Counting every start after ``now - per_ms`` keeps
    the limit whatever order the claims' times come in.
    """
    try:
        values = loads(stored, what="rate limit state", max_depth=1)
    except NotJSONData:
        return []
    if not isinstance(values, list):
        return []
    times = sorted(
        float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    )
    return [t for t in times if now - rate.per_ms < t][-rate.starts :]


def write_starts(starts: list[float]) -> str:
    """The stored form of a type's recent start times."""
    return json.dumps(starts)


class Allowance:
    """What one claim may still take per type, given the *starts* read from the store; updated as it takes."""

    def __init__(self, limits: ClaimLimits, starts: Mapping[str, list[float]], *, now: float, limit: int) -> None:
        self.limits = limits
        self.now = now
        self.limit = limit
        self.starts = {name: list(starts.get(name, [])) for name in limits.rates}
        self.taken: dict[str, int] = {}

    def left(self, task_type: str) -> int:
        """How many tasks of *task_type* this claim may still take."""
        left = self.limit - sum(self.taken.values())
        if task_type in self.limits.caps:
            left = min(left, self.limits.caps[task_type] - self.taken.get(task_type, 0))
        rate = self.limits.rates.get(task_type)
        if rate is not None:
            left = min(left, rate.starts - len(self.starts[task_type]))
        return max(0, left)

    def choose(self, candidates: Iterable[Task]) -> list[Task]:
        """The tasks to take from *candidates* (in claim order), skipping the types held by a limit."""
        chosen: list[Task] = []
        for task in candidates:
            if self.left(task.type) > 0:
                chosen.append(task)
                self.taken[task.type] = self.taken.get(task.type, 0) + 1
                if task.type in self.starts:
                    self.starts[task.type] = sorted([*self.starts[task.type], self.now])
        return chosen

    def changed(self) -> dict[str, list[float]]:
        """The start times to store again: those of every rate-limited type that started a task now."""
        return {name: times for name, times in self.starts.items() if self.taken.get(name)}

    def held_until(self, waiting_types: Iterable[str]) -> float | None:
        """When the earliest of *waiting_types* (types with tasks left pending) held by its rate may start again."""
        frees = [
            self.starts[name][-rate.starts] + rate.per_ms
            for name in set(waiting_types)
            if (rate := self.limits.rates.get(name)) is not None and len(self.starts[name]) >= rate.starts
        ]
        return min(frees, default=None)

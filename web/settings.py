"""Page settings, read from the URL's query string so tests and demos can shorten the timings.

Example: ``index.html?lease_ms=2000&hidden_grace_ms=300&backoff_ms=100&decay_ms=2000&pace_ms=0``.

``runner=page`` runs the tasks on the page's main thread; by default
(``runner=worker``) they run in a dedicated Web Worker, so a long handler
never freezes the page.

The page reads its query with the browser's ``URLSearchParams``
(:func:`query_values`) and the worker gets the same values from the page, so
neither imports ``urllib.parse`` (and what it pulls in) while it starts.

A link is untrusted input: anyone can send one, and it acts as soon as it is
opened. So every setting has a range (:data:`RANGES`). A value outside it is
clamped to the nearest bound, a value that is not a finite number keeps the
default, and either way the page says so (``Settings.notes``, shown above the
dashboard): ``?concurrency=1e300`` runs 16 slots, ``?lease_ms=1e300`` holds a
lease 10 minutes, not for ever.

Retention is the one setting that deletes, so a link cannot shorten it on its
own. Keep-times at or above the defaults (24 h completed and cancelled, 7 days
failed) apply as given: keeping longer deletes nothing. Shorter ones are only
*offered* (``Settings.retention_offer``): the Retention card says what the link
asks for, and the default policy stays in force until the person clicks "Use
these keep-times" there (:class:`~web.ui.retention_offer.RetentionOffer`). So
``?keep_completed_ms=0&keep_failed_ms=0&keep_cancelled_ms=0`` deletes nothing
on open.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pyqueue.constants import DB_NAME, DEFAULT_LEASE_MS
from pyqueue.retention import DAY_MS, RetentionPolicy
from pyqueue.visibility import DEFAULT_HIDDEN_GRACE_MS

from .memory.tasks import MemoryConfig

SECOND = 1_000.0
MINUTE = 60 * SECOND
YEAR = 365 * DAY_MS
MAX_BUCKETS = 500
"""The chart draws at most this many buckets (window / bucket): more would stall every render."""
MAX_DB_NAME = 100
RUNNERS = ("worker", "page")
"""Where the tasks run (``?runner=``): the first is the default."""


@dataclass(frozen=True, slots=True)
class Range:
    """The values a setting accepts, both ends included."""

    low: float
    high: float
    integer: bool = False
    ms: bool = True
    """A time in milliseconds (shown as such), or a plain number."""

    def show(self, value: float) -> str:
        if not self.ms:
            return f"{value:g}"
        if value < SECOND:
            return f"{value:g} ms"
        from pyqueue.browser.dashboard.formatting import format_age  # only for a note: the dashboard loads later

        return format_age(value)


RANGES: dict[str, Range] = {
    "lease_ms": Range(1 * SECOND, 10 * MINUTE),
    "hidden_grace_ms": Range(100, 60 * MINUTE),
    "backoff_ms": Range(10, 60 * MINUTE),
    "concurrency": Range(1, 16, integer=True, ms=False),
    "pace_ms": Range(0, 10 * SECOND),
    "decay_ms": Range(1 * SECOND, DAY_MS),
    "dormancy_ms": Range(1 * SECOND, DAY_MS),
    "stale_ms": Range(0, YEAR),
    "dormant_ms": Range(0, YEAR),
    "decay_factor": Range(0.5, 1.0, ms=False),
    "keep_completed_ms": Range(0, 10 * YEAR),
    "keep_failed_ms": Range(0, 10 * YEAR),
    "keep_cancelled_ms": Range(0, 10 * YEAR),
    "retention_every_ms": Range(1 * SECOND, DAY_MS),
    "chart_window_ms": Range(10 * SECOND, 7 * DAY_MS),
    "chart_bucket_ms": Range(100, DAY_MS),
    "dashboard_every_ms": Range(100, 1 * MINUTE),
}
"""Every numeric query-string setting and its range."""


@dataclass(frozen=True, slots=True)
class Settings:
    db_name: str = DB_NAME
    lease_ms: float = DEFAULT_LEASE_MS
    hidden_grace_ms: float = DEFAULT_HIDDEN_GRACE_MS
    backoff_ms: float = 1_000.0
    concurrency: int = 1
    autostart: bool = True
    runner: str = RUNNERS[0]
    """``worker`` or ``page``: see the module docstring."""
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    retention_offer: RetentionPolicy | None = None
    """Keep-times from the link shorter than the defaults: applied only when the person confirms on the page."""
    retention_every_ms: float = 60_000.0
    chart_window_ms: float = 5 * 60_000.0
    chart_bucket_ms: float = 10_000.0
    dashboard_every_ms: float = 2_000.0
    notes: tuple[str, ...] = ()
    """What the page did with settings it could not take as given, in words (shown on the page)."""
    _values: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def memory_db_name(self) -> str:
        """The memory lives in its own database next to the queue's."""
        return f"{self.db_name}-memory"

    @property
    def values(self) -> dict[str, str]:
        """What :meth:`from_values` read these settings from (the worker reads its settings from them too)."""
        return dict(self._values)

    @classmethod
    def from_query(cls, query: str) -> Settings:
        """Read known keys from a query string (``?a=1&b=2``); the page uses :func:`query_values` instead."""
        from urllib.parse import parse_qsl

        return cls.from_values(dict(parse_qsl(query.lstrip("?"))))

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> Settings:
        """Read known keys (the last value of each), each within its range (see the module docstring)."""
        base = cls()
        mem = base.memory
        notes: list[str] = []
        number = _reader(values, notes)
        db_name = values.get("db", "") or base.db_name
        if len(db_name) > MAX_DB_NAME:
            notes.append(f"db: a name longer than {MAX_DB_NAME} characters is ignored; using {base.db_name!r}.")
            db_name = base.db_name
        window = number("chart_window_ms", base.chart_window_ms)
        bucket = number("chart_bucket_ms", base.chart_bucket_ms)
        if bucket < window / MAX_BUCKETS:
            bucket = window / MAX_BUCKETS
            shown = RANGES["chart_bucket_ms"].show(bucket)
            notes.append(f"chart_bucket_ms: at most {MAX_BUCKETS} bars per chart; using {shown}.")
        asked = RetentionPolicy(
            completed_ms=number("keep_completed_ms", base.retention.completed_ms),
            failed_ms=number("keep_failed_ms", base.retention.failed_ms),
            cancelled_ms=number("keep_cancelled_ms", base.retention.cancelled_ms),
        )
        kept, offer = _retention(asked, base.retention)
        if offer is not None:
            notes.append("keep_*_ms: this link asks to delete finished tasks sooner; see Retention to accept.")
        return cls(
            db_name=db_name,
            lease_ms=number("lease_ms", base.lease_ms),
            hidden_grace_ms=number("hidden_grace_ms", base.hidden_grace_ms),
            backoff_ms=number("backoff_ms", base.backoff_ms),
            concurrency=int(number("concurrency", base.concurrency)),
            autostart=values.get("autostart", "1") != "0",
            runner=_runner(values, notes),
            memory=MemoryConfig(
                pace_ms=number("pace_ms", mem.pace_ms),
                decay_every_ms=number("decay_ms", mem.decay_every_ms),
                dormancy_every_ms=number("dormancy_ms", mem.dormancy_every_ms),
                stale_after_ms=number("stale_ms", mem.stale_after_ms),
                dormant_after_ms=number("dormant_ms", mem.dormant_after_ms),
                decay_factor=number("decay_factor", mem.decay_factor),
                periodic=values.get("periodic", "1") != "0",
            ),
            retention=kept,
            retention_offer=offer,
            retention_every_ms=number("retention_every_ms", base.retention_every_ms),
            chart_window_ms=window,
            chart_bucket_ms=bucket,
            dashboard_every_ms=number("dashboard_every_ms", base.dashboard_every_ms),
            notes=tuple(notes),
            _values=dict(values),
        )


def _reader(values: Mapping[str, str], notes: list[str]) -> Callable[[str, float], float]:
    """``number(key, default)``: the setting *key* from *values* within its range, noting in *notes* what changed."""

    def number(key: str, default: float) -> float:
        if key not in values:
            return default
        allowed = RANGES[key]
        try:
            value = float(values[key])
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            notes.append(
                f"{key}={values[key][:40]!r} is not a finite number; using the default {allowed.show(default)}."
            )
            return default
        if allowed.integer and not value.is_integer():
            value = float(round(value))
            notes.append(f"{key} takes whole numbers; using {allowed.show(value)}.")
        if not allowed.low <= value <= allowed.high:
            clamped = min(max(value, allowed.low), allowed.high)
            notes.append(
                f"{key}={values[key][:40]} is outside {allowed.show(allowed.low)}..{allowed.show(allowed.high)}; "
                f"using {allowed.show(clamped)}."
            )
            return clamped
        return value

    return number


def _retention(asked: RetentionPolicy, default: RetentionPolicy) -> tuple[RetentionPolicy, RetentionPolicy | None]:
    """The policy to apply now and the one to offer: a link may lengthen keep-times, never shorten them by itself."""
    kept = RetentionPolicy(
        completed_ms=max(asked.completed_ms, default.completed_ms),
        failed_ms=max(asked.failed_ms, default.failed_ms),
        cancelled_ms=max(asked.cancelled_ms, default.cancelled_ms),
    )
    return kept, None if kept == asked else asked


def query_values(search: object) -> dict[str, str]:
    """The keys and values of a page's ``location.search``, read by the browser (the last value of a key wins)."""
    import js  # type: ignore[import-not-found]

    return {str(key): str(value) for key, value in js.URLSearchParams.new(search).entries()}


def _runner(values: Mapping[str, str], notes: list[str]) -> str:
    asked = values.get("runner", RUNNERS[0])
    if asked not in RUNNERS:
        notes.append(f"runner={asked[:40]!r} is neither {' nor '.join(RUNNERS)}; using {RUNNERS[0]}.")
        return RUNNERS[0]
    return asked

"""Page settings, read from the URL's query string so tests and demos can shorten the timings.

Example: ``index.html?lease_ms=2000&hidden_grace_ms=300&backoff_ms=100&decay_ms=2000&pace_ms=0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

from pyqueue.constants import DB_NAME, DEFAULT_LEASE_MS
from pyqueue.retention import DAY_MS, RetentionPolicy
from pyqueue.visibility import DEFAULT_HIDDEN_GRACE_MS

from .memory.tasks import MemoryConfig


@dataclass(frozen=True, slots=True)
class Settings:
    db_name: str = DB_NAME
    lease_ms: float = DEFAULT_LEASE_MS
    hidden_grace_ms: float = DEFAULT_HIDDEN_GRACE_MS
    backoff_ms: float = 1_000.0
    concurrency: int = 1
    autostart: bool = True
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    retention_every_ms: float = 60_000.0
    chart_window_ms: float = 5 * 60_000.0
    chart_bucket_ms: float = 10_000.0
    dashboard_every_ms: float = 2_000.0

    @property
    def memory_db_name(self) -> str:
        """The memory lives in its own database next to the queue's."""
        return f"{self.db_name}-memory"

    @classmethod
    def from_query(cls, query: str) -> Settings:
        """Read known keys from a query string (``?a=1&b=2``); unknown or malformed values keep the default."""
        values = {k: v[-1] for k, v in parse_qs(query.lstrip("?")).items()}
        base = cls()
        mem = base.memory
        keep = base.retention

        def number(key: str, default: float, *, zero_ok: bool = False) -> float:
            try:
                value = float(values[key])
            except (KeyError, ValueError):
                return default
            if value != value or value in (float("inf"), float("-inf")):
                return default
            return value if value > 0 or (zero_ok and value == 0) else default

        return cls(
            db_name=values.get("db", base.db_name) or base.db_name,
            lease_ms=number("lease_ms", base.lease_ms),
            hidden_grace_ms=number("hidden_grace_ms", base.hidden_grace_ms),
            backoff_ms=number("backoff_ms", base.backoff_ms),
            concurrency=int(number("concurrency", base.concurrency)),
            autostart=values.get("autostart", "1") != "0",
            memory=MemoryConfig(
                pace_ms=number("pace_ms", mem.pace_ms, zero_ok=True),
                decay_every_ms=number("decay_ms", mem.decay_every_ms),
                dormancy_every_ms=number("dormancy_ms", mem.dormancy_every_ms),
                stale_after_ms=number("stale_ms", mem.stale_after_ms, zero_ok=True),
                dormant_after_ms=number("dormant_ms", mem.dormant_after_ms, zero_ok=True),
                decay_factor=min(1.0, number("decay_factor", mem.decay_factor)),
                periodic=values.get("periodic", "1") != "0",
            ),
            retention=RetentionPolicy(
                completed_ms=number("keep_completed_ms", keep.completed_ms, zero_ok=True),
                failed_ms=number("keep_failed_ms", keep.failed_ms, zero_ok=True),
                cancelled_ms=number("keep_cancelled_ms", keep.cancelled_ms, zero_ok=True),
            ),
            retention_every_ms=number("retention_every_ms", base.retention_every_ms),
            chart_window_ms=min(number("chart_window_ms", base.chart_window_ms), 7 * DAY_MS),
            chart_bucket_ms=number("chart_bucket_ms", base.chart_bucket_ms),
            dashboard_every_ms=number("dashboard_every_ms", base.dashboard_every_ms),
        )

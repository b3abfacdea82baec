"""Page settings, read from the URL's query string so tests and demos can shorten the timings.

Example: ``index.html?lease_ms=2000&hidden_grace_ms=300&backoff_ms=100``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from pyqueue.constants import DB_NAME, DEFAULT_LEASE_MS
from pyqueue.visibility import DEFAULT_HIDDEN_GRACE_MS


@dataclass(frozen=True, slots=True)
class Settings:
    db_name: str = DB_NAME
    lease_ms: float = DEFAULT_LEASE_MS
    hidden_grace_ms: float = DEFAULT_HIDDEN_GRACE_MS
    backoff_ms: float = 1_000.0
    concurrency: int = 1
    autostart: bool = True

    @classmethod
    def from_query(cls, query: str) -> Settings:
        """Read known keys from a query string (``?a=1&b=2``); unknown or malformed values keep the default."""
        values = {k: v[-1] for k, v in parse_qs(query.lstrip("?")).items()}
        base = cls()

        def number(key: str, default: float) -> float:
            try:
                value = float(values[key])
            except (KeyError, ValueError):
                return default
            return value if value > 0 else default

        return cls(
            db_name=values.get("db", base.db_name) or base.db_name,
            lease_ms=number("lease_ms", base.lease_ms),
            hidden_grace_ms=number("hidden_grace_ms", base.hidden_grace_ms),
            backoff_ms=number("backoff_ms", base.backoff_ms),
            concurrency=int(number("concurrency", base.concurrency)),
            autostart=values.get("autostart", "1") != "0",
        )

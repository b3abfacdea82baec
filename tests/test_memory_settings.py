"""The page's settings, read from its query string."""

from __future__ import annotations

from pyqueue.retention import DAY_MS
from web.settings import Settings


def test_defaults_are_the_reference_designs() -> None:
    s = Settings.from_query("")
    assert s.retention.completed_ms == DAY_MS and s.retention.failed_ms == 7 * DAY_MS
    assert s.memory.periodic and s.memory.decay_every_ms == 60_000 and s.memory_db_name == "pyqueue-memory"


def test_known_keys_are_read_and_bad_values_keep_the_default() -> None:
    query = "?db=x&decay_ms=2000&pace_ms=0&keep_failed_ms=1000&periodic=0&lease_ms=-5&chart_bucket_ms=nan"
    s = Settings.from_query(query)
    assert s.db_name == "x" and s.memory_db_name == "x-memory"
    assert s.memory.decay_every_ms == 2000 and s.memory.pace_ms == 0 and not s.memory.periodic
    assert s.retention.failed_ms == 1000 and s.retention.completed_ms == DAY_MS
    assert s.lease_ms == Settings().lease_ms and s.chart_bucket_ms == Settings().chart_bucket_ms

"""The page's settings, read from its query string."""

from __future__ import annotations

import pytest

from pyqueue.retention import DAY_MS, RetentionPolicy
from web.settings import MAX_BUCKETS, RANGES, Settings


def test_defaults_are_the_reference_designs() -> None:
    s = Settings.from_query("")
    assert s.retention.completed_ms == DAY_MS and s.retention.failed_ms == 7 * DAY_MS
    assert s.memory.periodic and s.memory.decay_every_ms == 60_000 and s.memory_db_name == "pyqueue-memory"


def test_known_keys_are_read_and_values_that_are_not_numbers_keep_the_default() -> None:
    query = "?db=x&decay_ms=2000&pace_ms=0&periodic=0&lease_ms=soon&chart_bucket_ms=nan&backoff_ms=inf"
    s = Settings.from_query(query)
    assert s.db_name == "x" and s.memory_db_name == "x-memory"
    assert s.memory.decay_every_ms == 2000 and s.memory.pace_ms == 0 and not s.memory.periodic
    assert s.lease_ms == Settings().lease_ms and s.chart_bucket_ms == Settings().chart_bucket_ms
    assert s.backoff_ms == Settings().backoff_ms
    assert sorted(s.notes) == [
        "backoff_ms='inf' is not a finite number; using the default 1 s.",
        "chart_bucket_ms='nan' is not a finite number; using the default 10 s.",
        "lease_ms='soon' is not a finite number; using the default 30 s.",
    ]


def test_a_plain_link_has_no_notes_and_the_defaults() -> None:
    assert Settings.from_query("") == Settings()
    assert Settings.from_query("?lease_ms=1500&periodic=0").notes == ()


@pytest.mark.parametrize(
    ("query", "attribute", "expected", "note"),
    [
        ("concurrency=1e300", "concurrency", 16, "concurrency=1e300 is outside 1..16; using 16."),
        ("concurrency=0", "concurrency", 1, "concurrency=0 is outside 1..16; using 1."),
        ("concurrency=2.6", "concurrency", 3, "concurrency takes whole numbers; using 3."),
        ("lease_ms=1e300", "lease_ms", 600_000, "lease_ms=1e300 is outside 1 s..10 min; using 10 min."),
        ("lease_ms=-5", "lease_ms", 1_000, "lease_ms=-5 is outside 1 s..10 min; using 1 s."),
        ("hidden_grace_ms=0", "hidden_grace_ms", 100, "hidden_grace_ms=0 is outside 100 ms..1 h; using 100 ms."),
        ("dashboard_every_ms=1", "dashboard_every_ms", 100, "using 100 ms"),
        ("retention_every_ms=1e9", "retention_every_ms", DAY_MS, "using 24 h"),
        ("chart_window_ms=1e15&chart_bucket_ms=3600000", "chart_window_ms", 7 * DAY_MS, "using 7 days"),
    ],
)
def test_a_setting_outside_its_range_is_clamped_and_the_page_says_so(
    query: str, attribute: str, expected: float, note: str
) -> None:
    s = Settings.from_query(query)
    assert getattr(s, attribute) == expected
    assert isinstance(s.concurrency, int)
    (said,) = s.notes
    assert note in said


def test_every_memory_timing_has_a_range_too() -> None:
    s = Settings.from_query("decay_factor=0.01&pace_ms=1e9&decay_ms=1&stale_ms=-1&dormancy_ms=1e300")
    m = s.memory
    assert (m.decay_factor, m.pace_ms, m.decay_every_ms, m.stale_after_ms) == (0.5, 10_000, 1_000, 0)
    assert m.dormancy_every_ms == DAY_MS and len(s.notes) == 5


def test_every_numeric_setting_has_a_range_with_the_default_inside() -> None:
    s = Settings()
    defaults = {
        "lease_ms": s.lease_ms,
        "hidden_grace_ms": s.hidden_grace_ms,
        "backoff_ms": s.backoff_ms,
        "concurrency": s.concurrency,
        "pace_ms": s.memory.pace_ms,
        "decay_ms": s.memory.decay_every_ms,
        "dormancy_ms": s.memory.dormancy_every_ms,
        "stale_ms": s.memory.stale_after_ms,
        "dormant_ms": s.memory.dormant_after_ms,
        "decay_factor": s.memory.decay_factor,
        "keep_completed_ms": s.retention.completed_ms,
        "keep_failed_ms": s.retention.failed_ms,
        "keep_cancelled_ms": s.retention.cancelled_ms,
        "retention_every_ms": s.retention_every_ms,
        "chart_window_ms": s.chart_window_ms,
        "chart_bucket_ms": s.chart_bucket_ms,
        "dashboard_every_ms": s.dashboard_every_ms,
    }
    assert set(defaults) == set(RANGES)
    for key, value in defaults.items():
        assert RANGES[key].low <= value <= RANGES[key].high, key


def test_the_chart_never_draws_more_than_its_bar_limit() -> None:
    s = Settings.from_query("chart_window_ms=604800000&chart_bucket_ms=100")
    assert s.chart_window_ms / s.chart_bucket_ms == MAX_BUCKETS
    assert "at most 500 bars" in s.notes[0]


def test_a_very_long_database_name_is_ignored() -> None:
    s = Settings.from_query("db=" + "x" * 101)
    assert s.db_name == Settings().db_name and "longer than 100" in s.notes[0]


# ----------------------------------------------------------------------------- retention from a link


def test_a_link_cannot_shorten_retention_by_itself_it_only_offers_it() -> None:
    # Given a crafted link asking to keep nothing
    s = Settings.from_query("?keep_completed_ms=0&keep_failed_ms=0&keep_cancelled_ms=0")

    # Then the policy in force is the default one, and the shorter one is only offered
    assert s.retention == RetentionPolicy()
    assert s.retention_offer == RetentionPolicy(completed_ms=0, failed_ms=0, cancelled_ms=0)
    assert s.notes == ("keep_*_ms: this link asks to delete finished tasks sooner; see Retention to accept.",)


def test_a_link_may_lengthen_retention_and_a_partly_shorter_one_is_offered_whole() -> None:
    longer = Settings.from_query("keep_completed_ms=172800000&keep_failed_ms=1e11")
    assert longer.retention == RetentionPolicy(completed_ms=2 * DAY_MS, failed_ms=1e11)
    assert longer.retention_offer is None and longer.notes == ()

    mixed = Settings.from_query("keep_completed_ms=172800000&keep_failed_ms=1000")
    assert mixed.retention == RetentionPolicy(completed_ms=2 * DAY_MS)
    assert mixed.retention_offer == RetentionPolicy(completed_ms=2 * DAY_MS, failed_ms=1000)


def test_the_tasks_run_in_a_worker_unless_the_link_says_page() -> None:
    assert Settings.from_query("").runner == "worker"
    assert Settings.from_query("runner=page").runner == "page"
    odd = Settings.from_query("runner=gpu")
    assert odd.runner == "worker"
    assert odd.notes == ("runner='gpu' is neither worker nor page; using worker.",)


def test_the_worker_reads_the_same_settings_from_the_values_the_page_read() -> None:
    page = Settings.from_query("lease_ms=2000&pace_ms=0&db=x&runner=worker")
    assert Settings.from_values(page.values) == page

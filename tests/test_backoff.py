from __future__ import annotations

import random

import pytest

from pyqueue.backoff import exponential_backoff, full_jitter


def test_exponential_backoff_doubles_from_the_base_and_stops_at_the_cap() -> None:
    delays = [exponential_backoff(n, base_ms=1_000, max_ms=10_000, jitter=None) for n in range(1, 7)]
    assert delays == [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]


def test_full_jitter_stays_between_half_and_the_whole_delay() -> None:
    random.seed(7)
    samples = [full_jitter(1_000) for _ in range(500)]
    assert all(500 <= s <= 1_000 for s in samples)
    assert max(samples) - min(samples) > 300  # it really spreads


def test_backoff_rejects_attempt_numbers_below_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        exponential_backoff(0)

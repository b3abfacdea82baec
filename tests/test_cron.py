"""Cron expressions: parsing, matching, and the next and latest slot, on UTC, fixed-offset and local clocks."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta, timezone

import pytest

from pyqueue import Cron, InvalidOption


def ms(*args: int, tz: timezone = UTC) -> float:
    return datetime(*args, tzinfo=tz).timestamp() * 1000.0


def test_fields_take_stars_ranges_steps_lists_and_names() -> None:
    cron = Cron.parse("*/15 9-17/4 1,15 jan-mar,dec mon-fri")
    assert cron.minutes == {0, 15, 30, 45} and cron.hours == {9, 13, 17}
    assert cron.days == {1, 15} and cron.months == {1, 2, 3, 12} and cron.weekdays == {1, 2, 3, 4, 5}
    assert Cron.parse("5/20 * * * 7").minutes == {5, 25, 45} and Cron.parse("0 0 * * 7").weekdays == {0}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "needs five fields"),
        ("60 * * * *", "minute: '60' is outside 0-59"),
        ("* 24 * * *", "hour: '24' is outside 0-23"),
        ("* * 0 * *", "day of month: '0' is outside 1-31"),
        ("* * * foo *", "month: 'foo' is not a number"),
        ("* * * * 8", "day of week: '8' is outside 0-7"),
        ("*/0 * * * *", "minute: the step in '*/0' must be at least 1"),
        ("5-1 * * * *", "minute: the range '5-1' runs backwards"),
        ("a * * * *", "minute: 'a' is not a number"),
        ("1,,2 * * * *", "minute: '' is not a number"),
    ],
)
def test_a_bad_expression_is_refused_naming_the_field(expression: str, message: str) -> None:
    with pytest.raises(InvalidOption) as caught:
        Cron.parse(expression)
    assert message in str(caught.value) and caught.value.option == "cron"


def test_next_after_finds_the_next_matching_minute_strictly_after_now() -> None:
    daily = Cron.parse("0 9 * * *", tz=UTC)
    assert daily.next_after(ms(2026, 3, 10, 8, 59, 59)) == ms(2026, 3, 10, 9, 0)
    assert daily.next_after(ms(2026, 3, 10, 9, 0)) == ms(2026, 3, 11, 9, 0)
    assert Cron.parse("*/5 * * * *", tz=UTC).next_after(ms(2026, 3, 10, 23, 58)) == ms(2026, 3, 11, 0, 0)
    assert Cron.parse("0 0 29 2 *", tz=UTC).next_after(ms(2026, 3, 1)) == ms(2028, 2, 29)


def test_latest_at_or_before_is_the_start_of_the_slot_in_progress() -> None:
    daily = Cron.parse("30 9 * * *", tz=UTC)
    assert daily.latest_at_or_before(ms(2026, 3, 10, 9, 30)) == ms(2026, 3, 10, 9, 30)
    assert daily.latest_at_or_before(ms(2026, 3, 10, 9, 29, 59)) == ms(2026, 3, 9, 9, 30)
    assert Cron.parse("0 12 1 * *", tz=UTC).latest_at_or_before(ms(2026, 3, 1, 11)) == ms(2026, 2, 1, 12)


def test_when_both_day_fields_are_restricted_either_matches_as_in_vixie_cron() -> None:
    # 2026-03-13 is a Friday, 2026-03-15 the 15th (a Sunday)
    either = Cron.parse("0 0 15 * fri", tz=UTC)
    assert either.next_after(ms(2026, 3, 12)) == ms(2026, 3, 13)
    assert either.next_after(ms(2026, 3, 13)) == ms(2026, 3, 15)
    only_fridays = Cron.parse("0 0 * * fri", tz=UTC)
    assert only_fridays.next_after(ms(2026, 3, 13)) == ms(2026, 3, 20)


def test_the_fields_are_read_on_the_clock_of_the_given_time_zone() -> None:
    paris_winter = timezone(timedelta(hours=1))
    nine = Cron.parse("0 9 * * *", tz=paris_winter)
    assert nine.next_after(ms(2026, 1, 10, 0, 0)) == ms(2026, 1, 10, 8, 0)  # 9:00 in Paris is 8:00 UTC


def test_by_default_the_fields_are_read_on_the_local_clock() -> None:
    local_nine = datetime(2026, 1, 10, 9, 0).timestamp() * 1000.0  # naive: the machine's local time
    assert Cron.parse("0 9 * * *").next_after(local_nine - 60_000) == local_nine


def test_across_daylight_saving_changes_a_skipped_time_runs_shifted_and_a_repeated_one_runs_once() -> None:
    paris = zoneinfo.ZoneInfo("Europe/Paris")  # the dev extras' tzdata provides it where the system has none
    at_half_past_two = Cron.parse("30 2 * * *", tz=paris)
    # 2026-03-29: 02:00 -> 03:00 (02:30 does not exist); 2026-10-25: 03:00 -> 02:00 (02:30 happens twice)
    assert at_half_past_two.next_after(ms(2026, 3, 28, 12)) == ms(2026, 3, 29, 1, 30)  # 03:30 CEST
    first = at_half_past_two.next_after(ms(2026, 10, 24, 12))
    assert first == ms(2026, 10, 25, 0, 30)  # 02:30 CEST, the first of the two
    assert at_half_past_two.next_after(first) == ms(2026, 10, 26, 1, 30)  # the next day, 02:30 CET

"""Cron expressions: which minutes of the calendar a periodic task runs at.

Five fields, as in crontab(5): minute, hour, day of month, month, day of week
(0 or 7 is Sunday). Each field is ``*``, a number, a range ``a-b``, a step
``*/n`` or ``a-b/n``, or a comma list of those; months and days of the week
also take their English names (``jan``, ``mon``). When both the day of the
month and the day of the week are restricted, a day matching either counts,
as in Vixie cron.

Times are epoch milliseconds; the fields are read on the wall clock of a time
zone, by default the local one (in a browser, the user's), because "every day
at 9" means 9 on the user's clock. Pass ``tz`` (any :class:`datetime.tzinfo`)
to use another zone, e.g. ``datetime.UTC``. A wall time skipped by a daylight
saving change runs at the shifted time; a repeated one runs once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from .errors import InvalidOption

MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
"""Cron's month names are English whatever the locale (``calendar.month_abbr`` follows it, and importing
:mod:`calendar` costs a page about 0.1 s at start: benches/NOTES-perf.md, "Round 3")."""
WEEKDAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
SEARCH_YEARS = 8
"""How far :meth:`Cron.next_after` looks: long enough for ``0 0 29 2 *`` (29 February)."""

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int]

    def parse(self, text: str, expression: str) -> frozenset[int]:
        values: set[int] = set()
        for part in text.split(","):
            values |= self._part(part, expression)
        return frozenset(values)

    def _part(self, part: str, expression: str) -> set[int]:
        span, _, step_text = part.partition("/")
        step = self._number(step_text, expression) if step_text else 1
        if step < 1:
            raise self._bad(expression, f"the step in {part!r} must be at least 1")
        if span == "*":
            low, high = self.low, self.high
        elif "-" in span:
            first, _, last = span.partition("-")
            low, high = self._value(first, expression), self._value(last, expression)
            if low > high:
                raise self._bad(expression, f"the range {span!r} runs backwards")
        else:
            low = self._value(span, expression)
            high = self.high if step_text else low  # "5/15" means 5, 20, 35, 50
        return set(range(low, high + 1, step))

    def _value(self, text: str, expression: str) -> int:
        value = self.names.get(text.lower())
        if value is None:
            value = self._number(text, expression)
        if not self.low <= value <= self.high:
            raise self._bad(expression, f"{text!r} is outside {self.low}-{self.high}")
        return value

    def _number(self, text: str, expression: str) -> int:
        if not text.isdigit():
            raise self._bad(expression, f"{text!r} is not a number")
        return int(text)

    def _bad(self, expression: str, reason: str) -> InvalidOption:
        return InvalidOption("cron", expression, f"{self.name}: {reason}")


_FIELDS = (
    _Field("minute", 0, 59, {}),
    _Field("hour", 0, 23, {}),
    _Field("day of month", 1, 31, {}),
    _Field("month", 1, 12, MONTHS),
    _Field("day of week", 0, 7, WEEKDAYS),
)


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed cron expression; build it with :meth:`parse`."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    """0 is Sunday."""
    any_day: bool
    """One of the two day fields starts with ``*``: a day must match both; otherwise either will do."""
    tz: tzinfo | None = None

    @classmethod
    def parse(cls, expression: str, *, tz: tzinfo | None = None) -> Cron:
        """Parse *expression*, raising :class:`~pyqueue.errors.InvalidOption` naming the faulty field."""
        if not isinstance(expression, str):
            raise InvalidOption("cron", expression, "must be a string of five fields")
        parts = expression.split()
        if len(parts) != len(_FIELDS):
            raise InvalidOption("cron", expression, "needs five fields: minute hour day-of-month month day-of-week")
        minutes, hours, days, months, weekdays = (f.parse(p, expression) for f, p in zip(_FIELDS, parts, strict=True))
        weekdays = frozenset(d % 7 for d in weekdays)
        day_star, weekday_star = parts[2].startswith("*"), parts[4].startswith("*")
        return cls(expression, minutes, hours, days, months, weekdays, day_star or weekday_star, tz)

    def matches(self, wall: datetime) -> bool:
        """Whether the minute of the wall-clock time *wall* is one of this expression's."""
        return self._day(wall) and wall.hour in self.hours and wall.minute in self.minutes

    def _day(self, wall: datetime) -> bool:
        if wall.month not in self.months:
            return False
        in_month, in_week = wall.day in self.days, (wall.isoweekday() % 7) in self.weekdays
        return (in_month and in_week) if self.any_day else (in_month or in_week)

    def next_after(self, now: float) -> float:
        """The first matching minute that starts after *now* (epoch ms)."""
        wall = self._wall(now).replace(second=0, microsecond=0) + _MINUTE
        limit = wall.replace(year=wall.year + SEARCH_YEARS)
        while wall < limit:
            if not self._day(wall):
                wall = (wall + timedelta(days=1)).replace(hour=0, minute=0)
            elif wall.hour not in self.hours:
                wall = (wall + timedelta(hours=1)).replace(minute=0)
            elif wall.minute not in self.minutes:
                wall += _MINUTE
            else:
                at = self._epoch(wall)
                if at > now:  # a wall time repeated by a daylight saving change runs once
                    return at
                wall += _MINUTE
        raise InvalidOption("cron", self.expression, f"matches no time in the next {SEARCH_YEARS} years")

    def latest_at_or_before(self, now: float) -> float | None:
        """The start of the last matching minute at or before *now*; ``None`` if none in the search span."""
        wall = self._wall(now).replace(second=0, microsecond=0)
        limit = wall.replace(year=wall.year - SEARCH_YEARS)
        while wall > limit:
            if not self._day(wall):
                wall = wall.replace(hour=23, minute=59) - timedelta(days=1)
            elif wall.hour not in self.hours:
                wall = wall.replace(minute=59) - timedelta(hours=1)
            elif wall.minute not in self.minutes:
                wall -= _MINUTE
            else:
                at = self._epoch(wall)
                if at <= now:
                    return at
                wall -= _MINUTE
        return None

    def _wall(self, at: float) -> datetime:
        """The naive wall-clock time of *at* in this expression's zone (local if none)."""
        moment = datetime.fromtimestamp(at / 1000.0, self.tz)
        return moment.replace(tzinfo=None)

    def _epoch(self, wall: datetime) -> float:
        return wall.replace(tzinfo=self.tz).timestamp() * 1000.0  # a naive time (tz None) is local

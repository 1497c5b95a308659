"""Business time (issue 23): when a schedule is open, and arithmetic in open time.

A schedule is a time zone (IANA, `zoneinfo`), weekly opening intervals in local wall time
(any number a day: a lunch break is two intervals), and closed dates. Calendar hours are a
schedule that is always open. Every function takes and returns aware datetimes; local wall
times are turned into instants with `zoneinfo`, so a day on which the clocks change is as
long as it really is (an interval across a spring-forward gap is an hour shorter, across a
fall-back an hour longer), and an opening time that does not exist that day (inside the
gap) is moved later by the gap's length.

Public holidays: a schedule may name a country (and subdivision) of the `holidays` package;
`expand_holidays` turns that into plain dates when the schedule is saved (the package takes
~0.4 s to import, too much for every function's cold start), so the arithmetic here only
ever reads dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far the arithmetic looks for an open minute before it concludes the schedule is
# never open (a schedule with no interval, or holidays covering every open day).
HORIZON_DAYS = 3 * 366


class ScheduleError(ValueError):
    """A schedule that cannot be used (unknown zone, bad interval, never open)."""


class Interval(NamedTuple):
    start: time
    end: time  # exclusive; time(0, 0) as an end means midnight at the end of the day


class Schedule(NamedTuple):
    """`week[i]`: the opening intervals of weekday i (0 = Monday), sorted, disjoint."""

    timezone: str
    week: tuple[tuple[Interval, ...], ...]
    closed: frozenset[date] = frozenset()
    always_open: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)


CALENDAR = Schedule(timezone="UTC", week=((),) * 7, always_open=True)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as ex:
        raise ScheduleError(f"Unknown time zone {name!r}") from ex


def _parse_time(text: str) -> time:
    if text in ("24:00", "24:00:00"):
        return time(0, 0)
    try:
        return time.fromisoformat(text)
    except ValueError as ex:
        raise ScheduleError(f"Not a time of day: {text!r}") from ex


def schedule(
    timezone: str,
    hours: dict[str, list[tuple[str, str]]],
    closed: list[date] | None = None,
) -> Schedule:
    """A schedule from `{"mon": [("09:00", "12:00"), ("13:00", "17:00")], ...}` (days not
    named are closed; "24:00" ends a day). Raises ScheduleError on overlaps, empty or
    reversed intervals, unknown days or zones."""
    _zone(timezone)
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise ScheduleError(f"Unknown weekday(s): {', '.join(sorted(unknown))}")
    week: list[tuple[Interval, ...]] = []
    for day in WEEKDAYS:
        intervals = sorted(
            (Interval(_parse_time(a), _parse_time(b)) for a, b in hours.get(day, [])),
            key=lambda i: i.start,
        )
        for i, iv in enumerate(intervals):
            end = _minutes(iv.end, end=True)
            if end <= _minutes(iv.start):
                raise ScheduleError(f"{day}: {iv.start:%H:%M}-{iv.end:%H:%M} is empty")
            if i and _minutes(iv.start) < _minutes(intervals[i - 1].end, end=True):
                raise ScheduleError(f"{day}: intervals overlap")
        week.append(tuple(intervals))
    return Schedule(timezone, tuple(week), frozenset(closed or ()))


def from_doc(stored: dict[str, Any]) -> Schedule:
    """The schedule of a stored business-hours document (`helpdesk.schedules`): its hours,
    holidays and expanded public-holiday dates; calendar hours when `always_open`."""
    if stored.get("always_open"):
        return CALENDAR
    hours = {
        day: [(iv["start"], iv["end"]) for iv in intervals]
        for day, intervals in (stored.get("hours") or {}).items()
    }
    closed = [_date(d) for d in (stored.get("holidays") or [])]
    closed += [_date(d) for d in (stored.get("public_holiday_dates") or [])]
    return schedule(stored["timezone"], hours, closed)


def _date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _minutes(t: time, end: bool = False) -> int:
    m = t.hour * 60 + t.minute
    return 24 * 60 if end and m == 0 and t.second == 0 else m


def _instant(day: date, t: time, zone: ZoneInfo, end: bool = False) -> datetime:
    """The instant of local wall time `t` on `day`: midnight of the next day for an end at
    00:00. A wall time inside a spring-forward gap is moved later by the gap's length (PEP
    495's fold=0, as java.time resolves it); an ambiguous one (fall back) is the earlier."""
    if end and _minutes(t, end=True) == 24 * 60:
        day, t = day + timedelta(days=1), time(0, 0)
    return datetime.combine(day, t, tzinfo=zone).astimezone(UTC)


def open_periods(
    s: Schedule, start: datetime, backwards: bool = False
) -> Iterator[tuple[datetime, datetime]]:
    """The schedule's open periods (UTC instants) from `start` on, clipped to it, in time
    order (or from `start` back, latest first); stops after HORIZON_DAYS."""
    start = _aware(start)
    if s.always_open:
        if backwards:
            yield datetime.min.replace(tzinfo=UTC), start
        else:
            yield start, datetime.max.replace(tzinfo=UTC)
        return
    zone = s.zone
    first = start.astimezone(zone).date()
    for n in _days(-1 if backwards else 1):
        day = first + timedelta(days=n)
        if day in s.closed:
            continue
        periods = [
            (_instant(day, iv.start, zone), _instant(day, iv.end, zone, end=True))
            for iv in s.week[day.weekday()]
        ]
        for a, b in reversed(periods) if backwards else periods:
            if b <= a:
                continue  # swallowed whole by a clock change
            if not backwards and b > start:
                yield max(a, start), b
            elif backwards and a < start:
                yield a, min(b, start)


def _days(step: int) -> Iterator[int]:
    """Day offsets from the local day of `start`, in `step` direction, beginning one day
    behind it (a period that ends at midnight belongs to the day before)."""
    n = -step
    while abs(n) <= HORIZON_DAYS:
        yield n
        n += step


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ScheduleError("Business time needs aware datetimes")
    return at.astimezone(UTC)


def is_open(s: Schedule, at: datetime) -> bool:
    """Whether the schedule is open at `at`."""
    for a, _b in open_periods(s, at):
        return a == _aware(at)
    return False


def add(s: Schedule, start: datetime, minutes: float) -> datetime:
    """The instant `minutes` of open time after `start` (before it when negative). Zero
    minutes from a closed instant is that instant: a clock due "now" is not moved."""
    if minutes < 0:
        return subtract(s, start, -minutes)
    left = timedelta(minutes=minutes)
    if not left:
        return _aware(start)
    for a, b in open_periods(s, start):
        if b - a >= left:
            return a + left
        left -= b - a
    raise ScheduleError("The schedule is never open")


def subtract(s: Schedule, end: datetime, minutes: float) -> datetime:
    """The instant `minutes` of open time before `end`."""
    left = timedelta(minutes=minutes)
    if not left:
        return _aware(end)
    for a, b in open_periods(s, end, backwards=True):
        if b - a >= left:
            return b - left
        left -= b - a
    raise ScheduleError("The schedule is never open")


def elapsed(s: Schedule, start: datetime, end: datetime) -> float:
    """Minutes of open time from `start` to `end` (0 when end is not after start)."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0.0
    total = timedelta()
    for a, b in open_periods(s, start):
        if a >= end:
            break
        total += min(b, end) - a
    return total.total_seconds() / 60


def next_open(s: Schedule, at: datetime) -> datetime:
    """`at` if the schedule is open then, else the next instant it opens."""
    for a, _b in open_periods(s, at):
        return a
    raise ScheduleError("The schedule is never open")


def expand_holidays(country: str, years: list[int], subdivision: str | None = None) -> list[date]:
    """A country's (subdivision's) public holidays in `years`, as plain dates, from the
    `holidays` package (imported here only: ~0.4 s)."""
    import holidays  # deliberately lazy (see the module docstring)

    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError as ex:
        raise ScheduleError(f"No public holidays known for {country!r}") from ex
    return sorted(found.keys())

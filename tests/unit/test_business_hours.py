"""Business-time arithmetic (helpdesk.business_hours): midnight, weekends, holidays, the
daylight-saving changes of Europe/Berlin and America/New_York, a lunch break; properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk import business_hours as bh

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_17 = {d: [("09:00", "17:00")] for d in ("mon", "tue", "wed", "thu", "fri")}


def berlin(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def office(zone: str = "Europe/Berlin", **kw: list[date]) -> bh.Schedule:
    return bh.schedule(zone, WEEKDAYS_9_17, closed=kw.get("closed"))


def test_friday_afternoon_plus_one_business_hour_is_monday_morning() -> None:
    # The example: Friday 16:30 in Berlin, 1 business hour, Mon-Fri 09:00-17:00
    due = bh.add(office(), berlin(2026, 11, 27, 16, 30), 60)
    assert due == berlin(2026, 11, 30, 9, 30)
    assert bh.elapsed(office(), berlin(2026, 11, 27, 16, 30), due) == 60


def test_across_midnight_and_from_a_closed_instant() -> None:
    s = bh.schedule("Europe/Berlin", {d: [("20:00", "24:00")] for d in bh.WEEKDAYS})
    # 22:00 + 3 h: 2 h tonight, 1 h from 20:00 tomorrow
    assert bh.add(s, berlin(2026, 12, 1, 22, 0), 180) == berlin(2026, 12, 2, 21, 0)
    # opened at 03:00 (closed): the clock starts at 20:00
    assert bh.add(s, berlin(2026, 12, 1, 3, 0), 30) == berlin(2026, 12, 1, 20, 30)
    assert bh.next_open(s, berlin(2026, 12, 1, 3, 0)) == berlin(2026, 12, 1, 20, 0)
    assert not bh.is_open(s, berlin(2026, 12, 1, 3, 0)) and bh.is_open(
        s, berlin(2026, 12, 1, 23, 59)
    )
    # zero minutes never moves a clock
    assert bh.add(s, berlin(2026, 12, 1, 3, 0), 0) == berlin(2026, 12, 1, 3, 0)


def test_a_holiday_is_skipped_and_country_holidays_expand_to_dates() -> None:
    christmas = bh.expand_holidays("DE", [2026], subdivision="BE")
    assert date(2026, 12, 25) in christmas and date(2026, 12, 26) in christmas
    s = office(closed=christmas)
    # Thursday 24 Dec 16:00 + 2 h: 1 h that day, then Fri 25 (holiday), weekend, Mon 28
    assert bh.add(s, berlin(2026, 12, 24, 16, 0), 120) == berlin(2026, 12, 28, 10, 0)
    with pytest.raises(bh.ScheduleError):
        bh.expand_holidays("XX", [2026])


def test_a_lunch_break_is_not_business_time() -> None:
    s = bh.schedule("Europe/Berlin", {"mon": [("13:00", "17:00"), ("09:00", "12:00")]})
    assert bh.add(s, berlin(2026, 11, 30, 11, 0), 120) == berlin(2026, 11, 30, 14, 0)
    assert bh.elapsed(s, berlin(2026, 11, 30, 8, 0), berlin(2026, 11, 30, 18, 0)) == 7 * 60


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        # spring forward: the night is an hour shorter; fall back: an hour longer
        ("Europe/Berlin", date(2026, 3, 29), 23),
        ("Europe/Berlin", date(2026, 10, 25), 25),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
    ],
)
def test_a_day_of_a_clock_change_is_as_long_as_it_really_is(
    zone: str, day: date, hours: int
) -> None:
    s = bh.schedule(zone, {d: [("00:00", "24:00")] for d in bh.WEEKDAYS})
    tz = ZoneInfo(zone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    assert bh.elapsed(s, start, end) == hours * 60


def test_office_hours_across_the_clock_change_keep_their_wall_times() -> None:
    # New York, Friday 6 March 2026 16:00 + 2 business hours: Monday 9 March 10:00 local
    # (the clocks sprang forward on Sunday 8 March: the UTC offset changed in between)
    s = office("America/New_York")
    due = bh.add(s, datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK), 120)
    assert due == datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)
    assert due.utcoffset() == timedelta(0) and due.hour == 14  # UTC; EDT is UTC-4


def test_an_opening_time_inside_the_gap_moves_later_by_the_gap() -> None:
    s = bh.schedule("Europe/Berlin", {"sun": [("02:30", "04:00")]})
    # 29 March 2026: 02:00 -> 03:00; 02:30 does not exist: it opens at 03:30 (CEST)
    assert bh.next_open(s, berlin(2026, 3, 29, 0, 0)) == berlin(2026, 3, 29, 3, 30)
    assert bh.elapsed(s, berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 29, 5, 0)) == 30


def test_calendar_hours_are_plain_time() -> None:
    start = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert bh.add(bh.CALENDAR, start, 90) == start + timedelta(minutes=90)
    assert bh.subtract(bh.CALENDAR, start, 90) == start - timedelta(minutes=90)
    assert bh.elapsed(bh.CALENDAR, start, start + timedelta(days=2)) == 2 * 24 * 60


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon": [("17:00", "09:00")]}, "empty"),
        ({"mon": [("09:00", "12:00"), ("11:00", "13:00")]}, "overlap"),
        ({"someday": [("09:00", "12:00")]}, "Unknown weekday"),
        ({"mon": [("9h", "12:00")]}, "Not a time"),
    ],
)
def test_bad_schedules_are_refused(hours: dict[str, list[tuple[str, str]]], message: str) -> None:
    with pytest.raises(bh.ScheduleError, match=message):
        bh.schedule("Europe/Berlin", hours)


def test_unknown_zones_naive_datetimes_and_a_schedule_never_open_are_errors() -> None:
    with pytest.raises(bh.ScheduleError):
        bh.schedule("Mars/Olympus", WEEKDAYS_9_17)
    with pytest.raises(bh.ScheduleError):
        bh.add(office(), datetime(2026, 11, 30, 9, 0), 10)
    with pytest.raises(bh.ScheduleError, match="never open"):
        bh.add(bh.schedule("UTC", {}), datetime(2026, 11, 30, tzinfo=UTC), 10)


SCHEDULES = [
    office(),
    office("America/New_York"),
    bh.schedule(
        "Europe/Berlin",
        {"mon": [("09:00", "12:00"), ("13:00", "17:00")], "sat": [("22:00", "24:00")]},
    ),
    bh.schedule("America/New_York", {d: [("00:00", "02:30")] for d in bh.WEEKDAYS}),
    bh.CALENDAR,
]
INSTANTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SCHEDULES), INSTANTS, st.integers(min_value=1, max_value=10_000))
def test_adding_then_subtracting_round_trips(s: bh.Schedule, start: datetime, minutes: int) -> None:
    due = bh.add(s, start, minutes)
    assert bh.elapsed(s, start, due) == pytest.approx(minutes)
    back = bh.subtract(s, due, minutes)
    # back at the start, or (when the start was closed) at the last close before the open
    # period the clock started in: no open time between them
    assert back <= start or back == bh.next_open(s, start)
    assert bh.elapsed(s, back, start) == 0 or back == bh.next_open(s, start)
    assert bh.elapsed(s, min(back, start), max(back, start)) == 0


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(SCHEDULES),
    INSTANTS,
    st.integers(min_value=1, max_value=5_000),
    st.integers(min_value=0, max_value=5_000),
)
def test_a_pause_never_shortens_a_due_time(
    s: bh.Schedule, start: datetime, minutes: int, paused: int
) -> None:
    # A clock paused for `paused` minutes of wall time restarts with what was left of its
    # target: its due time is never earlier than without the pause
    due = bh.add(s, start, minutes)
    pause_at = start + (due - start) / 2
    spent = bh.elapsed(s, start, pause_at)
    resumed = pause_at + timedelta(minutes=paused)
    assert bh.add(s, resumed, minutes - spent) >= due

"""The SLA engine (helpdesk.sla, pure): policy matching, the metric clocks, pausing, policy
changes, warnings and breaches; properties (pausing never shortens a due time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk import business_hours as bh
from helpdesk import sla
from helpdesk.clock import parse

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = bh.schedule("Europe/Berlin", {d: [("09:00", "17:00")] for d in bh.WEEKDAYS[:5]})
SCHEDULES = {"berlin": OFFICE}
URGENT_1H = sla.Policy(
    id="p-urgent",
    position=1,
    conditions={"priority": ["urgent"]},
    targets={
        "urgent": {
            "first_reply": sla.Target(60, "berlin"),
            "next_reply": sla.Target(120, "berlin"),
            "resolution": sla.Target(480, "berlin"),
        }
    },
)
CALENDAR_DAY = sla.Policy(
    id="p-all",
    position=9,
    targets={p: {"first_reply": sla.Target(24 * 60)} for p in ("low", "normal", "high", "urgent")},
)
POLICIES = [CALENDAR_DAY, URGENT_1H]


def berlin(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


def ticket(**kw: Any) -> dict[str, Any]:
    return {"status": "open", "priority": "urgent", "tags": [], "guest": False, **kw}


def step(
    state: dict[str, Any] | None,
    at: datetime,
    *happenings: sla.Happening,
    prev: str | None = "open",
    policies: list[sla.Policy] | None = None,
    warn: int = 0,
    **kw: Any,
) -> dict[str, Any]:
    return sla.advance(
        state,
        ticket(**kw),
        at,
        list(happenings),
        prev,
        POLICIES if policies is None else policies,
        SCHEDULES,
        warn_minutes=warn,
    )


def opened(at: datetime | None = None, **kw: Any) -> dict[str, Any]:
    return step(None, at or berlin(27, 16, 30), "created", prev=None, **kw)


# -- policies ------------------------------------------------------------------------


def test_the_first_matching_policy_by_position_applies() -> None:
    assert sla.applicable(POLICIES, ticket()) is URGENT_1H
    assert sla.applicable(POLICIES, ticket(priority="low")) is CALENDAR_DAY
    assert sla.applicable([URGENT_1H], ticket(priority="low")) is None


def test_every_condition_must_match_and_tags_match_any() -> None:
    p = sla.Policy(
        id="vip",
        conditions={
            "category": ["c1"],
            "department": ["d1"],
            "organization": ["o1"],
            "guest": [False],
            "tags": ["vip", "gold"],
        },
    )
    t = ticket(category_id="c1", department_id="d1", org_id="o1", tags=["gold"])
    assert sla.matches(p, t)
    assert not sla.matches(p, {**t, "tags": ["silver"]})
    assert not sla.matches(p, {**t, "guest": True})
    assert not sla.matches(p, {**t, "department_id": "d2"})
    assert not sla.matches(p, {**t, "org_id": None})


def test_policy_from_a_stored_document() -> None:
    doc = {
        "id": "p1",
        "position": 3,
        "conditions": {"priority": ["high"], "tags": []},
        "targets": {"high": {"first_reply": {"minutes": 30, "schedule": "berlin"}}},
    }
    p = sla.Policy.from_doc(doc)
    assert p.conditions == {"priority": ["high"]}
    assert p.targets["high"]["first_reply"] == sla.Target(30, "berlin")


# -- first reply ---------------------------------------------------------------------


def test_friday_1630_plus_one_business_hour_is_due_monday_0930() -> None:
    s = opened()
    fr = s["metrics"]["first_reply"]
    assert parse(fr["due_at"]) == berlin(30, 9, 30)
    assert s["policy_id"] == "p-urgent"
    assert s["next_at"] == fr["due_at"]
    view = sla.view(s, SCHEDULES, berlin(27, 16, 45))
    assert view["first_reply"]["state"] == "active"
    assert view["first_reply"]["time_left_minutes"] == 45
    # the weekend: closed, the clock does not move
    view = sla.view(s, SCHEDULES, berlin(28, 12))
    assert view["first_reply"] == {
        **view["first_reply"],
        "state": "paused",
        "time_left_minutes": 30,
    }


def test_an_internal_note_leaves_first_reply_running_a_public_reply_fulfils_it() -> None:
    s = opened()
    s = step(s, berlin(30, 9, 0), "note")
    assert sla.view(s, SCHEDULES, berlin(30, 9, 10))["first_reply"]["state"] == "active"
    assert parse(s["metrics"]["first_reply"]["due_at"]) == berlin(30, 9, 30)
    s = step(s, berlin(30, 9, 20), "staff_reply")
    v = sla.view(s, SCHEDULES, berlin(30, 12))["first_reply"]
    assert v["state"] == "fulfilled" and v["met"] is True and v["time_left_minutes"] is None
    assert s["metrics"]["first_reply"]["spent"] == 50 * 60
    # no next-reply clock until the customer writes again
    assert "next_reply" not in s["metrics"]


def test_a_late_reply_is_fulfilled_but_not_met_and_overdue_is_breached() -> None:
    s = opened()
    assert sla.view(s, SCHEDULES, berlin(30, 9, 31))["first_reply"]["state"] == "breached"
    s = step(s, berlin(30, 9, 45), "note")  # past due: the due time stays where it was
    assert parse(s["metrics"]["first_reply"]["due_at"]) == berlin(30, 9, 30)
    s = step(s, berlin(30, 10), "staff_reply")
    v = sla.view(s, SCHEDULES, berlin(30, 10))["first_reply"]
    assert (v["state"], v["met"]) == ("fulfilled", False)


# -- next reply ----------------------------------------------------------------------


def test_next_reply_starts_at_the_oldest_unanswered_customer_message() -> None:
    s = opened(berlin(30, 9))
    s = step(s, berlin(30, 9, 10), "staff_reply")
    s = step(s, berlin(30, 10), "customer_message")
    s = step(s, berlin(30, 11), "customer_message")  # not a new cycle: still the 10:00 one
    nr = s["metrics"]["next_reply"]
    assert nr["cycle"] == 1 and parse(nr["started_at"]) == berlin(30, 10)
    assert parse(nr["due_at"]) == berlin(30, 12)
    s = step(s, berlin(30, 11, 30), "staff_reply")
    assert s["metrics"]["next_reply"]["met"] is True
    s = step(s, berlin(30, 14), "customer_message")
    assert s["metrics"]["next_reply"]["cycle"] == 2
    assert parse(s["metrics"]["next_reply"]["due_at"]) == berlin(30, 16)


def test_a_customer_message_before_the_first_reply_starts_no_next_reply() -> None:
    s = step(opened(berlin(30, 9)), berlin(30, 9, 5), "customer_message")
    assert "next_reply" not in s["metrics"]


def test_waiting_pauses_next_reply_and_keeps_the_spent_time() -> None:
    s = opened(berlin(30, 9))
    s = step(s, berlin(30, 9, 10), "staff_reply")
    s = step(s, berlin(30, 10), "customer_message")
    s = step(s, berlin(30, 10, 30), status="waiting")
    nr = s["metrics"]["next_reply"]
    assert nr["due_at"] is None and nr["since"] is None and nr["spent"] == 30 * 60
    assert sla.view(s, SCHEDULES, berlin(30, 15))["next_reply"]["state"] == "paused"
    assert sla.view(s, SCHEDULES, berlin(30, 15))["next_reply"]["time_left_minutes"] == 90
    s = step(s, berlin(30, 13), prev="waiting", status="open")
    nr = s["metrics"]["next_reply"]
    assert parse(nr["due_at"]) == berlin(30, 14, 30)  # 90 minutes left from 13:00
    assert nr["paused"] == 150 * 60


# -- resolution ----------------------------------------------------------------------


def test_resolution_stops_at_resolved_and_restarts_on_reopen() -> None:
    s = opened(berlin(30, 9))
    s = step(s, berlin(30, 11), status="resolved")
    res = s["metrics"]["resolution"]
    assert res["met"] is True and res["due_at"] is not None
    assert s["metrics"]["first_reply"]["stopped_at"]  # nothing owed once resolved
    assert s["next_at"] is None
    s = step(s, berlin(30, 12), prev="resolved", status="open")
    res = s["metrics"]["resolution"]
    assert (
        res["cycle"] == 2 and res["spent"] == 0 and parse(res["due_at"]) == berlin(1, 12, month=12)
    )


# -- policy changes ------------------------------------------------------------------


def test_a_change_of_policy_keeps_spent_and_paused_time() -> None:
    s = opened(berlin(30, 9))
    s = step(s, berlin(30, 9, 20), status="waiting")
    s = step(s, berlin(30, 10, 0), prev="waiting", status="open")
    # priority drops: the calendar-day policy applies now; 20 open minutes were spent
    s = step(s, berlin(30, 10, 30), priority="low")
    fr = s["metrics"]["first_reply"]
    assert s["policy_id"] == "p-all"
    assert fr["spent"] == 50 * 60 and fr["paused"] == 40 * 60
    assert fr["target"] == 24 * 60 and fr["schedule"] == "calendar"
    assert parse(fr["due_at"]) == berlin(30, 10, 30) + timedelta(minutes=24 * 60 - 50)


def test_no_policy_runs_the_clock_without_a_target_and_a_later_one_counts_it() -> None:
    s = opened(berlin(30, 9), policies=[], priority="high")
    assert s["policy_id"] is None and s["metrics"]["first_reply"]["due_at"] is None
    assert sla.view(s, SCHEDULES, berlin(30, 9)) == {}
    s = step(s, berlin(30, 9, 45), priority="urgent")
    assert parse(s["metrics"]["first_reply"]["due_at"]) == berlin(30, 10)


# -- warnings and breaches -----------------------------------------------------------


def test_warning_then_breach_each_once_per_cycle() -> None:
    s = opened(warn=15)
    fr = s["metrics"]["first_reply"]
    assert parse(fr["warn_at"]) == berlin(30, 9, 15)  # 15 business minutes before Monday 09:30
    assert s["next_at"] == fr["warn_at"]
    assert sla.due_firings(s, SCHEDULES, berlin(30, 9, 0)) == []
    fired = sla.due_firings(s, SCHEDULES, berlin(30, 9, 16))
    assert [f.type for f in fired] == ["sla.warning"]
    s = sla.mark_fired(s, fired)
    assert sla.due_firings(s, SCHEDULES, berlin(30, 9, 20)) == []  # twice: nothing new
    assert s["next_at"] == fr["due_at"]
    fired = sla.due_firings(s, SCHEDULES, berlin(30, 9, 31))
    assert [(f.type, f.metric, f.cycle) for f in fired] == [("sla.breached", "first_reply", 1)]
    s = sla.mark_fired(s, fired)
    assert sla.due_firings(s, SCHEDULES, berlin(30, 9, 40)) == []
    assert s["next_at"] == s["metrics"]["resolution"]["warn_at"]  # first reply: done


def test_a_late_sweep_fires_the_breach_alone_and_never_for_a_fulfilled_metric() -> None:
    s = opened(warn=15)
    fired = sla.due_firings(s, SCHEDULES, berlin(30, 11))
    assert [f.type for f in fired] == ["sla.breached"]
    assert sla.mark_fired(s, fired)["metrics"]["first_reply"]["warned"] == 1
    replied = step(s, berlin(30, 9, 20), "staff_reply", warn=15)
    assert sla.due_firings(replied, SCHEDULES, berlin(30, 11)) == []


def test_a_warning_is_never_fired_outside_the_schedules_hours() -> None:
    # due Monday 09:30; warned 45 business minutes before: Friday 16:45
    s = opened(warn=45)
    assert parse(s["metrics"]["first_reply"]["warn_at"]) == berlin(27, 16, 45)
    # the sweep did not run on Friday evening: not on Saturday, not before Monday 09:00
    assert sla.due_firings(s, SCHEDULES, berlin(28, 12)) == []
    assert sla.due_firings(s, SCHEDULES, berlin(30, 8, 59)) == []
    assert [f.type for f in sla.due_firings(s, SCHEDULES, berlin(30, 9, 1))] == ["sla.warning"]


def test_waiting_takes_a_metric_off_the_due_list() -> None:
    s = opened(berlin(30, 9))
    s = step(s, berlin(30, 9, 20), status="waiting")
    assert s["next_at"] is None
    assert sla.due_firings(s, SCHEDULES, berlin(30, 23)) == []


# -- properties ----------------------------------------------------------------------

START = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=60 * 24 * 400).map(
    lambda m: START + timedelta(minutes=m)
)


@settings(max_examples=60, deadline=None)
@given(
    opened_at=instants,
    pause_after=st.integers(min_value=0, max_value=60 * 24 * 10),
    pause_for=st.integers(min_value=0, max_value=60 * 24 * 10),
)
def test_pausing_never_shortens_a_due_time(
    opened_at: datetime, pause_after: int, pause_for: int
) -> None:
    s = opened(opened_at)
    due = parse(s["metrics"]["first_reply"]["due_at"])
    paused_at = opened_at + timedelta(minutes=pause_after)
    p = step(s, paused_at, status="waiting")
    r = step(p, paused_at + timedelta(minutes=pause_for), prev="waiting", status="open")
    assert parse(r["metrics"]["first_reply"]["due_at"]) >= due


@settings(max_examples=40, deadline=None)
@given(opened_at=instants, changes=st.lists(st.integers(1, 60 * 24 * 3), max_size=6))
def test_changes_that_pause_nothing_never_move_the_due_time_even_past_it(
    opened_at: datetime, changes: list[int]
) -> None:
    s = opened(opened_at)
    due = s["metrics"]["first_reply"]["due_at"]
    at = opened_at
    for minutes in changes:
        at += timedelta(minutes=minutes)
        s = step(s, at, "note")
        moved = parse(s["metrics"]["first_reply"]["due_at"]) - parse(due)
        assert abs(moved) < timedelta(seconds=2)

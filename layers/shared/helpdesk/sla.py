"""Service levels (issue 23; pure): which policy applies to a ticket, and the metric clocks.

A policy has match conditions (each a set of accepted values; an empty condition matches
anything) and targets per priority: for each metric a number of minutes counted in a
schedule ("calendar" = always open). Policies are ordered; the first whose conditions all
match applies, re-evaluated on every ticket change.

Three metrics, each a clock with cycles:

- `first_reply` starts when the ticket is created and stops (fulfilled) at the first public
  staff reply; an internal note never stops it.
- `next_reply` starts at the oldest customer message not answered yet once the first reply
  was given, and stops at the next public staff reply; the next customer message starts a
  new cycle.
- `resolution` starts when the ticket is created, stops at resolved or closed, and starts a
  new cycle on reopen.

Resolving or closing the ticket also ends the reply clocks (nothing is owed any more). Every
running clock pauses while the ticket is `waiting` (on the customer) and counts only the
open time of its schedule (business_hours). The clock state is stored with the ticket (a
plain dict, integers and strings only, so DynamoDB keeps it as it is):

    {"policy_id": "p1", "next_at": "<iso>", "metrics": {"first_reply": {
        "cycle": 1, "started_at": iso, "target": 60, "schedule": "berlin",
        "spent": 0,          # open seconds counted before `since`
        "since": iso | None, # the running segment's start; None while paused or stopped
        "paused": 0,         # wall seconds spent paused (waiting), kept across policy changes
        "paused_since": iso | None,
        "due_at": iso | None,    # while running (and with a target)
        "warn_at": iso | None,   # due_at less the warning lead, in open time
        "stopped_at": iso | None, "met": bool | None,  # once fulfilled
        "warned": int, "breached": int,  # the cycle each event fired for (0: none yet)
    }}}

A change of policy (or of the ticket's priority) keeps `spent` and `paused` and only
changes the target and schedule: the due time is recomputed from what was spent. A clock
without a target (no policy, or none for the priority) still runs (in its last schedule,
calendar at first), so a policy that starts to apply later counts the time already spent.

Pausing never shortens a due time: a paused clock keeps its spent time, and on resume the
remaining minutes are added from the resume instant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from helpdesk import business_hours as bh
from helpdesk.clock import iso, parse

METRICS = ("first_reply", "next_reply", "resolution")
Metric = Literal["first_reply", "next_reply", "resolution"]
CALENDAR = "calendar"
CONDITIONS = ("priority", "category", "department", "organization", "guest", "tags")
STOPPED_STATUSES = frozenset({"resolved", "closed"})
WAITING = "waiting"

# What happened in one ticket change, besides its status (read from the ticket).
Happening = Literal["created", "customer_message", "staff_reply", "note"]


@dataclass(frozen=True)
class Target:
    minutes: int
    schedule: str = CALENDAR


@dataclass(frozen=True)
class Policy:
    """`conditions`: condition name -> accepted values (`tags`: any of them; `guest`:
    [True] or [False]); `targets`: priority -> metric -> Target."""

    id: str
    position: int = 0
    warning_minutes: int = 0  # a warning this many schedule minutes before the due time
    conditions: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    targets: Mapping[str, Mapping[str, Target]] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Policy:
        return cls(
            id=doc["id"],
            position=int(doc.get("position", 0)),
            warning_minutes=int(doc.get("warning_minutes") or 0),
            conditions={
                k: list(v) if isinstance(v, list | tuple) else [v]
                for k, v in (doc.get("conditions") or {}).items()
                if v is not None and v != []
            },
            targets={
                prio: {
                    m: Target(int(t["minutes"]), t.get("schedule") or CALENDAR)
                    for m, t in metrics.items()
                    if t
                }
                for prio, metrics in (doc.get("targets") or {}).items()
            },
        )


def facts(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """A ticket's values for the match conditions."""
    return {
        "priority": ticket.get("priority"),
        "category": ticket.get("category_id"),
        "department": ticket.get("department_id"),
        "organization": ticket.get("org_id"),
        "guest": bool(ticket.get("guest")),
        "tags": list(ticket.get("tags") or ()),
    }


def matches(policy: Policy, ticket: Mapping[str, Any]) -> bool:
    values = facts(ticket)
    for name, accepted in policy.conditions.items():
        if not accepted:
            continue
        if name == "tags":
            if not set(values["tags"]) & set(accepted):
                return False
        elif values.get(name) not in accepted:
            return False
    return True


def applicable(policies: Iterable[Policy], ticket: Mapping[str, Any]) -> Policy | None:
    """The first policy (by position, then id) whose conditions all match."""
    for policy in sorted(policies, key=lambda p: (p.position, p.id)):
        if matches(policy, ticket):
            return policy
    return None


def _sched(schedules: Mapping[str, bh.Schedule], schedule_id: str) -> bh.Schedule:
    return schedules.get(schedule_id, bh.CALENDAR)


def _secs(minutes: float) -> int:
    return round(minutes * 60)


def advance(
    sla: Mapping[str, Any] | None,
    ticket: Mapping[str, Any],
    at: datetime,
    happenings: Sequence[Happening],
    prev_status: str | None,
    policies: Sequence[Policy],
    schedules: Mapping[str, bh.Schedule],
    warn_minutes: int | None = None,
) -> dict[str, Any]:
    """The SLA state after one ticket change at `at` (`ticket`: the ticket after it). The
    warning lead is the applicable policy's `warning_minutes` unless `warn_minutes` says."""
    metrics: dict[str, dict[str, Any]] = {
        name: dict(m) for name, m in ((sla or {}).get("metrics") or {}).items()
    }
    status = str(ticket.get("status") or "open")
    _settle(metrics, schedules, at)
    _happen(metrics, happenings, iso(at))
    _status(metrics, status, prev_status, "created" in happenings, at)
    policy = applicable(policies, ticket)
    targets = policy.targets.get(str(ticket.get("priority")), {}) if policy else {}
    if warn_minutes is None:
        warn_minutes = policy.warning_minutes if policy else 0
    for name, m in metrics.items():
        if m.get("stopped_at"):
            continue  # a fulfilled cycle keeps the target it was measured against
        target = targets.get(name)
        m["target"] = target.minutes if target else None
        if target:
            m["schedule"] = target.schedule
        _due(m, schedules, warn_minutes)
    out: dict[str, Any] = {"policy_id": policy.id if policy else None, "metrics": metrics}
    out["next_at"] = next_at(out)
    return out


def _settle(
    metrics: dict[str, dict[str, Any]], schedules: Mapping[str, bh.Schedule], at: datetime
) -> None:
    """Count every running clock's open time up to `at`, in the schedule it ran in."""
    for m in metrics.values():
        if m.get("since"):
            s = _sched(schedules, m.get("schedule") or CALENDAR)
            m["spent"] = int(m.get("spent", 0)) + _secs(bh.elapsed(s, parse(m["since"]), at))
            m["since"] = iso(at)


def _happen(metrics: dict[str, dict[str, Any]], happenings: Sequence[Happening], now: str) -> None:
    for what in happenings:
        if what == "created":
            metrics["first_reply"] = _start(1, now)
            metrics["resolution"] = _start(1, now)
        elif what == "customer_message":
            fr, nr = metrics.get("first_reply"), metrics.get("next_reply")
            answered = fr is None or fr.get("stopped_at")
            if answered and (nr is None or nr.get("stopped_at")):
                metrics["next_reply"] = _start(int((nr or {}).get("cycle", 0)) + 1, now, nr)
        elif what == "staff_reply":
            for name in ("first_reply", "next_reply"):
                m = metrics.get(name)
                if m and not m.get("stopped_at"):
                    _stop(m, now)
        # a note changes nothing


def _status(
    metrics: dict[str, dict[str, Any]],
    status: str,
    prev_status: str | None,
    created: bool,
    at: datetime,
) -> None:
    """Stop on resolved/closed, a new resolution cycle on reopen, pause while waiting."""
    now = iso(at)
    if status in STOPPED_STATUSES:
        for m in metrics.values():
            if not m.get("stopped_at"):
                _stop(m, now)
        return
    if prev_status in STOPPED_STATUSES and not created:
        old = metrics.get("resolution")
        metrics["resolution"] = _start(int((old or {}).get("cycle", 0)) + 1, now, old)
    for m in metrics.values():
        if m.get("stopped_at"):
            continue
        if status == WAITING and m.get("since"):
            m["since"], m["paused_since"] = None, now
        elif status != WAITING and not m.get("since"):
            if m.get("paused_since"):
                waited = (at - parse(m["paused_since"])).total_seconds()
                m["paused"] = int(m.get("paused", 0)) + int(waited)
            m["since"], m["paused_since"] = now, None


def _start(cycle: int, now: str, old: Mapping[str, Any] | None = None) -> dict[str, Any]:
    return {
        "cycle": cycle,
        "started_at": now,
        "target": (old or {}).get("target"),
        "schedule": (old or {}).get("schedule") or CALENDAR,
        "spent": 0,
        "since": now,
        "paused": 0,
        "paused_since": None,
        "due_at": None,
        "warn_at": None,
        "stopped_at": None,
        "met": None,
        # a new cycle may warn and breach again; the fired cycles stay as they were
        "warned": int((old or {}).get("warned", 0)),
        "breached": int((old or {}).get("breached", 0)),
    }


def _stop(m: dict[str, Any], now: str) -> None:
    if m.get("paused_since"):
        m["paused"] = int(m.get("paused", 0)) + int(
            (parse(now) - parse(m["paused_since"])).total_seconds()
        )
    target = m.get("target")
    m["met"] = None if target is None else int(m.get("spent", 0)) <= int(target) * 60
    m["stopped_at"], m["since"], m["paused_since"] = now, None, None
    m["warn_at"] = None


def _due(m: dict[str, Any], schedules: Mapping[str, bh.Schedule], warn_minutes: int) -> None:
    target = m.get("target")
    if target is None or not m.get("since"):
        m["due_at"] = m["warn_at"] = None
        return
    s = _sched(schedules, m.get("schedule") or CALENDAR)
    left = (int(target) * 60 - int(m.get("spent", 0))) / 60
    # past the target already: the instant it was reached, not now (never moved later)
    due = bh.add(s, parse(m["since"]), left)
    m["due_at"] = iso(due)
    if warn_minutes and left > warn_minutes:
        m["warn_at"] = iso(bh.subtract(s, due, warn_minutes))
    else:
        m["warn_at"] = None


def next_at(sla: Mapping[str, Any]) -> str | None:
    """The earliest instant the sweep has something to do for this ticket: a warning or a
    breach not yet fired for its metric's cycle (the due list's sort key)."""
    times = [t for m in (sla.get("metrics") or {}).values() for t in _pending(m)]
    return min(times) if times else None


def _pending(m: Mapping[str, Any]) -> list[str]:
    if m.get("stopped_at") or not m.get("since") or not m.get("due_at"):
        return []
    cycle = int(m.get("cycle", 0))
    out = []
    if m.get("warn_at") and int(m.get("warned", 0)) < cycle:
        out.append(m["warn_at"])
    if int(m.get("breached", 0)) < cycle:
        out.append(m["due_at"])
    return out


def time_left(m: Mapping[str, Any], schedules: Mapping[str, bh.Schedule], at: datetime) -> int:
    """Open seconds left before the target (negative once past it)."""
    target = int(m["target"]) * 60
    spent = int(m.get("spent", 0))
    if m.get("since"):
        s = _sched(schedules, m.get("schedule") or CALENDAR)
        spent += _secs(bh.elapsed(s, parse(m["since"]), at))
    return target - spent


def state(m: Mapping[str, Any], schedules: Mapping[str, bh.Schedule], at: datetime) -> str:
    """active, paused (waiting, or outside the schedule's hours), fulfilled or breached."""
    if m.get("stopped_at"):
        return "fulfilled"
    if m.get("target") is None:
        return "paused" if not m.get("since") else "active"
    if time_left(m, schedules, at) <= 0:
        return "breached"
    if not m.get("since"):
        return "paused"
    s = _sched(schedules, m.get("schedule") or CALENDAR)
    return "active" if bh.is_open(s, at) else "paused"


def view(
    sla: Mapping[str, Any] | None, schedules: Mapping[str, bh.Schedule], at: datetime
) -> dict[str, Any]:
    """The staff view: for each metric with a target, its target, due, state, time left."""
    out: dict[str, Any] = {}
    for name in METRICS:
        m = ((sla or {}).get("metrics") or {}).get(name)
        if not m or m.get("target") is None:
            continue
        left = None if m.get("stopped_at") else time_left(m, schedules, at)
        out[name] = {
            "target_minutes": int(m["target"]),
            "schedule": m.get("schedule") or CALENDAR,
            "cycle": int(m.get("cycle", 1)),
            "due_at": m.get("due_at"),
            "state": state(m, schedules, at),
            "time_left_minutes": None if left is None else left // 60,
            "met": m.get("met"),
            "fulfilled_at": m.get("stopped_at"),
        }
    return out


@dataclass(frozen=True)
class Firing:
    """One event the sweep fires: `sla.warning` or `sla.breached` for a metric's cycle."""

    type: Literal["sla.warning", "sla.breached"]
    metric: str
    cycle: int
    due_at: str
    schedule: str
    target: int


def due_firings(
    sla: Mapping[str, Any], schedules: Mapping[str, bh.Schedule], at: datetime
) -> list[Firing]:
    """What the sweep fires for this ticket at `at`: a breach for each running metric at or
    past its due time and not yet breached in this cycle; a warning for each at or past its
    warning time, not warned, not due yet, and only while its schedule is open (never at
    night or on a weekend). A late sweep fires the breach alone: a warning after the due
    time would be back-dated news."""
    out: list[Firing] = []
    for name in METRICS:
        m = (sla.get("metrics") or {}).get(name)
        if not m or m.get("stopped_at") or not m.get("due_at") or not m.get("since"):
            continue
        cycle = int(m.get("cycle", 1))
        s = _sched(schedules, m.get("schedule") or CALENDAR)
        common = {
            "metric": name,
            "cycle": cycle,
            "due_at": m["due_at"],
            "schedule": m.get("schedule") or CALENDAR,
            "target": int(m["target"]),
        }
        if at >= parse(m["due_at"]):
            if int(m.get("breached", 0)) < cycle:
                out.append(Firing(type="sla.breached", **common))
        elif (
            m.get("warn_at")
            and at >= parse(m["warn_at"])
            and int(m.get("warned", 0)) < cycle
            and bh.is_open(s, at)
        ):
            out.append(Firing(type="sla.warning", **common))
    return out


def mark_fired(sla: Mapping[str, Any], firings: Sequence[Firing]) -> dict[str, Any]:
    """The state once `firings` fired: a breach also marks the warning (a warning after the
    breach would be old news)."""
    metrics = {name: dict(m) for name, m in (sla.get("metrics") or {}).items()}
    for f in firings:
        m = metrics[f.metric]
        if f.type == "sla.breached":
            m["breached"] = m["warned"] = max(int(m.get("breached", 0)), f.cycle)
        else:
            m["warned"] = max(int(m.get("warned", 0)), f.cycle)
    out = {**sla, "metrics": metrics}
    out["next_at"] = next_at(out)
    return out

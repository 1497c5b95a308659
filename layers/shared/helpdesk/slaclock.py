"""The SLA state on the ticket (issue 23): `track` moves a ticket's metric clocks
(helpdesk.sla) in the write path of every ticket change, before the ticket is written, so
the state travels in the change's own transaction (no extra item; the ticket item grows
by the state). A change that touches nothing the clocks or the policy match read (a read
marker, a rating) leaves the state as it is and reads nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from helpdesk import business_hours, sla
from helpdesk.clock import now, parse
from helpdesk.domain import Message, Side, Ticket
from helpdesk.store import schedules as store_schedules
from helpdesk.store import sla as store_sla

# what the clocks (status) and the policy conditions read
WATCHED = ("status", "priority", "category_id", "department_id", "org_id", "guest", "tags")


def happenings(old: Ticket | None, messages: Sequence[Message]) -> list[sla.Happening]:
    """What the change's messages mean for the clocks (a new ticket's first message is
    its creation)."""
    out: list[sla.Happening] = ["created"] if old is None else []
    for m in messages if old is not None else ():
        if m.internal:
            out.append("note")
        elif m.side == Side.STAFF:
            out.append("staff_reply")
        else:
            out.append("customer_message")
    return out


def track(old: Ticket | None, new: Ticket, messages: Sequence[Message] = ()) -> Ticket:
    """`new` with its SLA state moved to now (one read of the SLA configuration: the
    policies and business-hours items)."""
    what = happenings(old, messages)
    if old is not None and not what and all(getattr(old, f) == getattr(new, f) for f in WATCHED):
        return new
    policies, schedules = config()
    prior = None
    if old is not None:
        prior = old.sla if old.sla is not None else seed(old, policies, schedules)
    state = sla.advance(
        prior,
        new.model_dump(mode="json"),
        now(),
        what,
        str(old.status) if old is not None else None,
        policies,
        schedules,
    )
    return new.model_copy(update={"sla": compact(state)})


def seed(
    old: Ticket, policies: Sequence[sla.Policy], schedules: Mapping[str, business_hours.Schedule]
) -> dict[str, Any]:
    """The clocks of a ticket written before service levels existed (no `sla` yet), rebuilt
    from what it records: its creation (first reply and resolution), its first response
    (`first_response_seconds`), its oldest unanswered customer message (`waiting_since`: next
    reply), its resolution (`resolved_at` while resolved or closed). Its paused time before is
    not recorded: a ticket `waiting` now is paused from its last update, earlier waits count
    as running (the due times can only be earlier than exact ones)."""
    t = old.model_dump(mode="json")
    running = {**t, "status": "open"}
    created = parse(old.created_at)
    steps: list[tuple[datetime, list[sla.Happening]]] = [(created, ["created"])]
    if old.first_response_seconds is not None:
        answered = created + timedelta(seconds=old.first_response_seconds)
        steps.append((answered, ["staff_reply"]))
        if old.waiting_since:
            steps.append((max(parse(old.waiting_since), answered), ["customer_message"]))
    state: dict[str, Any] | None = None
    prev: str | None = None
    for at, what in steps:
        state = sla.advance(state, running, at, what, prev, policies, schedules)
        prev = "open"
    if str(old.status) in sla.STOPPED_STATUSES or str(old.status) == sla.WAITING:
        stopped = old.resolved_at if str(old.status) in sla.STOPPED_STATUSES else None
        at = parse(stopped or old.updated_at)
        state = sla.advance(state, t, at, [], "open", policies, schedules)
    return state or {}


def config() -> tuple[list[sla.Policy], dict[str, business_hours.Schedule]]:
    """The engine's policies (in order) and schedules, from the stored documents; a schedule
    that no longer parses counts as calendar hours (a clock never stops on it)."""
    policies_doc, hours_doc = store_sla.get_config()
    stored = sorted(
        (policies_doc or {}).get("policies") or [],
        key=lambda p: (p["position"], p["created_at"], p["id"]),
    )
    policies = [sla.Policy.from_doc({**d, "position": n}) for n, d in enumerate(stored)]
    return policies, _schedules(hours_doc)


def _schedules(hours_doc: dict[str, Any] | None) -> dict[str, business_hours.Schedule]:
    schedules: dict[str, business_hours.Schedule] = {}
    for doc in (hours_doc or {}).get("schedules", []):
        try:
            schedules[doc["id"]] = business_hours.from_doc(doc)
        except business_hours.ScheduleError:
            continue
    return schedules


def schedules_for(state: dict[str, Any] | None) -> dict[str, business_hours.Schedule]:
    """The schedules a state's metrics count in (none read when all are calendar hours)."""
    named = {
        m.get("schedule")
        for m in ((state or {}).get("metrics") or {}).values()
        if m.get("schedule") not in (None, sla.CALENDAR)
    }
    return _schedules(store_schedules.get_business_hours()) if named else {}


def view(state: dict[str, Any] | None, at: datetime | None = None) -> dict[str, Any] | None:
    """The staff view of a ticket's SLA state (None: no metric has a target)."""
    if not state:
        return None
    metrics = sla.view(state, schedules_for(state), at or now())
    return {"policy_id": state.get("policy_id"), "metrics": metrics} if metrics else None


def compact(state: dict[str, Any]) -> dict[str, Any]:
    """The state without its empty fields (the ticket item's size is its write cost)."""
    return {
        "policy_id": state.get("policy_id"),
        "next_at": state.get("next_at"),
        "metrics": {
            name: {k: v for k, v in m.items() if v is not None}
            for name, m in (state.get("metrics") or {}).items()
        },
    }

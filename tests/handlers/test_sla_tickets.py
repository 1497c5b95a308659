"""Service levels on the ticket (issue 23): the SLA state moves in the write path of every
ticket change and the staff view shows it; what it costs per change."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import CallLog, call

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_1630 = datetime(2026, 11, 27, 16, 30, tzinfo=BERLIN)
ADMIN: dict[str, Any] = {"user": "adam", "roles": "admin"}
AGENT: dict[str, Any] = {"user": "agnes", "roles": "agent"}
OFFICE = {
    "id": "office",
    "name": "Berlin office",
    "timezone": "Europe/Berlin",
    "hours": {d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")},
}
URGENT = {
    "name": "Urgent: one business hour",
    "conditions": {"priority": ["urgent"]},
    "warning_minutes": 15,
    "targets": {
        "urgent": {
            "first_reply": {"minutes": 60, "schedule": "office"},
            "next_reply": {"minutes": 60, "schedule": "office"},
            "resolution": {"minutes": 480, "schedule": "office"},
        }
    },
}


@contextmanager
def configured(policy: dict[str, Any]) -> Iterator[time_machine.Traveller]:
    """Friday 16:30 in Berlin (a clock the test moves), the office's hours and `policy`."""
    with time_machine.travel(FRIDAY_1630, tick=False) as traveller:
        assert call("admin_put_business_hours", **ADMIN, body={"schedules": [OFFICE]})[0] == 200
        assert call("admin_create_sla_policy", **ADMIN, body=policy)[0] == 201
        yield traveller


@pytest.fixture
def clock(aws: None) -> Iterator[time_machine.Traveller]:
    with configured(URGENT) as traveller:
        yield traveller


def open_ticket(priority: str = "urgent") -> dict[str, Any]:
    """Carl's ticket, opened by an agent at `priority`."""
    body = {
        "requester": {"email": "carl@example.com", "name": "Carl"},
        "subject": "Server down",
        "message": "Nothing answers.",
        "priority": priority,
    }
    status, ticket, _ = call("admin_create_ticket", **AGENT, body=body)
    assert status == 201, ticket
    return ticket


def _view(ticket_id: str) -> dict[str, Any]:
    status, ticket, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": ticket_id})
    assert status == 200, ticket
    return ticket


def _reply(ticket_id: str, *, internal: bool = False, **extra: Any) -> None:
    body = {"message": "on it", "internal": internal, **extra}
    status, out, _ = call("admin_reply_ticket", **AGENT, path={"ticket_id": ticket_id}, body=body)
    assert status == 201, out


def _customer_reply(ticket_id: str) -> None:
    requester = _view(ticket_id)["requester"]["user_id"]
    status, out, _ = call(
        "reply_ticket",
        user=requester,
        path={"ticket_id": ticket_id},
        body={"message": "still down"},
    )
    assert status == 201, out


def _etag(ticket_id: str) -> str:
    return str(_view(ticket_id)["etag"])


def _patch(ticket_id: str, **change: Any) -> dict[str, Any]:
    status, out, _ = call(
        "admin_update_ticket",
        **AGENT,
        path={"ticket_id": ticket_id},
        body=change,
        headers={"if-match": _etag(ticket_id)},
    )
    assert status == 200, out
    return out


def test_friday_1630_first_reply_is_due_monday_0930_a_note_leaves_it_a_reply_fulfils_it(
    clock: time_machine.Traveller,
) -> None:
    ticket = open_ticket()
    assert ticket["sla"]["metrics"]["first_reply"]["due_at"] == "2026-11-30T08:30:00.000000Z"
    sla = _view(ticket["id"])["sla"]
    first = sla["metrics"]["first_reply"]
    assert (first["state"], first["time_left_minutes"], first["target_minutes"]) == (
        "active",
        60,
        60,
    )
    assert sla["metrics"]["resolution"]["due_at"] is not None
    assert "next_reply" not in sla["metrics"]
    # Saturday: closed, the clock waits
    clock.move_to(FRIDAY_1630 + timedelta(days=1))
    first = _view(ticket["id"])["sla"]["metrics"]["first_reply"]
    assert (first["state"], first["time_left_minutes"]) == ("paused", 30)
    # Monday 09:10: an internal note does not stop the clock
    clock.move_to(datetime(2026, 11, 30, 9, 10, tzinfo=BERLIN))
    _reply(ticket["id"], internal=True)
    first = _view(ticket["id"])["sla"]["metrics"]["first_reply"]
    assert first["state"] == "active" and first["time_left_minutes"] == 20
    # 09:20: a public reply fulfils it, within the target
    clock.move_to(datetime(2026, 11, 30, 9, 20, tzinfo=BERLIN))
    _reply(ticket["id"])
    first = _view(ticket["id"])["sla"]["metrics"]["first_reply"]
    assert (first["state"], first["met"]) == ("fulfilled", True)
    assert first["fulfilled_at"] == "2026-11-30T08:20:00.000000Z"


def test_waiting_pauses_next_reply_and_a_policy_change_keeps_the_time_spent(
    clock: time_machine.Traveller,
) -> None:
    clock.move_to(datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN))
    ticket = open_ticket()
    _reply(ticket["id"])
    clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN))
    _customer_reply(ticket["id"])
    nxt = _view(ticket["id"])["sla"]["metrics"]["next_reply"]
    assert nxt["due_at"] == "2026-11-30T10:00:00.000000Z"  # 11:00 Berlin
    clock.move_to(datetime(2026, 11, 30, 10, 20, tzinfo=BERLIN))
    _patch(ticket["id"], status="waiting")
    nxt = _view(ticket["id"])["sla"]["metrics"]["next_reply"]
    assert (nxt["state"], nxt["due_at"], nxt["time_left_minutes"]) == ("paused", None, 40)
    clock.move_to(datetime(2026, 11, 30, 14, 0, tzinfo=BERLIN))
    _patch(ticket["id"], status="open")
    nxt = _view(ticket["id"])["sla"]["metrics"]["next_reply"]
    assert nxt["due_at"] == "2026-11-30T13:40:00.000000Z"  # 14:40 Berlin: 40 minutes left
    # the priority drops out of the policy: no targets, the clocks keep running untargeted
    # (the fulfilled first reply keeps the target it was measured against)
    _patch(ticket["id"], priority="high")
    sla = _view(ticket["id"])["sla"]
    assert sla["policy_id"] is None and list(sla["metrics"]) == ["first_reply"]
    clock.move_to(datetime(2026, 11, 30, 14, 10, tzinfo=BERLIN))
    _patch(ticket["id"], priority="urgent")  # back: the 10 minutes since count
    nxt = _view(ticket["id"])["sla"]["metrics"]["next_reply"]
    assert nxt["due_at"] == "2026-11-30T13:40:00.000000Z" and nxt["time_left_minutes"] == 30


def test_resolving_fulfils_resolution_and_reopening_starts_a_new_cycle(
    clock: time_machine.Traveller,
) -> None:
    clock.move_to(datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN))
    ticket = open_ticket()
    clock.move_to(datetime(2026, 11, 30, 11, 0, tzinfo=BERLIN))
    _patch(ticket["id"], status="resolved")
    res = _view(ticket["id"])["sla"]["metrics"]["resolution"]
    assert (res["state"], res["met"], res["cycle"]) == ("fulfilled", True, 1)
    clock.move_to(datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN))
    _patch(ticket["id"], status="open")
    res = _view(ticket["id"])["sla"]["metrics"]["resolution"]
    assert (res["state"], res["cycle"]) == ("active", 2)
    assert res["due_at"] == "2026-12-01T11:00:00.000000Z"  # 8 business hours from Mon 12:00


def test_what_sla_adds_to_a_ticket_change(
    clock: time_machine.Traveller, aws_calls: CallLog
) -> None:
    ticket = open_ticket()
    aws_calls.clear()
    _reply(ticket["id"])
    ops = aws_calls.operations()
    # the SLA configuration: two GetItems (policies, business hours); nothing more is written
    sla_reads = [
        p["Key"]["SK"]["S"]
        for _, op, p in aws_calls.calls
        if op == "GetItem" and p["Key"]["PK"]["S"] == "CONFIG"
    ]
    assert sorted(sla_reads) == ["BUSINESS_HOURS", "SLA_POLICIES"], ops
    (tx,) = [p for _, op, p in aws_calls.calls if op == "TransactWriteItems"]
    assert len(tx["TransactItems"]) <= 10
    # a read marker touches nothing the clocks read: no SLA read at all
    aws_calls.clear()
    status, _, _ = call("admin_read_ticket", **AGENT, path={"ticket_id": ticket["id"]})
    assert status == 200
    assert not [
        p for _, op, p in aws_calls.calls if op == "GetItem" and p["Key"]["PK"]["S"] == "CONFIG"
    ]


def test_a_ticket_from_before_service_levels_gets_its_clocks_from_what_it_records(
    clock: time_machine.Traveller,
) -> None:
    from helpdesk.store import codec, keys

    # Given an urgent ticket opened Monday 09:00, answered at 09:20, the customer writing
    # again at 09:40, as written before SLA existed (no `sla` on the item)
    clock.move_to(datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN))
    ticket = open_ticket()
    clock.move_to(datetime(2026, 11, 30, 9, 20, tzinfo=BERLIN))
    _reply(ticket["id"])
    clock.move_to(datetime(2026, 11, 30, 9, 40, tzinfo=BERLIN))
    _customer_reply(ticket["id"])
    codec.client().update_item(
        TableName=codec.table(), Key=keys.ticket(ticket["id"]).av(), UpdateExpression="REMOVE sla"
    )
    assert _view(ticket["id"])["sla"] is None
    # When it next changes (10:00, a tag)
    clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN))
    _patch(ticket["id"], tags=["legacy"])
    # Then its clocks are rebuilt: first reply met at 09:20, next reply due 10:40
    metrics = _view(ticket["id"])["sla"]["metrics"]
    assert (metrics["first_reply"]["state"], metrics["first_reply"]["met"]) == ("fulfilled", True)
    assert metrics["next_reply"]["due_at"] == "2026-11-30T09:40:00.000000Z"
    assert metrics["resolution"]["due_at"] == "2026-11-30T16:00:00.000000Z"  # 8 h from 09:00

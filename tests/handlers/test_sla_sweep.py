"""The SLA sweep (issue 23): the due lists the indexer keeps, warnings and breaches fired
once per metric and cycle, never back-dated, never for a fulfilled metric, reading only the
due tickets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import time_machine

from local.schedules import scheduled_event
from tests.conftest import CallLog, call, invoke_mapped, settle
from tests.handlers.test_sla_tickets import (
    ADMIN,
    AGENT,
    BERLIN,
    FRIDAY_1630,
    configured,
    open_ticket,
)
from tests.handlers.test_webhooks import webhook_env  # noqa: F401  (a fixture)

URGENT = {
    "name": "Urgent: one business hour",
    "conditions": {"priority": ["urgent"]},
    "warning_minutes": 15,
    "targets": {"urgent": {"first_reply": {"minutes": 60, "schedule": "office"}}},
}


@pytest.fixture
def clock(aws: None) -> Iterator[time_machine.Traveller]:
    with configured(URGENT) as traveller:
        yield traveller


def _open(priority: str = "urgent") -> str:
    return str(open_ticket(priority)["id"])


def sweep(at: datetime) -> dict[str, int]:
    out: dict[str, int] = invoke_mapped("SlaSweepFunction", scheduled_event("SlaSweepFunction", at))
    settle()
    return out


def _sla_events(ticket_id: str) -> list[tuple[str, dict[str, Any]]]:
    status, page, _ = call("admin_list_events", **AGENT, path={"ticket_id": ticket_id})
    assert status == 200, page
    return [(e["type"], e["data"]) for e in page["items"] if e["type"].startswith("sla_")]


def test_a_warning_and_a_breach_each_fire_once_when_the_sweep_runs_twice(
    clock: time_machine.Traveller,
) -> None:
    ticket_id = _open()  # due Monday 09:30, warned at 09:15
    assert sweep(FRIDAY_1630)["fired"] == 0
    clock.move_to(datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN))  # Saturday: nothing
    assert sweep(datetime.now())["fired"] == 0
    clock.move_to(datetime(2026, 11, 30, 9, 16, tzinfo=BERLIN))
    first = sweep(datetime.now())
    assert (first["warnings"], first["breaches"], first["read"]) == (1, 0, 1)
    assert sweep(datetime.now())["fired"] == 0  # twice: nothing new, and nothing due to read
    clock.move_to(datetime(2026, 11, 30, 9, 45, tzinfo=BERLIN))
    late = sweep(datetime.now())
    assert (late["warnings"], late["breaches"]) == (0, 1)
    assert sweep(datetime.now())["read"] == 0
    events = _sla_events(ticket_id)
    assert [t for t, _ in events] == ["sla_warning", "sla_breached"]
    warning, breach = (d for _, d in events)
    assert warning["metric"] == "first_reply" and warning["due_at"] == "2026-11-30T08:30:00.000000Z"
    # the staff view shows the breach; the change feed carries both public types
    status, ticket, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": ticket_id})
    assert ticket["sla"]["metrics"]["first_reply"]["state"] == "breached"
    status, feed, _ = call("admin_list_changes", **ADMIN, query={"limit": "100"})
    assert status == 200, feed
    types = [i["type"] for i in feed["items"] if i["ticket_id"] == ticket_id]
    assert "sla.warning" in types and "sla.breached" in types
    sla_items = [i for i in feed["items"] if i["type"] == "sla.breached"]
    assert sla_items[0]["data"]["metric"] == "first_reply"
    # never back-dated: the breach is at the sweep's time, not at the due time
    assert sla_items[0]["occurred_at"] == "2026-11-30T08:45:00.000000Z"


def test_never_for_a_fulfilled_metric(clock: time_machine.Traveller) -> None:
    ticket_id = _open()
    clock.move_to(datetime(2026, 11, 30, 9, 20, tzinfo=BERLIN))
    body = {"message": "on it"}
    assert call("admin_reply_ticket", **AGENT, path={"ticket_id": ticket_id}, body=body)[0] == 201
    clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN))
    out = sweep(datetime.now())
    assert (out["fired"], out["read"]) == (0, 0)
    assert _sla_events(ticket_id) == []


def test_the_sweep_reads_only_the_due_tickets(
    clock: time_machine.Traveller, aws_calls: CallLog
) -> None:
    due = _open()
    for _ in range(5):
        _open(priority="normal")  # no target: never on the due lists
    clock.move_to(datetime(2026, 11, 30, 9, 40, tzinfo=BERLIN))
    _open()  # due Monday 10:40: on the lists, not due yet
    aws_calls.clear()
    out = sweep(datetime.now())
    assert (out["read"], out["breaches"], out["queries"]) == (1, 1, 1)
    ops = aws_calls.operations()
    # the configuration (2), one Query of the due list, the due ticket's read and write
    assert ops.count("Query") == 1 and ops.count("TransactWriteItems") == 1, ops
    assert ops.count("GetItem") == 3, ops
    assert not [op for op in ops if op.startswith("Scan")]
    assert [t for t, _ in _sla_events(due)] == ["sla_breached"]


def test_the_queue_filters_breached_and_due_within_and_sorts_by_nearest_due(
    clock: time_machine.Traveller,
) -> None:
    clock.move_to(datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN))
    late = _open()  # due 10:00
    clock.move_to(datetime(2026, 11, 30, 9, 30, tzinfo=BERLIN))
    soon = _open()  # due 10:30
    clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=BERLIN))
    later = _open()  # due 11:00
    _open(priority="normal")  # no target: on no due list
    clock.move_to(datetime(2026, 11, 30, 10, 10, tzinfo=BERLIN))

    def ids(**query: str) -> list[str]:
        status, page, _ = call("admin_list_tickets", **AGENT, query=query)
        assert status == 200, page
        assert page["total"] is None
        return [t["id"] for t in page["items"]]

    assert ids(sla="breached") == [late]
    assert ids(sla="due_within:30") == [soon]
    assert ids(sla="due_within:60") == [soon, later]
    assert ids(sort="due") == [late, soon, later]
    assert ids(sort="due", limit="1") == [late]
    # other filters are checked on the due list's tickets
    assert ids(sla="due_within:60", priority="high") == []
    # a reply fulfils the first reply: off the due lists (no metric left running)
    body = {"message": "on it"}
    assert call("admin_reply_ticket", **AGENT, path={"ticket_id": late}, body=body)[0] == 201
    assert ids(sla="breached") == []
    status, page, _ = call("admin_list_tickets", **AGENT, query={"sla": "soon"})
    assert status == 422 and page["code"] == "VALIDATION_FAILED"


def test_warnings_and_breaches_mail_the_assignee_or_the_departments_agents(
    clock: time_machine.Traveller,
) -> None:
    from tests.handlers.test_notifications import agents, outbox, text, to

    dep = agents("ann", "ben")
    body = {
        "requester": {"email": "carl@example.com", "name": "Carl"},
        "subject": "Server down",
        "message": "Nothing answers.",
        "priority": "urgent",
        "department_id": dep,
    }
    status, ticket, _ = call("admin_create_ticket", **AGENT, body=body)
    assert status == 201, ticket
    before = len(outbox())
    clock.move_to(datetime(2026, 11, 30, 9, 16, tzinfo=BERLIN))
    assert sweep(datetime.now())["warnings"] == 1
    clock.move_to(datetime(2026, 11, 30, 9, 31, tzinfo=BERLIN))
    assert sweep(datetime.now())["breaches"] == 1
    assert sweep(datetime.now())["fired"] == 0
    new = outbox()[before:]
    for who in ("ann", "ben"):
        mine = to(new, f"{who}@example.com")
        assert ["about to miss" in text(m) for m in mine] == [True, False], [text(m) for m in mine]
        assert "missed its first reply target of 60 minutes" in text(mine[1])
    assert to(new, "carl@example.com") == []  # never the customer


def test_the_report_counts_met_and_missed_targets_per_priority_and_agent_and_as_csv(
    clock: time_machine.Traveller,
) -> None:
    clock.move_to(datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN))
    met, missed, running = _open(), _open(), _open()
    _open(priority="normal")  # no target: not in the report
    clock.move_to(datetime(2026, 11, 30, 9, 30, tzinfo=BERLIN))
    reply = {"message": "on it"}
    assert call("admin_reply_ticket", **AGENT, path={"ticket_id": met}, body=reply)[0] == 201
    clock.move_to(datetime(2026, 11, 30, 10, 30, tzinfo=BERLIN))
    assert call("admin_reply_ticket", **AGENT, path={"ticket_id": missed}, body=reply)[0] == 201
    assert sweep(datetime.now())["breaches"] == 1  # the third, still unanswered
    period = {"from": "2026-11-30T00:00:00Z", "to": "2026-12-01T00:00:00Z"}
    status, report, _ = call("admin_sla_report", **AGENT, query=period)
    assert status == 200, report
    assert report["from"] == "2026-11-30T00:00:00.000000Z" and report["tickets"] == 3
    first = report["overall"]["first_reply"]
    assert (first["met"], first["missed"], first["open"], first["share"]) == (1, 2, 0, 0.3333)
    assert [g["key"] for g in report["by_priority"]] == ["urgent"]
    assert [g["key"] for g in report["by_agent"]] == ["unassigned"]
    result = invoke_csv({**period, "format": "csv"})
    headers = {k.lower(): v for k, v in result["headers"].items()}
    assert headers["content-type"].startswith("text/csv")
    assert invoke_csv(period, accept="text/csv")["body"] == result["body"]
    lines = str(result["body"]).strip().split("\r\n")
    assert lines[0].startswith("ticket_id,number,priority,status,assignee_id")
    outcomes = {line.split(",")[0]: line for line in lines[1:]}
    assert set(outcomes) == {met, missed, running}
    assert ",met," in outcomes[met] and ",missed," in outcomes[running]
    status, body, _ = call("admin_sla_report", **AGENT, query={"from": "x", "to": "y"})
    assert status in (400, 422), body


def invoke_csv(query: dict[str, str], **headers: str) -> dict[str, Any]:
    from tests.conftest import invoke, make_event

    event = make_event("admin_sla_report", **AGENT, query=query, headers=headers)
    result = invoke("admin_sla_report", event)
    assert result["statusCode"] == 200, result
    return result


@pytest.mark.usefixtures("webhook_env")
def test_webhooks_subscribed_to_the_sla_types_receive_them(clock: time_machine.Traveller) -> None:
    from local.webhook_receiver import receiving
    from tests.handlers.test_webhooks import subscribe

    with receiving() as rx:
        subscribe(rx.url, ["sla.warning", "sla.breached"])
        ticket_id = _open()
        clock.move_to(datetime(2026, 11, 30, 9, 16, tzinfo=BERLIN))
        sweep(datetime.now())
        clock.move_to(datetime(2026, 11, 30, 9, 31, tzinfo=BERLIN))
        sweep(datetime.now())
        got = rx.wait_for(lambda r: len(r) >= 2, timeout=5)
    assert sorted(r.payload["type"] for r in got) == ["sla.breached", "sla.warning"]
    assert {r.payload["ticket_id"] for r in got} == {ticket_id}
    assert all(r.payload["data"]["metric"] == "first_reply" for r in got)

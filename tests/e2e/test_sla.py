"""Service levels through the runner (issue 23): the runner's clock lives "Friday 16:30 in
Berlin", the first reply of one business hour (Mon-Fri 09:00-17:00) is due Monday 09:30, an
internal note leaves it running, a public reply fulfils it, `waiting` pauses next reply, the
sweep (`POST /_local/schedules/SlaSweepFunction/run`) fires a warning and a breach once each
when run twice, and the report counts them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Runner, start_runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

RESPONSE_ONLY = ("open_now", "next_open", "public_holiday_dates")


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """A runner of its own: SLA policies and business hours are the desk's settings, which
    the other end-to-end tests change on the shared runner (the authorization matrix leaves
    policies that match every ticket; the first matching policy applies)."""
    with start_runner(tmp_path_factory.mktemp("sla")) as r:
        yield r


@pytest.fixture
def local(runner: Runner) -> Iterator[httpx.Client]:
    client = httpx.Client(base_url=runner.url, timeout=30)
    try:
        yield client
    finally:
        client.delete("/_local/clock")
        client.close()


def at(local: httpx.Client, when: str) -> None:
    answer = local.put("/_local/clock", json={"now": when})
    assert answer.status_code == 200, answer.text


def sweep(local: httpx.Client) -> dict[str, Any]:
    answer = local.post("/_local/schedules/SlaSweepFunction/run")
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()["result"]
    return result


def test_friday_afternoon_to_monday_warnings_breaches_and_the_report(
    runner: Runner, local: httpx.Client
) -> None:
    uid = uuid.uuid4().hex[:8]
    tag, schedule_id, customer = f"sla{uid}", f"berlin-{uid}", f"u{uid}"
    admin = runner.client(f"admin{uid}", "admin")
    agent = runner.client(f"agent{uid}", "agent")
    at(local, "2027-01-08T16:30:00+01:00")  # a Friday, 16:30 in Berlin
    # Given the office's hours and a policy for tagged high-priority tickets
    before = admin.get("/admin/business-hours").json()["schedules"]
    kept = [{k: v for k, v in s.items() if k not in RESPONSE_ONLY} for s in before]
    office = {
        "id": schedule_id,
        "name": "Berlin office",
        "timezone": "Europe/Berlin",
        "hours": {
            d: [{"start": "09:00", "end": "17:00"}] for d in ("mon", "tue", "wed", "thu", "fri")
        },
    }
    saved = admin.put("/admin/business-hours", json={"schedules": [*kept, office]})
    assert saved.status_code == 200, saved.text
    policy = admin.post(
        "/admin/sla-policies",
        json={
            "name": f"High, {tag}",
            "conditions": {"priority": ["high"], "tags": [tag]},
            "warning_minutes": 15,
            "targets": {
                "high": {
                    "first_reply": {"minutes": 60, "schedule": schedule_id},
                    "next_reply": {"minutes": 60, "schedule": schedule_id},
                }
            },
        },
    )
    assert policy.status_code == 201, policy.text
    try:
        # When a customer opens a high-priority ticket and an agent tags it at once
        with runner.client(customer) as me:
            opened = me.post(
                "/tickets", json={"subject": "Down", "message": "Help", "priority": "high"}
            )
            assert opened.status_code == 201, opened.text
            ticket_id = opened.json()["id"]
            etag = agent.get(f"/admin/tickets/{ticket_id}").headers["etag"]
            patched = agent.patch(
                f"/admin/tickets/{ticket_id}", json={"tags": [tag]}, headers={"If-Match": etag}
            )
            assert patched.status_code == 200, patched.text
            # Then its first reply is due Monday 09:30 in Berlin
            first = agent.get(f"/admin/tickets/{ticket_id}").json()["sla"]["metrics"]["first_reply"]
            # (the runner's clock advances from the set time: seconds later than 16:30:00)
            assert first["due_at"].startswith("2027-01-11T08:30:0"), first
            assert first["target_minutes"] == 60 and first["state"] == "active"
            # Monday 09:10: an internal note leaves the clock running
            at(local, "2027-01-11T09:10:00+01:00")
            note = agent.post(
                f"/admin/tickets/{ticket_id}/messages",
                json={"message": "checking", "internal": True},
            )
            assert note.status_code == 201, note.text
            first = agent.get(f"/admin/tickets/{ticket_id}").json()["sla"]["metrics"]["first_reply"]
            assert first["state"] == "active" and first["time_left_minutes"] in (19, 20), first
            # 09:16: the sweep warns once, however often it runs
            at(local, "2027-01-11T09:16:00+01:00")
            assert sweep(local)["warnings"] == 1
            assert sweep(local)["fired"] == 0
            # 09:20: a public reply fulfils the first reply
            at(local, "2027-01-11T09:20:00+01:00")
            reply = agent.post(f"/admin/tickets/{ticket_id}/messages", json={"message": "on it"})
            assert reply.status_code == 201, reply.text
            first = agent.get(f"/admin/tickets/{ticket_id}").json()["sla"]["metrics"]["first_reply"]
            assert (first["state"], first["met"]) == ("fulfilled", True)
            # 09:30: the customer answers (next reply: due 10:30); 09:45: waiting pauses it
            at(local, "2027-01-11T09:30:00+01:00")
            assert (
                me.post(
                    f"/tickets/{ticket_id}/messages", json={"message": "still down"}
                ).status_code
                == 201
            )
            at(local, "2027-01-11T09:45:00+01:00")
            etag = agent.get(f"/admin/tickets/{ticket_id}").headers["etag"]
            waiting = agent.patch(
                f"/admin/tickets/{ticket_id}",
                json={"status": "waiting"},
                headers={"If-Match": etag},
            )
            assert waiting.status_code == 200, waiting.text
            at(local, "2027-01-11T11:00:00+01:00")
            nxt = agent.get(f"/admin/tickets/{ticket_id}").json()["sla"]["metrics"]["next_reply"]
            assert (nxt["state"], nxt["due_at"]) == ("paused", None)
            assert nxt["time_left_minutes"] in (44, 45), nxt
            assert sweep(local)["fired"] == 0  # paused: nothing due
            etag = agent.get(f"/admin/tickets/{ticket_id}").headers["etag"]
            resumed = agent.patch(
                f"/admin/tickets/{ticket_id}", json={"status": "open"}, headers={"If-Match": etag}
            )
            assert resumed.status_code == 200, resumed.text
            nxt = agent.get(f"/admin/tickets/{ticket_id}").json()["sla"]["metrics"]["next_reply"]
            assert nxt["due_at"].startswith("2027-01-11T10:45:0"), nxt  # 11:45 in Berlin
            # 11:50: late: the sweep breaches once (no warning after the due time)
            at(local, "2027-01-11T11:50:00+01:00")
            first_run, second_run = sweep(local), sweep(local)
            assert (first_run["breaches"], first_run["warnings"]) == (1, 0)
            assert second_run["fired"] == 0
        history = agent.get(f"/admin/tickets/{ticket_id}/events").json()["items"]
        fired = [(e["type"], e["data"]["metric"]) for e in history if e["type"].startswith("sla_")]
        assert fired == [("sla_warning", "first_reply"), ("sla_breached", "next_reply")]
        # And the report counts them: first reply met, next reply missed
        report = admin.get(
            "/admin/reports/sla",
            params={"from": "2027-01-08T00:00:00Z", "to": "2027-01-12T00:00:00Z"},
        )
        assert report.status_code == 200, report.text
        mine = [g for g in report.json()["by_priority"] if g["key"] == "high"]
        assert mine and mine[0]["first_reply"]["met"] >= 1 and mine[0]["next_reply"]["missed"] >= 1
        csv = admin.get(
            "/admin/reports/sla",
            params={"from": "2027-01-08T00:00:00Z", "to": "2027-01-12T00:00:00Z", "format": "csv"},
        )
        assert csv.headers["content-type"].startswith("text/csv")
        row = next(line for line in csv.text.splitlines() if line.startswith(ticket_id))
        assert ",met," in row and ",missed" in row
    finally:
        admin.delete(f"/admin/sla-policies/{policy.json()['id']}")
        admin.put("/admin/business-hours", json={"schedules": kept})


def test_the_runner_lists_and_runs_the_templates_scheduled_functions(local: httpx.Client) -> None:
    listed = local.get("/_local/schedules").json()
    assert listed["functions"]["SlaSweepFunction"]["rate_seconds"] == 60
    assert listed["ticking"] is False  # `--pump sync`: on demand only
    missing = local.post("/_local/schedules/NoSuchFunction/run")
    assert missing.status_code == 404 and missing.json()["code"] == "NO_SUCH_SCHEDULE"
    ran = local.post("/_local/schedules/SlaSweepFunction/run")
    assert ran.status_code == 200 and ran.json()["function"] == "SlaSweepFunction"

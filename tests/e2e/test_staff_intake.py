"""Staff open a ticket on a customer's behalf end to end (issue 22): a known customer sees it
in his list; an unknown e-mail becomes a guest; PATCH without If-Match applies."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_an_agent_opens_tickets_for_a_known_and_an_unknown_caller(runner: Runner) -> None:
    me = f"cust{uuid.uuid4().hex[:8]}"
    with runner.client(me) as customer, runner.client("agnes", "agent") as staff:
        # Given a customer whose account the desk knows (he opened a ticket before)
        first = customer.post("/tickets", json={"subject": "Hello", "message": "First"})
        assert first.status_code == 201, first.text
        email = customer.get("/me").json()["email"]
        # When he phones and an agent opens a ticket for him
        made = staff.post(
            "/admin/tickets",
            json={
                "requester": {"email": email, "name": "On the phone"},
                "subject": "Phoned in",
                "message": "The invoice is wrong.",
                "channel": "phone",
                "assignee_id": "me",
            },
            headers={"Idempotency-Key": f"call-{me}"},
        )
        assert made.status_code == 201, made.text
        ticket = made.json()
        # Then it is his, and he sees it in his list and can open it
        assert ticket["requester"]["user_id"] == ticket["requester_id"] != ""
        assert (ticket["channel"], ticket["opened_by"], ticket["guest"]) == (
            "phone",
            "agnes",
            False,
        )
        assert customer.get(f"/tickets/{ticket['id']}").status_code == 200
        ids = [t["id"] for t in customer.get("/tickets").json()["items"]]
        assert ticket["id"] in ids
        # and the history says who opened it for whom
        events = staff.get(f"/admin/tickets/{ticket['id']}/events").json()["items"]
        assert events[0]["actor_id"] == "agnes"
        assert events[0]["data"]["on_behalf_of"] == ticket["requester_id"]
        # When an unknown caller rings / Then a guest requester
        guest = staff.post(
            "/admin/tickets",
            json={
                "requester": {"email": f"new{me}@example.com", "name": "New Caller"},
                "subject": "Never been here",
                "message": "Hi",
                "channel": "chat",
            },
        )
        assert guest.status_code == 201, guest.text
        assert guest.json()["guest"] is True
        # PATCH without If-Match applies (last writer wins)
        patched = staff.patch(f"/admin/tickets/{ticket['id']}", json={"priority": "high"})
        assert patched.status_code == 200, patched.text
        assert patched.json()["priority"] == "high"

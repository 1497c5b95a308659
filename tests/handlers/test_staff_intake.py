"""POST /admin/tickets: staff open a ticket on a customer's behalf (issue 22)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import call

pytestmark = pytest.mark.usefixtures("catalog")

AGENT = {"user": "agnes", "roles": "agent"}


def intake(body: dict[str, Any], **extra: Any) -> tuple[int, Any, dict[str, str]]:
    base = {"subject": "Phoned in", "message": "My invoice is missing."}
    return call("admin_create_ticket", **AGENT, body=base | body, **extra)


def test_a_known_requester_by_email_gets_the_ticket_in_his_list_and_history() -> None:
    # Given a customer with an account (his first ticket wrote his e-mail lookup)
    assert call("create_ticket", user="carl", body={"subject": "s", "message": "m"})[0] == 201
    # When an agent opens a ticket for him from a phone call
    status, body, headers = intake(
        {
            "requester": {"email": "Carl@Example.com", "name": "Whoever"},
            "channel": "phone",
            "priority": "urgent",
            "category_id": "cat_billing",
            "department_id": "dep_support",
            "assignee_id": "me",
            "tags": ["VIP"],
            "status": "in_progress",
            "cc": ["boss@example.com"],
        }
    )
    # Then it is his (his account, not a guest), staff-opened, in the shape asked
    assert status == 201, body
    assert headers["location"] == f"/admin/tickets/{body['id']}" and headers["etag"]
    assert body["requester"]["user_id"] == "carl" and body["guest"] is False
    assert (body["channel"], body["opened_by"], body["assignee_id"]) == ("phone", "agnes", "agnes")
    assert (body["status"], body["priority"], body["tags"]) == ("in_progress", "urgent", ["vip"])
    assert body["cc"] == ["boss@example.com"] and body["staff_unread_count"] == 0
    first = body["messages"][0]
    assert (first["author_id"], first["side"]) == ("carl", "customer")
    # the customer sees it in his list and can open it
    _, mine, _ = call("list_tickets", user="carl")
    assert body["id"] in [t["id"] for t in mine["items"]]
    assert call("get_ticket", user="carl", path={"ticket_id": body["id"]})[0] == 200
    # the history says who opened it for whom, and how
    _, events, _ = call("admin_list_events", **AGENT, path={"ticket_id": body["id"]})
    created = events["items"][0]
    assert created["type"] == "created" and created["actor_id"] == "agnes"
    assert created["actor_side"] == "staff"
    assert created["data"]["on_behalf_of"] == "carl" and created["data"]["channel"] == "phone"
    assert [e["type"] for e in events["items"]] == ["created", "status_changed"]


def test_an_unknown_email_becomes_a_guest_like_the_public_form() -> None:
    from helpdesk.guests import guest_user_id

    status, body, _ = intake({"requester": {"email": "new@example.com", "name": "Nia New"}})
    assert status == 201, body
    assert body["guest"] is True
    assert body["requester"] == {
        "user_id": guest_user_id("new@example.com"),
        "name": "Nia New",
        "email": "new@example.com",
        "org_id": None,
        "guest": True,
    }
    # the queue finds him by his guest id
    _, listed, _ = call(
        "admin_list_tickets", **AGENT, query={"requester": guest_user_id("new@example.com")}
    )
    assert [t["id"] for t in listed["items"]] == [body["id"]]


def test_by_requester_id() -> None:
    call("create_ticket", user="dora", body={"subject": "s", "message": "m"})
    status, body, _ = intake({"requester_id": "dora", "channel": "email"})
    assert status == 201 and body["requester"]["name"] == "Dora"
    status, body, _ = intake({"requester_id": "nobody"})
    assert (status, body["code"]) == (404, "REQUESTER_NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "VALIDATION_FAILED"),  # no requester
        (
            {"requester_id": "x", "requester": {"email": "a@example.com", "name": "A"}},
            "VALIDATION_FAILED",
        ),
        ({"requester_id": "x", "channel": "fax"}, "VALIDATION_FAILED"),
        ({"requester_id": "x", "category_id": "cat_nope"}, "INVALID_CATEGORY"),
        ({"requester_id": "x", "assignee_id": "carl"}, "ASSIGNEE_UNKNOWN"),
    ],
)
def test_refusals(body: dict[str, Any], code: str) -> None:
    status, out, _ = intake(body)
    assert (status, out["code"]) == (422, code)


def test_customers_may_not() -> None:
    status, body, _ = call(
        "admin_create_ticket",
        user="carl",
        body={"requester_id": "carl", "subject": "s", "message": "m"},
    )
    assert (status, body["code"]) == (403, "FORBIDDEN")


def test_idempotency_key_replays_the_same_ticket() -> None:
    body = {"requester": {"email": "rep@example.com", "name": "Rep"}}
    headers = {"Idempotency-Key": "call-42"}
    first = intake(body, headers=headers)
    again = intake(body, headers=headers)
    assert first[0] == again[0] == 201 and first[1]["id"] == again[1]["id"]

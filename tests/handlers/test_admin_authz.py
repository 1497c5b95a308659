"""Who may call each /admin/* route: customer, agent and admin, walked over every route.

Also the staff rules test_admin_routes.py leaves out: notes on every customer route,
tag limits, assignees must be staff.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import call

pytestmark = pytest.mark.usefixtures("catalog")

ROLES = {
    "customer": {"user": "carl", "roles": "customer"},
    "agent": {"user": "agnes", "roles": "agent"},
    "admin": {"user": "adam", "roles": "admin"},
}
MANAGEMENT = {
    "admin_create_category",
    "admin_update_category",
    "admin_delete_category",
    "admin_create_department",
    "admin_update_department",
    "admin_delete_department",
}
# route -> status for staff allowed to use it
OK = {
    "admin_list_tickets": 200,
    "admin_get_ticket": 200,
    "admin_list_events": 200,
    "admin_read_ticket": 200,
    "admin_reply_ticket": 201,
    "admin_update_ticket": 200,
    "admin_create_ticket": 201,
    "admin_create_category": 201,
    "admin_update_category": 200,
    "admin_delete_category": 204,
    "admin_create_department": 201,
    "admin_update_department": 200,
    "admin_delete_department": 204,
}


def _ticket() -> str:
    status, body, _ = call("create_ticket", user="carl", body={"subject": "s", "message": "m"})
    assert status == 201
    ticket_id: str = body["id"]
    return ticket_id


def _request(name: str) -> dict[str, Any]:
    """The arguments of a valid request to `name`, with the items it names existing."""
    admin = ROLES["admin"]
    if name == "admin_list_tickets":
        return {}
    if name in ("admin_get_ticket", "admin_list_events", "admin_read_ticket"):
        return {"path": {"ticket_id": _ticket()}}
    if name == "admin_reply_ticket":
        return {"path": {"ticket_id": _ticket()}, "body": {"message": "hi"}}
    if name == "admin_create_ticket":
        body = {"requester_id": "carl", "subject": "s", "message": "m"} if _ticket() else {}
        return {"body": body}
    if name == "admin_update_ticket":
        ticket_id = _ticket()
        return {
            "path": {"ticket_id": ticket_id},
            "body": {"priority": "urgent"},
            "headers": {"If-Match": f'"{ticket_id}.1"'},
        }
    kind = "category" if "category" in name else "department"
    if name.startswith("admin_create"):
        return {"body": {"name": "New"}}
    _, item, _ = call(f"admin_create_{kind}", **admin, body={"name": "Old"})
    extra = {"body": {"name": "Renamed"}} if name.startswith("admin_update") else {}
    return {"path": {f"{kind}_id": item["id"]}} | extra


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("name", sorted(OK))
def test_every_admin_route_for_every_role(name: str, role: str) -> None:
    # Given a valid request whose items exist
    kwargs = _request(name)
    # When `role` sends it
    status, body, _ = call(name, **ROLES[role], **kwargs)
    # Then customers are refused everywhere, agents on catalog management, admins nowhere
    refused = role == "customer" or (role == "agent" and name in MANAGEMENT)
    if refused:
        assert (status, body["code"]) == (403, "FORBIDDEN")
    else:
        assert status == OK[name], body


def test_notes_never_reach_the_customer_on_any_route() -> None:
    # Given a ticket with a staff reply the customer read, then an internal note
    ticket_id = _ticket()
    agent = ROLES["agent"]
    call("admin_reply_ticket", **agent, path={"ticket_id": ticket_id}, body={"message": "pub"})
    assert call("read_ticket", user="carl", path={"ticket_id": ticket_id})[0] == 200
    status, _, _ = call(
        "admin_reply_ticket",
        **agent,
        path={"ticket_id": ticket_id},
        body={"message": "secret note", "internal": True},
    )
    assert status == 201
    # When the customer looks through every route that shows the ticket
    _, got, _ = call("get_ticket", user="carl", path={"ticket_id": ticket_id})
    _, listed, _ = call("list_tickets", user="carl")
    _, unread, _ = call("list_tickets", user="carl", query={"unread": "true"})
    _, replied, _ = call(
        "reply_ticket", user="carl", path={"ticket_id": ticket_id}, body={"message": "ok"}
    )
    _, closed, _ = call("close_ticket", user="carl", path={"ticket_id": ticket_id})
    # Then the note is nowhere and moved neither unread counts nor message counts
    for doc in (got, listed, unread, replied, closed):
        assert "secret note" not in str(doc)
    assert got["customer_unread_count"] == 0 and got["message_count"] == 2
    assert [m["body"] for m in got["messages"]] == ["m", "pub"]
    assert listed["items"][0]["customer_unread_count"] == 0 and unread["total"] == 0
    assert replied["ticket"]["message_count"] == 3
    assert "note_count" not in got and "note_count" not in listed["items"][0]


def _patch(ticket_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    _, view, _ = call("admin_get_ticket", **ROLES["agent"], path={"ticket_id": ticket_id})
    status, out, _ = call(
        "admin_update_ticket",
        **ROLES["agent"],
        path={"ticket_id": ticket_id},
        body=body,
        headers={"If-Match": view["etag"]},
    )
    return status, out


def test_tags_are_normalized_deduplicated_and_at_most_20() -> None:
    ticket_id = _ticket()
    status, body = _patch(ticket_id, {"tags": [" Billing ", "billing", "VIP"]})
    assert status == 200 and body["tags"] == ["billing", "vip"]
    status, body = _patch(ticket_id, {"tags": [f"t{i}" for i in range(21)]})
    assert (status, body["code"]) == (422, "VALIDATION_FAILED")
    status, body = _patch(ticket_id, {"tags": [f"t{i}" for i in range(20)]})
    assert status == 200 and len(body["tags"]) == 20


def test_assignee_must_be_staff() -> None:
    # Given a customer who has a ticket, and an agent who has worked on one
    ticket_id = _ticket()
    call(
        "admin_reply_ticket",
        user="bob",
        roles="agent",
        path={"ticket_id": ticket_id},
        body={"message": "x"},
    )
    # When assigned to the customer / Then refused; to the agent / Then assigned
    status, body = _patch(ticket_id, {"assignee_id": "carl"})
    assert (status, body["code"]) == (422, "ASSIGNEE_UNKNOWN")
    status, body = _patch(ticket_id, {"assignee_id": "bob"})
    assert status == 200 and body["assignee_id"] == "bob"
    status, body = _patch(ticket_id, {"assignee_id": None})
    assert status == 200 and body["assignee_id"] is None

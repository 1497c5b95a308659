"""The customer ticket API (issue 4) through each function's lambda_handler, on moto."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.conftest import call, invoke, make_event

pytestmark = pytest.mark.usefixtures("catalog")

AGENT = {"user": "agnes", "roles": "agent"}


def create(user: str = "mia", **extra: Any) -> dict[str, Any]:
    status, body, _ = call(
        "create_ticket", user=user, body={"subject": "Printer", "message": "Help", **extra}
    )
    assert status == 201, body
    return body


def on(name: str, ticket_id: str, user: str = "mia", **kw: Any) -> tuple[int, Any, dict[str, str]]:
    return call(name, user=user, path={"ticket_id": ticket_id}, **kw)


def staff_reply(ticket_id: str, message: str = "Answer", **extra: Any) -> dict[str, Any]:
    status, body, _ = call(
        "admin_reply_ticket",
        **AGENT,
        path={"ticket_id": ticket_id},
        body={"message": message, **extra},
    )
    assert status == 201, body
    return body


def set_status(ticket_id: str, status: str) -> None:
    _, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": ticket_id})
    code, body, _ = call(
        "admin_update_ticket",
        **AGENT,
        path={"ticket_id": ticket_id},
        body={"status": status},
        headers={"If-Match": view["etag"]},
    )
    assert code == 200, body


def listing(user: str = "mia", **query: str) -> tuple[int, Any]:
    status, body, _ = call("list_tickets", user=user, query=query)
    return status, body


# ---------------------------------------------------------------- create


def test_create_returns_the_ticket_with_a_sequential_number_and_location() -> None:
    status, first, headers = call(
        "create_ticket",
        user="mia",
        body={
            "subject": "Invoice",
            "message": "Wrong total",
            "category_id": "cat_billing",
            "cc": ["Boss@Example.com"],
        },
    )
    assert status == 201 and headers["location"] == f"/tickets/{first['id']}"
    assert first["category"]["id"] == "cat_billing" and first["cc"] == ["boss@example.com"]
    second = create()
    assert second["number"] == first["number"] + 1


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"priority": "urgent"}, "PRIORITY_NOT_ALLOWED"),
        ({"category_id": "cat_nope"}, "INVALID_CATEGORY"),
        ({"sub_category_id": "cat_billing_invoices"}, "INVALID_CATEGORY"),
        ({"department_id": "dep_nope"}, "INVALID_DEPARTMENT"),
        ({"cc": ["x@example.com"] * 11}, "VALIDATION_FAILED"),
        ({"subject": "x" * 256}, "VALIDATION_FAILED"),
    ],
)
def test_create_refusals_are_422(extra: dict[str, Any], code: str) -> None:
    status, body, _ = call(
        "create_ticket", user="mia", body={"subject": "s", "message": "m"} | extra
    )
    assert (status, body["code"]) == (422, code)
    assert listing()[1]["total"] == 0


def test_sub_category_must_belong_to_its_category() -> None:
    _, cats, _ = call("list_categories", user="mia")
    first, second = cats["items"][0], cats["items"][1]
    sub = (first["sub_categories"] or second["sub_categories"])[0]["id"]
    owner = first if first["sub_categories"] else second
    other = second if owner is first else first
    status, body, _ = call(
        "create_ticket",
        user="mia",
        body={"subject": "s", "message": "m", "category_id": other["id"], "sub_category_id": sub},
    )
    assert (status, body["code"]) == (422, "INVALID_CATEGORY")
    status, _, _ = call(
        "create_ticket",
        user="mia",
        body={"subject": "s", "message": "m", "category_id": owner["id"], "sub_category_id": sub},
    )
    assert status == 201


def test_idempotent_create_returns_the_first_answer_without_a_second_ticket() -> None:
    # Given a create with an Idempotency-Key
    key = {"Idempotency-Key": "k-1"}
    body = {"subject": "s", "message": "m"}
    first = call("create_ticket", user="mia", body=body, headers=key)
    # When retried with the same body / Then the same status and id, one ticket
    again = call("create_ticket", user="mia", body=body, headers=key)
    assert (again[0], again[1]["id"]) == (first[0], first[1]["id"]) == (201, first[1]["id"])
    # When retried with another body / Then 422 IDEMPOTENCY_KEY_REUSED, still one ticket
    status, problem, _ = call(
        "create_ticket", user="mia", body=body | {"message": "other"}, headers=key
    )
    assert (status, problem["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert listing()[1]["total"] == 1


def test_idempotency_keys_are_per_user() -> None:
    key = {"Idempotency-Key": "shared"}
    body = {"subject": "s", "message": "m"}
    mine = call("create_ticket", user="mia", body=body, headers=key)[1]
    theirs = call("create_ticket", user="ned", body=body, headers=key)[1]
    assert mine["id"] != theirs["id"] and theirs["requester_id"] == "ned"


# ---------------------------------------------------------------- list


def test_list_filters_and_totals() -> None:
    # Given four tickets in several states
    a = create(category_id="cat_billing", priority="high")
    b = create(priority="low")
    c = create()
    d = create()
    staff_reply(b["id"])  # unread for mia, in_progress
    set_status(c["id"], "waiting")
    assert on("close_ticket", d["id"])[0] == 200
    create(user="ned")  # someone else's
    cases: list[tuple[dict[str, str], set[str]]] = [
        ({}, {a["id"], b["id"], c["id"], d["id"]}),
        ({"status": "open"}, {a["id"]}),
        ({"status": "open,waiting"}, {a["id"], c["id"]}),
        ({"status": "closed"}, {d["id"]}),
        ({"category_id": "cat_billing"}, {a["id"]}),
        ({"priority": "low"}, {b["id"]}),
        ({"unread": "true"}, {b["id"]}),
        ({"open_or_unread": "true"}, {a["id"], b["id"], c["id"]}),
        ({"number": str(c["number"])}, {c["id"]}),
    ]
    for query, expected in cases:
        status, body = listing(**query)
        # Then each filter lists exactly its tickets, and total counts them
        assert status == 200, body
        assert {t["id"] for t in body["items"]} == expected, query
        assert body["total"] == len(expected), query
    # Someone else's number finds nothing
    assert listing(user="ned", number=str(a["number"]))[1]["items"] == []


def test_list_is_newest_activity_first_and_pages_without_duplicates_or_gaps() -> None:
    # Given seven tickets, the oldest one with a fresh reply
    ids = [create()["id"] for _ in range(7)]
    assert on("reply_ticket", ids[0], body={"message": "bump"})[0] == 201
    # When paged three at a time
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = {"limit": "3"} | ({"cursor": cursor} if cursor else {})
        _, body = listing(**query)
        assert body["total"] == 7 and len(body["items"]) <= 3
        seen += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    # Then every ticket once, newest activity first
    assert seen == [ids[0], *reversed(ids[1:])]


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"cursor": "garbage"}, 400, "INVALID_CURSOR"),
        ({"status": "bogus"}, 422, "VALIDATION_FAILED"),
        ({"limit": "0"}, 422, "VALIDATION_FAILED"),
        ({"limit": "101"}, 422, "VALIDATION_FAILED"),
        ({"scope": "organization"}, 403, "FORBIDDEN"),
    ],
)
def test_list_refusals(query: dict[str, str], status: int, code: str) -> None:
    got, body = listing(**query)
    assert (got, body["code"]) == (status, code)


def test_a_cursor_is_bound_to_its_filter() -> None:
    for _ in range(3):
        create()
    _, body = listing(limit="1")
    got, problem = listing(limit="1", status="open", cursor=body["next_cursor"])
    assert (got, problem["code"]) == (400, "INVALID_CURSOR")


# ---------------------------------------------------------------- get


def test_get_shows_public_messages_oldest_first_never_notes_and_an_etag() -> None:
    ticket = create()
    staff_reply(ticket["id"], "first answer")
    staff_reply(ticket["id"], "internal only", internal=True)
    assert on("reply_ticket", ticket["id"], body={"message": "thanks"})[0] == 201
    status, body, headers = on("get_ticket", ticket["id"])
    assert status == 200
    assert [m["body"] for m in body["messages"]] == ["Help", "first answer", "thanks"]
    assert not any(m["internal"] for m in body["messages"])
    assert body["message_count"] == 3 and headers["etag"] == body["etag"] != ticket["etag"]
    for field in ("created_at", "updated_at", "last_activity_at", "customer_last_replied_at"):
        assert body[field]


# ---------------------------------------------------------------- reply / close / reopen


@pytest.mark.parametrize("status", ["waiting", "resolved"])
def test_customer_reply_reopens_waiting_and_resolved(status: str) -> None:
    ticket = create()
    set_status(ticket["id"], status)
    got, body, _ = on("reply_ticket", ticket["id"], body={"message": "still broken"})
    assert got == 201 and body["ticket"]["status"] == "open"
    assert body["ticket"]["message_count"] == 2


def test_reply_to_a_closed_ticket_is_409_until_reopened() -> None:
    ticket = create()
    assert on("close_ticket", ticket["id"])[0] == 200
    status, body, _ = on("reply_ticket", ticket["id"], body={"message": "x"})
    assert (status, body["code"]) == (409, "TICKET_CLOSED")
    assert on("reopen_ticket", ticket["id"])[1]["status"] == "open"
    assert on("reply_ticket", ticket["id"], body={"message": "x"})[0] == 201


def test_close_and_reopen_are_idempotent() -> None:
    ticket = create()
    first = on("close_ticket", ticket["id"])
    again = on("close_ticket", ticket["id"])
    assert first[0] == again[0] == 200 and again[1]["status"] == "closed"
    assert again[1]["closed_at"] == first[1]["closed_at"]
    assert on("reopen_ticket", ticket["id"])[1]["status"] == "open"
    again = on("reopen_ticket", ticket["id"])
    assert again[0] == 200 and again[1]["status"] == "open" and again[1]["closed_at"] is None


def test_read_brings_unread_to_zero() -> None:
    ticket = create()
    staff_reply(ticket["id"])
    staff_reply(ticket["id"])
    assert on("get_ticket", ticket["id"])[1]["customer_unread_count"] == 2
    status, body, _ = on("read_ticket", ticket["id"])
    assert status == 200 and body["customer_unread_count"] == 0
    assert listing(unread="true")[1]["total"] == 0


# ---------------------------------------------------------------- rating


def test_rating_only_on_resolved_or_closed() -> None:
    ticket = create()
    status, body, _ = on("rate_ticket", ticket["id"], body={"rating": 5})
    assert (status, body["code"]) == (409, "RATING_NOT_ALLOWED")
    set_status(ticket["id"], "resolved")
    status, body, _ = on("rate_ticket", ticket["id"], body={"rating": 5, "comment": "great"})
    assert status == 200 and (body["rating"], body["rating_comment"]) == (5, "great")
    assert on("rate_ticket", ticket["id"], body={"rating": 6})[0] == 422


def test_rating_can_change_for_seven_days_not_after() -> None:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        ticket = create()
        assert on("close_ticket", ticket["id"])[0] == 200
        assert on("rate_ticket", ticket["id"], body={"rating": 2})[0] == 200
        clock.move_to(t0 + timedelta(days=6, hours=23))
        status, body, _ = on("rate_ticket", ticket["id"], body={"rating": 4})
        assert status == 200 and body["rating"] == 4
        clock.move_to(t0 + timedelta(days=7, minutes=1))
        status, body, _ = on("rate_ticket", ticket["id"], body={"rating": 5})
        assert (status, body["code"]) == (409, "RATING_NOT_ALLOWED")
    assert on("get_ticket", ticket["id"])[1]["rating"] == 4


# ---------------------------------------------------------------- ownership


def test_another_customers_ticket_is_404_on_every_route() -> None:
    ticket = create()
    for name, kwargs in (
        ("get_ticket", {}),
        ("reply_ticket", {"body": {"message": "x"}}),
        ("close_ticket", {}),
        ("reopen_ticket", {}),
        ("read_ticket", {}),
        ("rate_ticket", {"body": {"rating": 3}}),
    ):
        status, body, _ = on(name, ticket["id"], user="ned", **kwargs)
        assert (status, body["code"]) == (404, "TICKET_NOT_FOUND"), name
    assert on("get_ticket", ticket["id"])[1]["status"] == "open"  # untouched


def test_org_manager_reads_the_organizations_tickets_but_cannot_change_them() -> None:
    mine = call("create_ticket", user="mia", org="acme", body={"subject": "s", "message": "m"})[1]
    create(user="zed")  # no organization
    boss = {"user": "olga", "roles": "customer,org_manager", "org": "acme"}
    status, body, _ = call("list_tickets", **boss, query={"scope": "organization"})
    assert status == 200 and [t["id"] for t in body["items"]] == [mine["id"]]
    assert body["total"] == 1
    assert call("get_ticket", **boss, path={"ticket_id": mine["id"]})[0] == 200
    for name, kwargs in (
        ("reply_ticket", {"body": {"message": "x"}}),
        ("close_ticket", {}),
        ("read_ticket", {}),
    ):
        status, body, _ = call(name, **boss, path={"ticket_id": mine["id"]}, **kwargs)
        assert status == 404, name
    # the organization's lists are by status only: its priority filter checks each ticket
    status, body, _ = call(
        "list_tickets", **boss, query={"scope": "organization", "priority": mine["priority"]}
    )
    assert status == 200 and [t["id"] for t in body["items"]] == [mine["id"]]
    assert body["total"] == 1  # the list was read to its end: exact
    other = "high" if mine["priority"] != "high" else "low"
    status, body, _ = call(
        "list_tickets", **boss, query={"scope": "organization", "priority": other}
    )
    assert status == 200 and body["items"] == [] and body["total"] == 0


def test_a_body_that_is_not_utf8_is_400_not_500() -> None:
    # Given a body API Gateway had to base64-encode (not UTF-8 text)
    event = make_event("create_ticket", user="mia")
    event["body"] = base64.b64encode(b"\xff\xfe{}").decode()
    event["isBase64Encoded"] = True
    # When created / Then 400 MALFORMED_JSON, no ticket
    result = invoke("create_ticket", event)
    assert result["statusCode"] == 400 and json.loads(result["body"])["code"] == "MALFORMED_JSON"
    assert listing()[1]["total"] == 0

"""The staff desk through each function's lambda_handler, on moto."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import call

pytestmark = pytest.mark.usefixtures("catalog")

AGENT = {"user": "agnes", "roles": "agent"}
ADMIN = {"user": "adam", "roles": "admin"}


def open_ticket(user: str = "carl", **extra: Any) -> dict[str, Any]:
    status, body, _ = call(
        "create_ticket", user=user, body={"subject": "Printer", "message": "Help", **extra}
    )
    assert status == 201, body
    return body


def staff_view(ticket_id: str) -> dict[str, Any]:
    status, body, headers = call("admin_get_ticket", **AGENT, path={"ticket_id": ticket_id})
    assert status == 200, body
    assert headers["etag"] == body["etag"]
    return body


def patch(
    ticket_id: str, body: dict[str, Any], etag: str | None = None, who: dict[str, str] = AGENT
) -> tuple[int, Any, dict[str, str]]:
    headers = {"If-Match": etag or ""}  # "" = no If-Match (the sample event carries one)
    return call(
        "admin_update_ticket", **who, path={"ticket_id": ticket_id}, body=body, headers=headers
    )


def test_customers_get_403_on_staff_routes() -> None:
    ticket = open_ticket()
    for name, kwargs in (
        ("admin_list_tickets", {}),
        ("admin_get_ticket", {"path": {"ticket_id": ticket["id"]}}),
        ("admin_list_events", {"path": {"ticket_id": ticket["id"]}}),
        ("admin_read_ticket", {"path": {"ticket_id": ticket["id"]}}),
        ("admin_reply_ticket", {"path": {"ticket_id": ticket["id"]}, "body": {"message": "x"}}),
    ):
        status, body, _ = call(name, user="carl", **kwargs)
        assert (status, body["code"]) == (403, "FORBIDDEN"), name


def test_note_is_staff_only_and_changes_nothing_the_customer_sees() -> None:
    ticket = open_ticket()
    status, body, _ = call(
        "admin_reply_ticket",
        **AGENT,
        path={"ticket_id": ticket["id"]},
        body={"message": "call him back", "internal": True},
    )
    assert status == 201 and body["message"]["internal"] is True
    assert body["ticket"]["status"] == "open" and body["ticket"]["customer_unread_count"] == 0
    _, mine, _ = call("get_ticket", user="carl", path={"ticket_id": ticket["id"]})
    assert [m["body"] for m in mine["messages"]] == ["Help"]
    assert [m["body"] for m in staff_view(ticket["id"])["messages"]] == ["Help", "call him back"]


def test_first_staff_reply_moves_open_to_in_progress_and_may_set_next_status() -> None:
    ticket = open_ticket()
    _, body, _ = call(
        "admin_reply_ticket", **AGENT, path={"ticket_id": ticket["id"]}, body={"message": "On it"}
    )
    assert body["ticket"]["status"] == "in_progress"
    _, body, _ = call(
        "admin_reply_ticket",
        **AGENT,
        path={"ticket_id": ticket["id"]},
        body={"message": "Try now?", "next_status": "waiting"},
    )
    assert body["ticket"]["status"] == "waiting"
    _, mine, _ = call("get_ticket", user="carl", path={"ticket_id": ticket["id"]})
    assert mine["customer_unread_count"] == 2


def test_patch_checks_an_etag_when_given_and_applies_without_one() -> None:
    ticket = open_ticket()
    etag = staff_view(ticket["id"])["etag"]
    status, body, headers = patch(ticket["id"], {"priority": "urgent"}, etag)
    assert status == 200 and body["priority"] == "urgent" and headers["etag"] != etag
    status, body, _ = patch(ticket["id"], {"priority": "low"}, etag)
    assert (status, body["code"]) == (412, "PRECONDITION_FAILED")
    # without If-Match (the seeds' clients): applied to the ticket as it is now
    status, body, headers = patch(ticket["id"], {"priority": "low"})
    assert status == 200 and body["priority"] == "low" and headers["etag"] == body["etag"]


def test_patch_each_change_is_one_event_and_forward_records_from_to() -> None:
    ticket = open_ticket(department_id="dep_support")
    etag = staff_view(ticket["id"])["etag"]
    status, body, _ = patch(
        ticket["id"],
        {
            "department_id": "dep_sales",
            "forward_note": "pricing question",
            "assignee_id": "me",
            "tags": ["VIP", "vip", "Billing"],
            "manager_comment": "keep an eye",
            "status": "waiting",
        },
        etag,
    )
    assert status == 200, body
    assert body["tags"] == ["billing", "vip"] and body["assignee_id"] == "agnes"
    _, events, _ = call("admin_list_events", **AGENT, path={"ticket_id": ticket["id"]})
    by_type = {e["type"]: e for e in events["items"]}
    assert by_type["forwarded"]["changes"]["department_id"] == {
        "from": "dep_support",
        "to": "dep_sales",
    }
    assert by_type["forwarded"]["data"]["note"] == "pricing question"
    assert {"assigned", "tags_changed", "manager_comment_changed", "status_changed"} <= set(by_type)
    assert [e["seq"] for e in events["items"]] == sorted(e["seq"] for e in events["items"])


def test_unknown_assignee_and_catalog_refs_are_422() -> None:
    ticket = open_ticket()
    etag = staff_view(ticket["id"])["etag"]
    assert patch(ticket["id"], {"assignee_id": "nobody"}, etag)[1]["code"] == "ASSIGNEE_UNKNOWN"
    assert (
        patch(ticket["id"], {"department_id": "dep_nope"}, etag)[1]["code"] == "INVALID_DEPARTMENT"
    )
    assert patch(ticket["id"], {"category_id": "cat_nope"}, etag)[1]["code"] == "INVALID_CATEGORY"
    assert patch(ticket["id"], {"status": None}, etag)[0] == 422


def test_lock_force_closes_and_the_customer_cannot_reopen() -> None:
    ticket = open_ticket()
    status, body, _ = patch(
        ticket["id"], {"locked": True, "close_reason": "spam"}, staff_view(ticket["id"])["etag"]
    )
    assert status == 200 and body["status"] == "closed" and body["locked"] is True
    status, body, _ = call("reopen_ticket", user="carl", path={"ticket_id": ticket["id"]})
    assert (status, body["code"]) == (409, "TICKET_LOCKED")


def test_queue_filters_and_totals() -> None:
    for i in range(3):
        open_ticket(user=f"cust{i}", department_id="dep_support", priority="high")
    open_ticket(user="cust9", department_id="dep_sales")
    status, body, _ = call("admin_list_tickets", **AGENT, query={"department_id": "dep_support"})
    assert status == 200 and body["total"] == 3 and len(body["items"]) == 3
    _, body, _ = call(
        "admin_list_tickets", **AGENT, query={"status": "open", "department_id": "dep_sales"}
    )
    assert body["total"] == 1
    _, body, _ = call("admin_list_tickets", **AGENT, query={"requester": "cust9@example.com"})
    assert body["total"] == 1 and body["items"][0]["requester_id"] == "cust9"
    _, body, _ = call("admin_list_tickets", **AGENT, query={"assignee": "none", "limit": "2"})
    assert body["total"] == 4 and len(body["items"]) == 2 and body["next_cursor"]
    _, page2, _ = call(
        "admin_list_tickets",
        **AGENT,
        query={"assignee": "none", "limit": "2", "cursor": body["next_cursor"]},
    )
    assert {t["id"] for t in page2["items"]}.isdisjoint({t["id"] for t in body["items"]})
    _, body, _ = call("admin_list_tickets", **AGENT, query={"unread": "true"})
    assert body["total"] == 4
    # no list holds priority with tag: the smaller list is read and filtered
    status, body, _ = call("admin_list_tickets", **AGENT, query={"priority": "high", "tag": "x"})
    assert status == 200 and body["items"] == [] and body["total"] == 0


def test_queue_sorts_by_created_either_way_and_syncs_by_updated_since() -> None:
    first = open_ticket(user="s1")
    second = open_ticket(user="s2")
    _, asc, _ = call("admin_list_tickets", **AGENT, query={"sort": "created", "order": "asc"})
    ids = [t["id"] for t in asc["items"]]
    assert ids.index(first["id"]) < ids.index(second["id"])
    _, since, _ = call("admin_list_tickets", **AGENT, query={"updated_since": second["updated_at"]})
    assert [t["id"] for t in since["items"]] == [second["id"]]
    status, body, _ = call("admin_list_tickets", **AGENT, query={"updated_since": "yesterday"})
    assert (status, body["code"]) == (400, "BAD_REQUEST")


def test_staff_read_clears_staff_unread() -> None:
    ticket = open_ticket()
    status, body, _ = call("admin_read_ticket", **AGENT, path={"ticket_id": ticket["id"]})
    assert status == 200 and body["staff_unread_count"] == 0
    _, queue, _ = call("admin_list_tickets", **AGENT, query={"unread": "true"})
    assert ticket["id"] not in {t["id"] for t in queue["items"]}


def test_categories_and_departments_are_admin_only() -> None:
    status, body, _ = call("admin_create_category", **AGENT, body={"name": "X"})
    assert (status, body["code"]) == (403, "FORBIDDEN")
    status, cat, _ = call(
        "admin_create_category", **ADMIN, body={"name": "Shipping", "position": 9}
    )
    assert status == 201 and cat["active"] is True
    status, sub, _ = call(
        "admin_create_category", **ADMIN, body={"name": "Late", "parent_id": cat["id"]}
    )
    assert status == 201 and sub["parent_id"] == cat["id"]
    status, body, _ = call("admin_delete_category", **ADMIN, path={"category_id": cat["id"]})
    assert (status, body["code"]) == (409, "CATEGORY_IN_USE")
    status, body, _ = call(
        "admin_update_category",
        **ADMIN,
        path={"category_id": cat["id"]},
        body={"name": "Shipping & returns", "active": False},
    )
    assert status == 200 and body["active"] is False
    _, listed, _ = call("list_categories", user="carl")
    assert cat["id"] not in {c["id"] for c in listed["items"]}
    assert call("admin_delete_category", **ADMIN, path={"category_id": sub["id"]})[0] == 204
    assert call("admin_delete_category", **ADMIN, path={"category_id": sub["id"]})[0] == 404


def test_department_in_use_cannot_be_deleted() -> None:
    open_ticket(department_id="dep_support")
    status, body, _ = call(
        "admin_delete_department", **ADMIN, path={"department_id": "dep_support"}
    )
    assert (status, body["code"]) == (409, "DEPARTMENT_IN_USE")
    status, dep, _ = call("admin_create_department", **ADMIN, body={"name": "Legal"})
    assert status == 201
    assert (
        call(
            "admin_update_department",
            **ADMIN,
            path={"department_id": dep["id"]},
            body={"position": 3},
        )[1]["position"]
        == 3
    )
    assert call("admin_delete_department", **ADMIN, path={"department_id": dep["id"]})[0] == 204


def test_staff_pages_go_up_to_500() -> None:
    open_ticket()
    status, body, _ = call("admin_list_tickets", **AGENT, query={"limit": "500"})
    assert status == 200 and len(body["items"]) == body["total"] == 1
    status, body, _ = call("admin_list_tickets", **AGENT, query={"limit": "501"})
    assert (status, body["code"]) == (422, "VALIDATION_FAILED")


def test_list_items_carry_catalog_names_and_a_rename_shows_after_the_ttl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk import catalog

    ticket = open_ticket(category_id="cat_billing", department_id="dep_support")
    _, body, _ = call("admin_list_tickets", **AGENT)
    item = next(t for t in body["items"] if t["id"] == ticket["id"])
    assert item["category_name"] and item["department_name"]
    _, mine, _ = call("list_tickets", user="carl")
    assert mine["items"][0]["category_name"] == item["category_name"]
    # a rename (another container): this one's names are kept for NAMES_TTL_SECONDS
    admin = {"user": "adam", "roles": "admin"}
    status, _, _ = call(
        "admin_update_category",
        **admin,
        path={"category_id": "cat_billing"},
        body={"name": "Invoices"},
    )
    assert status == 200
    monkeypatch.setattr(catalog, "NAMES_TTL_SECONDS", 0.0)  # the TTL has passed
    _, body, _ = call("admin_list_tickets", **AGENT)
    assert body["items"][0]["category_name"] == "Invoices"

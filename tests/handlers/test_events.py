"""Every function fed its own sample event from events/, on moto.

Twice: as the file is (the ids it names do not exist: the documented 404), and with
the ids it names pointing at real items the event's caller may use (the happy path).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import EVENTS, call, invoke, load_event

pytestmark = pytest.mark.usefixtures("catalog")

# HTTP events (the stream event of the purge function has its own tests)
NAMES = sorted(p.stem for p in EVENTS.glob("*.json") if "requestContext" in load_event(p.stem))

# name -> (status as the file is, status with its ids existing)
EXPECTED: dict[str, tuple[int, int]] = {
    "admin_bulk_update": (200, 200),
    "admin_count_views": (200, 200),
    "admin_create_view": (201, 201),
    "admin_delete_view": (404, 204),
    "admin_list_views": (200, 200),
    "admin_update_view": (404, 200),
    "admin_create_ticket": (201, 201),
    "admin_create_category": (201, 201),
    "admin_create_department": (201, 201),
    "admin_delete_category": (404, 204),
    "admin_delete_department": (404, 204),
    "admin_deactivate_staff": (404, 200),
    "admin_delete_ticket": (404, 200),
    "admin_erase_requester": (404, 200),
    "admin_get_ticket": (404, 200),
    "admin_list_events": (404, 200),
    "admin_list_changes": (200, 200),
    "admin_list_inbound": (200, 200),
    "admin_get_inbound": (404, 404),
    "admin_list_suppressions": (200, 200),
    "admin_delete_suppression": (404, 204),
    "admin_get_business_hours": (200, 200),
    "admin_put_business_hours": (200, 200),
    "admin_list_sla_policies": (200, 200),
    "admin_create_sla_policy": (201, 201),
    "admin_update_sla_policy": (404, 200),
    "admin_delete_sla_policy": (404, 204),
    "admin_sla_report": (200, 200),
    "admin_create_webhook": (201, 201),
    "admin_list_webhooks": (200, 200),
    "admin_get_webhook": (404, 200),
    "admin_update_webhook": (404, 200),
    "admin_delete_webhook": (404, 204),
    "admin_rotate_webhook_secret": (404, 200),
    "admin_ping_webhook": (404, 202),
    "admin_list_webhook_deliveries": (404, 200),
    "admin_redeliver_webhook": (404, 404),  # the webhook exists, the delivery it names not
    "admin_list_staff": (200, 200),
    "admin_list_tickets": (200, 200),
    "admin_list_user_tokens": (200, 200),
    "admin_merge_ticket": (404, 200),
    "admin_reactivate_staff": (404, 200),
    "admin_read_ticket": (404, 200),
    "admin_reply_ticket": (404, 201),
    "admin_restore_ticket": (404, 200),
    "admin_revoke_user_token": (404, 204),
    "admin_update_category": (404, 200),
    "admin_update_department": (404, 200),
    "admin_update_ticket": (404, 200),
    "api_docs": (200, 200),
    "close_ticket": (404, 200),
    "create_api_token": (201, 201),
    "create_attachment": (201, 201),
    "create_ticket": (201, 201),
    "delete_attachment": (404, 204),
    "get_attachment": (404, 200),
    "get_me": (200, 200),
    "get_my_notifications": (200, 200),
    "get_ticket": (404, 200),
    "list_api_tokens": (200, 200),
    "list_categories": (200, 200),
    "list_departments": (200, 200),
    "list_tickets": (200, 200),
    "openapi": (200, 200),
    "public_create_ticket": (201, 201),
    "public_get_ticket": (404, 404),  # no link secret: never found
    "public_reply_ticket": (404, 404),
    "public_unsubscribe": (404, 404),  # no signed token: never valid
    "rate_ticket": (404, 200),
    "read_ticket": (404, 200),
    "reopen_ticket": (404, 200),
    "reply_ticket": (404, 201),
    "revoke_api_token": (404, 204),
    "update_my_notifications": (200, 200),
    "route_not_found": (404, 404),
    "web_console": (303, 303),  # no session cookie: to the sign-in page
}


def test_every_event_file_is_covered() -> None:
    assert set(NAMES) == set(EXPECTED)


def _problem_or_ok(result: dict[str, Any], status: int) -> None:
    assert result["statusCode"] == status, result.get("body")
    content_type = {k.lower(): v for k, v in (result.get("headers") or {}).items()}.get(
        "content-type", ""
    )
    if status >= 400:
        doc = json.loads(result["body"])
        assert content_type.startswith("application/problem+json")
        assert doc["status"] == status and doc["code"] and doc["request_id"]


@pytest.mark.parametrize("name", NAMES)
def test_event_as_checked_in(name: str) -> None:
    # Given an empty table (with the seed catalog) / When the function gets its event
    result = invoke(name, load_event(name))
    # Then the documented status (problem+json for the made-up ids)
    _problem_or_ok(result, EXPECTED[name][0])


def _ticket(user: str, *, closed: bool = False) -> str:
    status, body, _ = call("create_ticket", user=user, body={"subject": "s", "message": "m"})
    assert status == 201
    if closed:
        assert call("close_ticket", user=user, path={"ticket_id": body["id"]})[0] == 200
    ticket_id: str = body["id"]
    return ticket_id


# what an admin makes for a path parameter: (route that makes it, body)
CONFIGURED: dict[str, tuple[str, dict[str, Any]]] = {
    # .invalid never resolves: a ping is refused, not sent
    "webhook_id": (
        "admin_create_webhook",
        {"url": "https://hooks.invalid/helpdesk", "events": ["*"]},
    ),
    "policy_id": (
        "admin_create_sla_policy",
        {"name": "X", "targets": {"high": {"first_reply": {"minutes": 30}}}},
    ),
    "category_id": ("admin_create_category", {"name": "X"}),
    "department_id": ("admin_create_department", {"name": "X"}),
}


def _configured_id(params: dict[str, Any]) -> tuple[str, str] | None:
    for param, (route, body) in CONFIGURED.items():
        if param in params:
            _, made, _ = call(route, user="adam", roles="admin", body=body)
            return param, made["id"]
    return None


def _existing_id(name: str, event: dict[str, Any]) -> tuple[str, str] | None:
    """(path parameter, id of a real item the event's caller may use)."""
    caller = (event["requestContext"].get("authorizer") or {}).get("lambda", {})
    user = caller.get("user_id", "alice")
    params = event.get("pathParameters") or {}
    if name in ("admin_deactivate_staff", "admin_reactivate_staff"):
        # an agent: making a staff API token puts him in the staff directory
        call("create_api_token", user=params["user_id"], roles="agent", body={"name": "ci"})
        return None
    if name == "admin_revoke_user_token":  # a token of the user the path names
        _, token, _ = call("create_api_token", user=params["user_id"], body={"name": "laptop"})
        return "token_id", token["id"]
    configured = _configured_id(params)
    if configured is not None:
        return configured
    if "view_id" in params:  # a personal view of the event's caller
        _, view, _ = call("admin_create_view", user=user, roles="agent", body={"name": "Mine"})
        return "view_id", view["id"]
    if "ticket_id" in params:
        owner = user if caller.get("roles") == "customer" else "carl"
        return "ticket_id", _ticket(owner, closed=name in ("rate_ticket", "reopen_ticket"))
    if "user_id" in params:  # a requester with a ticket
        _ticket(params["user_id"])
        return None
    if "token_id" in params:
        _, token, _ = call("create_api_token", user=user, body={"name": "laptop"})
        return "token_id", token["id"]
    if "email" in params:  # a suppressed address
        from helpdesk.store import mail as store_mail

        store_mail.suppress(params["email"], "bounce", "2026-01-01T00:00:00Z")
        return None
    if "attachment_id" in params:
        _, att, _ = call(
            "create_attachment",
            user=user,
            body={"file_name": "a.png", "content_type": "image/png", "size": 8},
        )
        return "attachment_id", att["id"]
    return None


@pytest.mark.parametrize("name", NAMES)
def test_event_with_its_ids_existing(name: str) -> None:
    # Given the items the event names exist and belong to its caller
    event = load_event(name)
    found = _existing_id(name, event)
    if found:
        key, real = found
        old = event["pathParameters"][key]
        event["pathParameters"][key] = real
        event["rawPath"] = event["rawPath"].replace(old, real)
        event["requestContext"]["http"]["path"] = event["rawPath"]
    if name == "admin_merge_ticket" and found:  # into another ticket of the same requester
        event["body"] = json.dumps({"target_id": _ticket("carl")})
    if name == "admin_update_ticket" and found:
        event["headers"]["if-match"] = f'"{found[1]}.1"'  # the new ticket's ETag
    # When the function gets the event / Then the happy status
    _problem_or_ok(invoke(name, event), EXPECTED[name][1])

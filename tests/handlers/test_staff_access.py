"""Demoted staff lose staff access (API tokens included), token expiry defaults and caps,
and an admin's view of staff and of anyone's tokens; through the handlers, on moto."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from tests.conftest import invoke, make_event
from tests.handlers.test_web_console import deployed  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("catalog")

START = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
TTL = 300  # the authorizer cache (AuthCacheSeconds, default and maximum)
ADMIN: dict[str, Any] = {"user": "adam", "roles": "admin"}
AGENT: dict[str, Any] = {"user": "agnes", "roles": "agent"}
NEW_ROUTES = (
    "admin_list_staff",
    "admin_deactivate_staff",
    "admin_reactivate_staff",
    "admin_list_user_tokens",
    "admin_revoke_user_token",
)


@pytest.fixture(autouse=True)
def _fresh_authorizer_cache() -> Iterator[None]:
    from helpdesk import auth

    auth._verified.clear()
    yield
    auth._verified.clear()


def _call(name: str, *, context: dict[str, Any] | None = None, **kwargs: Any) -> tuple[int, Any]:
    """Invoke `name` as `user`/`roles`, or with an authorizer `context` (an API token's)."""
    import json

    event = make_event(name, **kwargs)
    if context is not None:
        event["requestContext"]["authorizer"] = {"lambda": context}
    result = invoke(name, event)
    return result["statusCode"], json.loads(result["body"]) if result.get("body") else None


def _token(user: str = "agnes", roles: str = "agent", **body: Any) -> dict[str, Any]:
    status, created = _call("create_api_token", user=user, roles=roles, body={"name": "t", **body})
    assert status == 201, created
    return dict(created)


def _authorize(token: str) -> dict[str, Any]:
    """What a warm authorizer with the default cache TTL answers for `token`."""
    from helpdesk import auth
    from helpdesk.settings import AuthSettings

    settings = AuthSettings(issuer="https://issuer", audience="aud", auth_cache_seconds=TTL)
    try:
        return dict(auth.verify_api_token(token, settings).to_context())
    except auth.AuthFailure as failure:
        return {"auth_error": failure.code}


def test_a_deactivated_agents_api_token_loses_staff_access_within_the_cache_ttl() -> None:
    with time_machine.travel(START, tick=False) as clock:
        # Given an agent's API token (admin scope by default) that works on /admin/*
        token = str(_token()["token"])
        ctx = _authorize(token)
        assert ctx["roles"] == "agent"
        assert _call("admin_list_tickets", context=ctx)[0] == 200
        # When an admin deactivates the agent
        status, member = _call("admin_deactivate_staff", **ADMIN, path={"user_id": "agnes"})
        assert status == 200 and member["active"] is False
        # Then a warm authorizer may still trust its cached answer until the TTL ends
        clock.shift(TTL - 1)
        assert _authorize(token)["roles"] == "agent"
        # And after the TTL the token is a customer's: 403 on /admin/*
        clock.shift(2)
        ctx = _authorize(token)
        assert ctx["roles"] == "customer" and "auth_error" not in ctx
        status, problem = _call("admin_list_tickets", context=ctx)
        assert (status, problem["code"]) == (403, "FORBIDDEN")


def test_reactivation_restores_staff_but_not_to_tokens_made_before_the_deactivation() -> None:
    with time_machine.travel(START, tick=False) as clock:
        old = str(_token()["token"])
        assert _call("admin_deactivate_staff", **ADMIN, path={"user_id": "agnes"})[0] == 200
        clock.shift(60)
        # When the agent is reactivated and makes a new token
        status, member = _call("admin_reactivate_staff", **ADMIN, path={"user_id": "agnes"})
        assert status == 200 and member["active"] is True
        assert member["deactivated_at"] == "2026-11-25T12:00:00.000000Z"
        clock.shift(1)
        new = str(_token()["token"])
        # Then the new token is staff, the old one stays a customer's
        assert _authorize(new)["roles"] == "agent"
        assert _authorize(old)["roles"] == "customer"


def test_a_deactivated_members_jwt_loses_staff_roles_and_staff_writes_keep_him_out() -> None:
    from helpdesk import auth, staff
    from helpdesk.principal import Principal, Role
    from helpdesk.store import people as store_people

    # Given an agent in the directory (his first staff write put him there)
    status, ticket = _call("create_ticket", user="carl", body={"subject": "s", "message": "m"})
    assert status == 201
    _call("admin_reply_ticket", **AGENT, path={"ticket_id": ticket["id"]}, body={"message": "x"})
    agent = Principal(user_id="agnes", roles=frozenset({Role.AGENT}))
    assert staff.jwt_principal(agent).roles == {Role.AGENT}
    # When deactivated, and a staff write verified before that lands afterwards
    assert _call("admin_deactivate_staff", **ADMIN, path={"user_id": "agnes"})[0] == 200
    store_people.put_staff(
        store_people.StaffMember("agnes", "Agnes", "a@x", ("agent",), last_seen_at="t")
    )
    # Then the entry stays deactivated, and his JWT (still an agent's at the IdP) is not staff
    member = store_people.get_staff("agnes")
    assert member is not None and member.active is False
    assert staff.jwt_principal(agent).roles == {Role.CUSTOMER}
    # And a staff JWT of someone not in the directory keeps the IdP's roles (no entry to read)
    assert auth.principal_from_claims({"sub": "newbie", "roles": "agent", "exp": 1}).is_staff
    assert staff.jwt_principal(Principal(user_id="newbie", roles=frozenset({Role.AGENT}))).is_staff
    # And a deactivated agent is no longer a valid assignee
    _, view = _call("admin_get_ticket", **ADMIN, path={"ticket_id": ticket["id"]})
    status, problem = _call(
        "admin_update_ticket",
        **ADMIN,
        path={"ticket_id": ticket["id"]},
        body={"assignee_id": "agnes"},
        headers={"If-Match": view["etag"]},
    )
    assert (status, problem["code"]) == (422, "ASSIGNEE_UNKNOWN")


def test_a_token_loses_admin_once_the_directory_says_agent() -> None:
    from helpdesk.store import people as store_people

    # Given an admin's token, and later the IdP demotes him to agent (his next staff
    # write records it in the directory)
    token = str(_token(user="ada", roles="admin")["token"])
    assert _authorize(token)["roles"] == "admin"
    store_people.put_staff(
        store_people.StaffMember("ada", "Ada", "ada@x", ("agent",), last_seen_at="t")
    )
    from helpdesk import auth

    auth._verified.clear()
    # Then the token's admin role no longer holds
    assert _authorize(token)["roles"] == "customer"


def test_the_admin_lists_staff() -> None:
    _token()
    _token(user="ada", roles="admin")
    _call("admin_deactivate_staff", **ADMIN, path={"user_id": "ada"})
    status, listed = _call("admin_list_staff", **ADMIN)
    assert status == 200
    rows = {m["user_id"]: m for m in listed["items"]}
    assert rows["agnes"]["active"] is True and rows["agnes"]["roles"] == ["agent"]
    assert rows["agnes"]["email"] == "agnes@example.com" and rows["agnes"]["last_seen_at"]
    assert rows["ada"]["active"] is False and rows["ada"]["deactivated_at"]


def test_deactivation_errors() -> None:
    status, problem = _call("admin_deactivate_staff", **ADMIN, path={"user_id": "nobody"})
    assert (status, problem["code"]) == (404, "STAFF_NOT_FOUND")
    status, problem = _call("admin_reactivate_staff", **ADMIN, path={"user_id": "nobody"})
    assert (status, problem["code"]) == (404, "STAFF_NOT_FOUND")
    _token(user="adam", roles="admin")
    status, problem = _call("admin_deactivate_staff", **ADMIN, path={"user_id": "adam"})
    assert (status, problem["code"]) == (409, "SELF_DEACTIVATION")
    # deactivating twice keeps the first time
    _token()
    _, first = _call("admin_deactivate_staff", **ADMIN, path={"user_id": "agnes"})
    _, second = _call("admin_deactivate_staff", **ADMIN, path={"user_id": "agnes"})
    assert second["deactivated_at"] == first["deactivated_at"] and second["active"] is False


def test_token_expiry_defaults_to_90_days_and_is_capped_at_a_year() -> None:
    with time_machine.travel(START, tick=False):
        # Without an expiry: 90 days
        assert _token(user="tina", roles="customer")["expires_at"] == "2027-02-23T12:00:00.000000Z"
        # expires_in, in seconds
        assert _token(user="tina", roles="customer", expires_in=3600)["expires_at"] == (
            "2026-11-25T13:00:00.000000Z"
        )
        # A year ahead is allowed, more is 422 TOKEN_LIFETIME_TOO_LONG
        year = (START + timedelta(days=366)).isoformat()
        assert _token(user="tina", roles="customer", expires_at=year)["expires_at"]
        for body in (
            {"expires_at": (START + timedelta(days=367)).isoformat()},
            {"expires_in": 367 * 86400},
        ):
            status, problem = _call("create_api_token", user="tina", body={"name": "t", **body})
            assert (status, problem["code"]) == (422, "TOKEN_LIFETIME_TOO_LONG"), problem
        # Both at once, or a non-positive expires_in: 422
        status, problem = _call(
            "create_api_token",
            user="tina",
            body={"name": "t", "expires_in": 60, "expires_at": year},
        )
        assert (status, problem["code"]) == (422, "VALIDATION_FAILED")
        status, _ = _call("create_api_token", user="tina", body={"name": "t", "expires_in": 0})
        assert status == 422


def test_a_token_without_expiry_from_before_expires_a_year_after_it_was_made() -> None:
    from helpdesk.store import tokens as store_tokens

    with time_machine.travel(START, tick=False) as clock:
        created = _token(user="tina", roles="customer")
        item = store_tokens.get_api_token(str(created["id"]))
        assert item is not None
        store_tokens.delete_api_token("tina", item.id)
        store_tokens.put_api_token(item.model_copy(update={"expires_at": None}))  # an old one
        assert "auth_error" not in _authorize(str(created["token"]))
        clock.shift(timedelta(days=366, seconds=1))
        from helpdesk import auth

        auth._verified.clear()
        assert _authorize(str(created["token"])) == {"auth_error": "TOKEN_EXPIRED"}


def test_the_admin_lists_and_revokes_another_users_token() -> None:
    created = _token(user="tina", roles="customer")
    token = str(created["token"])
    # When the admin lists tina's tokens
    status, listed = _call("admin_list_user_tokens", **ADMIN, path={"user_id": "tina"})
    assert status == 200
    (row,) = listed["items"]
    assert row["id"] == created["id"] and row["owner_id"] == "tina" and "token" not in row
    assert row["roles"] == ["customer"] and token not in str(listed)
    # A token that is not the named user's is 404
    status, problem = _call(
        "admin_revoke_user_token", **ADMIN, path={"user_id": "carl", "token_id": created["id"]}
    )
    assert (status, problem["code"]) == (404, "TOKEN_NOT_FOUND")
    # And revoking it stops the token (no cache here)
    status, _ = _call(
        "admin_revoke_user_token", **ADMIN, path={"user_id": "tina", "token_id": created["id"]}
    )
    assert status == 204
    assert _authorize(token) == {"auth_error": "TOKEN_INVALID"}
    assert _call("admin_list_user_tokens", **ADMIN, path={"user_id": "tina"})[1]["items"] == []


def _path(name: str) -> dict[str, str]:
    if name in ("admin_deactivate_staff", "admin_reactivate_staff"):
        return {"user_id": "agnes"}
    if name == "admin_revoke_user_token":
        return {"user_id": "tina", "token_id": "tok_01jexample0000000000000000"}
    if name == "admin_list_user_tokens":
        return {"user_id": "tina"}
    return {}


@pytest.mark.parametrize("name", NEW_ROUTES)
@pytest.mark.parametrize("caller", [AGENT, {"user": "carl", "roles": "customer"}])
def test_the_new_routes_are_the_admins_alone(name: str, caller: dict[str, Any]) -> None:
    _token()
    status, problem = _call(name, **caller, path=_path(name) or None)
    assert (status, problem["code"]) == (403, "FORBIDDEN")


@pytest.mark.usefixtures("deployed")
def test_a_deactivated_agents_console_session_loses_the_staff_pages() -> None:
    from tests.handlers import test_web_console as web

    agent = web.who("agnes", "agent")
    # Given an agent signed in to the console (an 8-hour session) and in the staff directory
    _token()
    assert web.console(agent, "/app/queue")["statusCode"] == 200
    # When an admin deactivates him
    assert _call("admin_deactivate_staff", **ADMIN, path={"user_id": "agnes"})[0] == 200
    # Then the same session no longer opens the queue
    assert web.console(agent, "/app/queue")["statusCode"] == 403


def test_a_changes_read_token_reads_the_feed_and_nothing_else() -> None:
    from helpdesk import auth
    from helpdesk.store import people as store_people

    # Given an admin's token with only the changes:read scope (an integration's)
    created = _token(user="ada", roles="admin", scopes=["changes:read"])
    assert created["scopes"] == ["changes:read"]
    ctx = _authorize(str(created["token"]))
    assert ctx["roles"] == "admin" and ctx["scopes"] == "changes:read"
    # Then it reads the change feed
    status, page = _call("admin_list_changes", context=ctx)
    assert status == 200 and "items" in page
    # And no other route, staff or customer, read or write
    for name, kwargs in (
        ("admin_list_tickets", {}),
        ("admin_list_staff", {}),
        ("list_tickets", {}),
        ("get_me", {}),
        ("create_ticket", {"body": {"subject": "s", "message": "m"}}),
    ):
        status, problem = _call(name, context=ctx, **kwargs)
        assert (status, problem["code"]) == (403, "INSUFFICIENT_SCOPE"), name
    # And once the directory says the owner is an agent, not even the feed
    store_people.put_staff(
        store_people.StaffMember("ada", "Ada", "ada@x", ("agent",), last_seen_at="t")
    )
    auth._verified.clear()
    ctx = _authorize(str(created["token"]))
    status, problem = _call("admin_list_changes", context=ctx)
    assert (status, problem["code"]) == (403, "FORBIDDEN")


def test_only_administrators_grant_changes_read_and_an_admin_scoped_token_reads_the_feed() -> None:
    # An agent may not grant it (422); an agent's admin-scoped token is not an admin's
    status, problem = _call(
        "create_api_token", **AGENT, body={"name": "t", "scopes": ["changes:read"]}
    )
    assert status == 422, problem
    agent_ctx = _authorize(str(_token()["token"]))
    assert _call("admin_list_changes", context=agent_ctx)[0] == 403
    # A token with tickets:read and changes:read reads the feed and the owner's own tickets,
    # but no staff route (no admin scope)
    ctx = _authorize(
        str(_token(user="ada", roles="admin", scopes=["tickets:read", "changes:read"])["token"])
    )
    assert _call("admin_list_changes", context=ctx)[0] == 200
    assert _call("list_tickets", context=ctx)[0] == 200
    assert _call("admin_list_tickets", context=ctx)[0] == 403
    # And an admin's default token (admin scope) reads it as the admin does
    ctx = _authorize(str(_token(user="ada", roles="admin")["token"]))
    assert _call("admin_list_changes", context=ctx)[0] == 200

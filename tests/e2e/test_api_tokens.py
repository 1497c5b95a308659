"""Personal API tokens end to end: create, use, list, scopes, revoke, expiry."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import Runner
from tests.e2e.test_foundation import assert_problem

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _bearer(runner: Runner, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=runner.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_token_is_shown_once_works_and_is_listed_without_its_secret(
    runner: Runner, user: str
) -> None:
    # Given a signed-in customer who makes a token
    with runner.client(user, "customer", "acme") as api:
        created = api.post("/me/tokens", json={"name": "ci"})
        assert created.status_code == 201, created.text
        token = created.json()
        # Then the secret carries the recognisable prefix and starts with the listed prefix
        assert token["token"].startswith("hdk_") and len(token["token"]) == 4 + 26 + 1 + 43
        assert token["token"].startswith(token["prefix"])
        assert token["scopes"] == ["tickets:read", "tickets:write"]
        assert created.headers["cache-control"] == "no-store"

    # When the token is used instead of the session
    with _bearer(runner, token["token"]) as by_token:
        me = by_token.get("/me")
        opened = by_token.post("/tickets", json={"subject": "From CI", "message": "hello"})
    # Then it acts as its owner, organization included
    assert me.status_code == 200, me.text
    assert me.json()["user_id"] == user and me.json()["org_id"] == "acme"
    assert opened.status_code == 201, opened.text

    # And the listing shows the token with its last use but never the secret
    with runner.client(user) as api:
        listed = api.get("/me/tokens").json()["items"]
    assert [t["id"] for t in listed] == [token["id"]]
    assert "token" not in listed[0] and listed[0]["prefix"] == token["prefix"]
    assert listed[0]["last_used_at"] is not None


def test_revoked_token_stops_working(runner: Runner, user: str) -> None:
    # Given a working token
    with runner.client(user) as api:
        token = api.post("/me/tokens", json={"name": "laptop"}).json()
    with _bearer(runner, token["token"]) as by_token:
        assert by_token.get("/me").status_code == 200
    # When its owner revokes it
    with runner.client(user) as api:
        assert api.delete(f"/me/tokens/{token['id']}").status_code == 204
        # Then revoking again is a 404, and it is gone from the list
        assert_problem(api.delete(f"/me/tokens/{token['id']}"), 404, "TOKEN_NOT_FOUND")
        assert api.get("/me/tokens").json()["items"] == []
    # And the token is refused (the e2e runner has no authorizer cache)
    with _bearer(runner, token["token"]) as by_token:
        assert_problem(by_token.get("/me"), 401, "TOKEN_INVALID")


def test_another_users_token_cannot_be_revoked(runner: Runner, user: str) -> None:
    # Given someone else's token
    with runner.client(user) as api:
        token = api.post("/me/tokens", json={"name": "mine"}).json()
    # When another user tries to revoke it
    with runner.client(user + "x") as other:
        # Then it is a 404, as if it did not exist
        assert_problem(other.delete(f"/me/tokens/{token['id']}"), 404, "TOKEN_NOT_FOUND")
    with _bearer(runner, token["token"]) as by_token:
        assert by_token.get("/me").status_code == 200


def test_expired_token_is_refused(runner: Runner, user: str) -> None:
    # Given a token that expires in two seconds
    expires = datetime.now(UTC) + timedelta(seconds=2)
    with runner.client(user) as api:
        created = api.post("/me/tokens", json={"name": "short", "expires_at": expires.isoformat()})
        assert created.status_code == 201, created.text
    token = created.json()
    with _bearer(runner, token["token"]) as by_token:
        assert by_token.get("/me").status_code == 200
        # When it has expired
        time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.5)
        # Then it is refused
        assert_problem(by_token.get("/me"), 401, "TOKEN_EXPIRED")


def test_read_scope_cannot_write_and_scopes_never_exceed_roles(runner: Runner, user: str) -> None:
    # Given a read-only token
    with runner.client(user) as api:
        token = api.post("/me/tokens", json={"name": "ro", "scopes": ["tickets:read"]}).json()
        # And a customer asking for the admin scope is refused
        assert_problem(
            api.post("/me/tokens", json={"name": "x", "scopes": ["admin"]}),
            422,
            "VALIDATION_FAILED",
        )
    with _bearer(runner, token["token"]) as by_token:
        # Then reading works and writing is a 403
        assert by_token.get("/tickets").status_code == 200
        assert_problem(
            by_token.post("/tickets", json={"subject": "s", "message": "m"}),
            403,
            "INSUFFICIENT_SCOPE",
        )

    # And no token, even a writing one, can mint more tokens
    with runner.client(user) as api:
        writer = api.post("/me/tokens", json={"name": "rw"}).json()
    with _bearer(runner, writer["token"]) as by_token:
        assert_problem(by_token.post("/me/tokens", json={"name": "n"}), 403, "SESSION_REQUIRED")


def test_staff_token_without_admin_scope_is_a_customer_token(runner: Runner, user: str) -> None:
    # Given an admin who makes a token without the admin scope
    with runner.client(user, "admin") as api:
        plain = api.post("/me/tokens", json={"name": "p", "scopes": ["tickets:write"]}).json()
        full = api.post("/me/tokens", json={"name": "f"}).json()
    assert plain["scopes"] == ["tickets:read", "tickets:write"]
    assert full["scopes"] == ["admin", "tickets:read", "tickets:write"]
    # Then the staff routes refuse the narrow token and accept the full one
    with _bearer(runner, plain["token"]) as narrow:
        assert narrow.get("/me").json()["roles"] == ["customer"]
        assert_problem(narrow.get("/admin/tickets"), 403, "FORBIDDEN")
    with _bearer(runner, full["token"]) as wide:
        assert wide.get("/admin/tickets").status_code == 200


@pytest.mark.parametrize(
    "token",
    ["hdk_", "hdk_" + "0" * 26 + "_" + "A" * 43, "hdk_not-a-token"],
)
def test_forged_tokens_are_invalid(runner: Runner, token: str) -> None:
    with _bearer(runner, token) as forged:
        assert_problem(forged.get("/me"), 401, "TOKEN_INVALID")

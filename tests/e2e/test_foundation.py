"""The first slice end to end: token -> /me -> create -> get, and the documented errors."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def assert_problem(resp: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, object] = resp.json()
    assert doc["code"] == code
    assert doc["status"] == status
    assert doc["title"] and doc["request_id"]
    return doc


def test_me_names_the_caller(runner: Runner, user: str) -> None:
    with runner.client(user, "agent", "acme") as api:
        resp = api.get("/me")
    assert resp.status_code == 200
    assert resp.json() == {
        "user_id": user,
        "name": user.capitalize(),
        "email": f"{user}@example.com",
        "roles": ["agent"],
        "org_id": "acme",
    }


def test_create_then_get(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        created = api.post("/tickets", json={"subject": "Printer on fire", "message": "Help!"})
        assert created.status_code == 201, created.text
        ticket = created.json()
        assert ticket["status"] == "open" and ticket["number"] > 1000
        assert created.headers["location"] == f"/tickets/{ticket['id']}"
        got = api.get(f"/tickets/{ticket['id']}")
    assert got.status_code == 200
    assert got.headers["etag"] == ticket["etag"]
    body = got.json()
    assert [m["body"] for m in body["messages"]] == ["Help!"]
    assert body["message_count"] == 1


def test_another_users_ticket_is_404(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        ticket = api.post("/tickets", json={"subject": "Mine", "message": "x"}).json()
    with runner.client(user + "x") as other:
        assert_problem(other.get(f"/tickets/{ticket['id']}"), 404, "TICKET_NOT_FOUND")


@pytest.mark.parametrize(
    "headers, code",
    [
        ({}, "TOKEN_MISSING"),
        ({"Authorization": "Bearer not-a-jwt"}, "TOKEN_INVALID"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, "TOKEN_INVALID"),
    ],
)
def test_bad_credentials_are_401(runner: Runner, headers: dict[str, str], code: str) -> None:
    resp = httpx.get(f"{runner.url}/me", headers=headers)
    doc = assert_problem(resp, 401, code)
    assert doc["instance"] == "/me"
    assert resp.headers["www-authenticate"].startswith("Bearer")


def test_expired_token_is_401(runner: Runner, user: str) -> None:
    token = runner.token(user, ttl=60, now=int(time.time()) - 3600)
    resp = httpx.get(f"{runner.url}/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(resp, 401, "TOKEN_EXPIRED")


def test_token_signed_by_another_key_is_401(runner: Runner, user: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    rogue = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = runner.token(user, key=rogue)
    resp = httpx.get(f"{runner.url}/me", headers={"Authorization": f"Bearer {token}"})
    assert_problem(resp, 401, "TOKEN_INVALID")


def test_malformed_body_is_400(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        resp = api.post(
            "/tickets", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert_problem(resp, 400, "MALFORMED_JSON")


def test_invalid_body_is_422_without_echoing_input(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        resp = api.post(
            "/tickets", json={"subject": "", "message": "x" * 10_001, "secret": "hunter2"}
        )
    doc = assert_problem(resp, 422, "VALIDATION_FAILED")
    assert "hunter2" not in resp.text
    locs = {tuple(e["loc"]) for e in doc["errors"]}  # type: ignore[attr-defined]
    assert ("body", "subject") in locs and ("body", "message") in locs


def test_form_body_is_415(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        resp = api.post("/tickets", data={"subject": "x", "message": "y"})
    assert_problem(resp, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_unknown_route_is_404(runner: Runner) -> None:
    assert_problem(httpx.get(f"{runner.url}/no/such/route"), 404, "ROUTE_NOT_FOUND")
    assert_problem(httpx.delete(f"{runner.url}/tickets"), 404, "ROUTE_NOT_FOUND")


def test_idempotent_create(runner: Runner, user: str) -> None:
    with runner.client(user) as api:
        headers = {"Idempotency-Key": "abc-1"}
        first = api.post("/tickets", json={"subject": "s", "message": "m"}, headers=headers)
        again = api.post("/tickets", json={"subject": "s", "message": "m"}, headers=headers)
        other = api.post("/tickets", json={"subject": "s", "message": "other"}, headers=headers)
        listing = api.get("/tickets").json()
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert_problem(other, 422, "IDEMPOTENCY_KEY_REUSED")
    assert listing["total"] == 1

"""API tokens and per-caller write limits through the layer and handlers, on moto."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import time_machine

from tests.conftest import call

if TYPE_CHECKING:
    from helpdesk.settings import AuthSettings

pytestmark = pytest.mark.usefixtures("catalog")

START = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_authorizer_cache() -> Iterator[None]:
    from helpdesk import auth

    auth._verified.clear()
    yield
    auth._verified.clear()


def _settings(cache: int = 0) -> AuthSettings:
    from helpdesk.settings import AuthSettings

    return AuthSettings(issuer="https://issuer", audience="aud", auth_cache_seconds=cache)


def _authorize(token: str, cache: int = 0) -> dict[str, object]:
    from helpdesk import auth

    try:
        return dict(auth.verify_api_token(token, _settings(cache)).to_context())
    except auth.AuthFailure as failure:
        return {"auth_error": failure.code}


def _create(user: str = "tina", roles: str = "customer", **body: object) -> dict[str, object]:
    status, created, headers = call(
        "create_api_token", user=user, roles=roles, body={"name": "t", **body}
    )
    assert status == 201, created
    assert headers["cache-control"] == "no-store"
    return dict(created)


def test_only_the_hash_is_stored_and_the_token_maps_to_its_owner() -> None:
    from helpdesk.store import tokens as store_tokens

    # Given a token made by an org manager
    created = _create(roles="org_manager")
    # Then the table holds its hash, not the secret
    item = store_tokens.get_api_token(str(created["id"]))
    assert item is not None and str(created["token"]) not in item.model_dump_json()
    # And the authorizer maps it to the owner with the roles it was made with
    ctx = _authorize(str(created["token"]))
    assert ctx["user_id"] == "tina" and ctx["roles"] == "org_manager"
    assert ctx["token_id"] == created["id"] and ctx["scopes"] == "tickets:read,tickets:write"


def test_last_used_is_written_at_most_once_a_minute() -> None:
    from helpdesk.store import tokens as store_tokens

    with time_machine.travel(START, tick=False) as clock:
        token = str(_create()["token"])
        token_id = token[4:30]
        # When the token is used twice within a minute
        _authorize(token)
        clock.shift(30)
        _authorize(token)
        # Then the first use is the recorded one
        item = store_tokens.get_api_token(f"tok_{token_id}")
        assert item is not None and item.last_used_at == "2026-11-25T12:00:00.000000Z"
        # And a use after the minute is recorded
        clock.shift(31)
        _authorize(token)
        item = store_tokens.get_api_token(f"tok_{token_id}")
        assert item is not None and item.last_used_at == "2026-11-25T12:01:01.000000Z"


def test_expiry_and_revocation_within_the_cache_ttl() -> None:
    with time_machine.travel(START, tick=False) as clock:
        # Given a token that expires in an hour, verified once with a 300 s cache
        expires = (START + timedelta(hours=1)).isoformat()
        created = _create(expires_at=expires)
        token = str(created["token"])
        assert "auth_error" not in _authorize(token, cache=300)
        # When it is revoked
        status, _, _ = call("revoke_api_token", user="tina", path={"token_id": str(created["id"])})
        assert status == 204
        # Then a warm authorizer may trust it until its cache TTL has passed, no longer
        clock.shift(299)
        assert "auth_error" not in _authorize(token, cache=300)
        clock.shift(2)
        assert _authorize(token, cache=300) == {"auth_error": "TOKEN_INVALID"}
    with time_machine.travel(START, tick=False) as clock:
        # And an unrevoked token stops at its expiry, cache or not
        token = str(_create(expires_at=(START + timedelta(seconds=100)).isoformat())["token"])
        assert "auth_error" not in _authorize(token, cache=300)
        clock.shift(101)
        assert _authorize(token, cache=300) == {"auth_error": "TOKEN_EXPIRED"}


def test_a_forged_secret_for_a_real_id_is_refused() -> None:
    token = str(_create()["token"])
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert _authorize(forged) == {"auth_error": "TOKEN_INVALID"}


@pytest.mark.parametrize(
    "body",
    [
        {"expires_at": "2020-01-01T00:00:00Z"},
        {"expires_at": "2030-01-01T00:00:00"},
        {"scopes": ["tickets:delete"]},
        {"scopes": ["admin"]},
        {"name": ""},
    ],
)
def test_bad_token_requests_are_422(body: dict[str, object]) -> None:
    status, problem, _ = call("create_api_token", user="tina", body={"name": "t", **body})
    assert status == 422 and problem["code"] in ("VALIDATION_FAILED", "REQUEST_VALIDATION")


def test_token_limit_per_user() -> None:
    from helpdesk import tokens

    for _ in range(tokens.MAX_TOKENS_PER_USER):
        _create(user="many")
    status, problem, _ = call("create_api_token", user="many", body={"name": "one more"})
    assert status == 409 and problem["code"] == "TOKEN_LIMIT_REACHED"


def test_writes_past_the_limit_are_429_then_recover_after_the_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk import settings

    monkeypatch.setenv("WRITE_LIMIT", "3")
    monkeypatch.setenv("WRITE_WINDOW_SECONDS", "60")
    settings.rate_limit_settings.cache_clear()
    body = {"subject": "Burst", "message": "again"}
    with time_machine.travel(START + timedelta(seconds=10), tick=False) as clock:
        # Given three tickets opened inside one window
        for _ in range(3):
            assert call("create_ticket", user="bursty", body=body)[0] == 201
        # When a fourth write comes in the same window
        status, problem, headers = call("create_ticket", user="bursty", body=body)
        # Then it is refused with the time until the window ends
        assert status == 429 and problem["code"] == "RATE_LIMITED"
        assert headers["retry-after"] == "50" and headers["ratelimit-reset"] == "50"
        assert headers["ratelimit-limit"] == "3" and headers["ratelimit-remaining"] == "0"
        # And another caller is not affected
        assert call("create_ticket", user="calm", body=body)[0] == 201
        # And after the window the caller may write again
        clock.shift(50)
        assert call("create_ticket", user="bursty", body=body)[0] == 201
    settings.rate_limit_settings.cache_clear()


def test_an_issuer_whose_keys_cannot_be_fetched_is_not_a_refused_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json
    import socket

    from helpdesk import auth
    from helpdesk.settings import AuthSettings
    from local import devauth
    from tests.conftest import invoke, make_event

    # Given a JWT and an issuer whose keys endpoint is down (a port nothing listens on)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = AuthSettings(
        issuer=devauth.ISSUER,
        audience=devauth.AUDIENCE,
        jwks_url=f"http://127.0.0.1:{port}/jwks.json",
        auth_cache_seconds=0,
    )
    token = devauth.mint("dora")
    # When the authorizer verifies it, Then the failure is ours, not TOKEN_INVALID (a client
    # would drop a good token): the authorizer passes ISSUER_UNAVAILABLE on
    with pytest.raises(auth.IssuerUnavailable):
        auth.verify_jwt(token, down)
    monkeypatch.setattr(auth, "auth_settings", lambda: down)
    request = {"headers": {"authorization": f"Bearer {token}"}}
    assert auth.authorize(request) == {
        "isAuthorized": True,
        "context": {"auth_error": "ISSUER_UNAVAILABLE"},
    }
    # and a route answers 503 problem+json with its code and Retry-After, before any route code
    event = make_event("get_me")
    event["requestContext"]["authorizer"] = {"lambda": {"auth_error": "ISSUER_UNAVAILABLE"}}
    answer = invoke("get_me", event)
    headers = {k.lower(): v for k, v in answer["headers"].items()}
    assert answer["statusCode"] == 503 and headers["retry-after"] == "5"
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(answer["body"])["code"] == "ISSUER_UNAVAILABLE"
    # while a token that is really bad is still refused with its code
    with pytest.raises(auth.AuthFailure) as refused:
        auth.verify_jwt("not.a.jwt", down)
    assert refused.value.code == "TOKEN_INVALID"

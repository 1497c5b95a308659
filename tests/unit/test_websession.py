"""The console's signed cookies (itsdangerous, keys from the stack's secret on moto)."""

from __future__ import annotations

import secrets

import itsdangerous
import pytest

from helpdesk import hosted_ui, signing, websession
from helpdesk.principal import Principal, Role
from tests.conftest import set_console_keys

ALICE = Principal("alice", "Alice", "alice@example.com", frozenset({Role.AGENT}), "acme")
OLD_TEMPLATE_DEFAULT = "change-me-console-session-secret-at-least-32-chars"
KEY = secrets.token_urlsafe(32)


@pytest.fixture
def keyed(aws: None) -> None:
    set_console_keys(KEY)


def at(monkeypatch: pytest.MonkeyPatch, epoch: int) -> None:
    monkeypatch.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda self: epoch)


def test_round_trip_rebuilds_the_principal(keyed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cookie issued for an agent of acme
    at(monkeypatch, 1_000_000)
    cookie = websession.issue(ALICE)

    # When it is read back before it expires
    at(monkeypatch, 1_000_000 + websession.MAX_AGE - 1)
    data = websession.read(cookie)

    # Then the same principal comes back, with a CSRF token and its expiry
    assert data is not None
    p = websession.principal(data)
    assert (p.user_id, p.roles, p.org_id, p.email) == (
        "alice",
        frozenset({Role.AGENT}),
        "acme",
        "alice@example.com",
    )
    assert p.expires_at == 1_000_000 + websession.MAX_AGE
    assert len(data["csrf"]) >= 24


def test_a_cookie_past_its_max_age_is_refused(keyed: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cookie issued at t
    at(monkeypatch, 1_000_000)
    cookie = websession.issue(ALICE)

    # When it is read one second after its max age
    at(monkeypatch, 1_000_000 + websession.MAX_AGE + 1)

    # Then it is refused
    assert websession.read(cookie) is None


def test_forged_or_garbled_cookies_are_rejected(keyed: None) -> None:
    # Given a valid cookie
    cookie = websession.issue(ALICE)
    payload, sig = cookie.rsplit(".", 1)

    # Then it fails altered in any part, or as garbage
    assert websession.read(cookie) is not None
    assert websession.read(payload + "A." + sig) is None
    assert websession.read(payload + "." + sig[:-1]) is None
    assert websession.read("garbage") is None
    assert websession.read(None) is None
    # And under another key
    set_console_keys(secrets.token_urlsafe(32))
    assert websession.read(cookie) is None


def test_a_cookie_signed_with_the_old_template_default_is_refused(keyed: None) -> None:
    # Given a session for an admin forged with the old template's public default key
    forged = signing.serializer(signing.Keys(OLD_TEMPLATE_DEFAULT), signing.SESSION).dumps(
        {"sub": "mallory", "name": "Mallory", "roles": ["admin"], "csrf": "x"}
    )

    # Then the console's keys do not verify it
    assert websession.read(forged) is None


def test_the_previous_key_still_verifies_after_rotation(keyed: None) -> None:
    # Given a session signed with the key in use
    cookie = websession.issue(ALICE)

    # When the operator rotates: a new current key, the old one kept as previous
    new = secrets.token_urlsafe(32)
    set_console_keys(new, KEY)

    # Then the old session still verifies, and new ones are signed with the new key
    assert websession.read(cookie) is not None
    fresh = websession.issue(ALICE)
    set_console_keys(new)
    assert websession.read(fresh) is not None
    # And once the old key is dropped from the secret, the old session is refused
    assert websession.read(cookie) is None


def test_a_rotation_another_container_made_is_picked_up_at_once(keyed: None) -> None:
    # Given keys cached by this container (before a rotation it has not read yet)
    signing.keys()
    new = secrets.token_urlsafe(32)
    signed_elsewhere = signing.serializer(signing.Keys(new, (KEY,)), signing.SESSION).dumps(
        {"sub": "alice", "roles": ["agent"], "csrf": "x"}
    )
    import json
    import os

    import boto3

    # (another container's operator rotated; this container's cache still has the old keys)
    boto3.client("secretsmanager").put_secret_value(
        SecretId=os.environ["CONSOLE_SIGNING_KEY_ID"],
        SecretString=json.dumps({"current": new, "previous": KEY}),
    )

    # When a cookie signed with the new key arrives (the cached keys do not verify it)
    # Then the container re-reads the secret (once per REFRESH_AFTER_SECONDS) and accepts it
    assert websession.read(signed_elsewhere) is not None


def test_a_pkce_cookie_cannot_be_replayed_as_a_session(keyed: None) -> None:
    # Given the PKCE cookie the hosted-UI sign-in hands out (same key, another salt)
    from helpdesk.settings import ConsoleSettings

    cfg = ConsoleSettings(console_auth_domain="https://idp.example", audience="client")
    _, pkce = hosted_ui.start(cfg, "https://console.example/app/callback")

    # Then it is no session, and a session is no PKCE cookie
    assert websession.read(pkce) is None
    assert signing.loads(signing.PKCE, websession.issue(ALICE), hosted_ui.MAX_AGE) is None
    assert signing.loads(signing.PKCE, pkce, hosted_ui.MAX_AGE) is not None


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ({}, "missing"),
        ({"current": ""}, "missing"),
        ({"current": "k" * 31}, "shorter than 32 bytes"),
        ({"current": OLD_TEMPLATE_DEFAULT}, "a known public value"),
        ({"current": "local-dev-secret"}, "shorter than 32 bytes"),
        ("not an object", "not a JSON object"),
    ],
)
def test_a_missing_short_or_public_key_is_refused(secret: object, reason: str) -> None:
    with pytest.raises(signing.KeyRefused, match=reason):
        signing.parse(secret)


def test_a_public_previous_key_is_left_out() -> None:
    keys = signing.parse({"current": KEY, "previous": [OLD_TEMPLATE_DEFAULT, "short", KEY * 2]})
    assert keys.previous == (KEY * 2,)
    assert keys.newest_last == [KEY * 2, KEY]


def test_no_secret_configured_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.settings import console_settings

    monkeypatch.delenv("CONSOLE_SIGNING_KEY_ID")
    console_settings.cache_clear()
    try:
        with pytest.raises(signing.KeyRefused, match="CONSOLE_SIGNING_KEY_ID"):
            signing.keys()
    finally:
        console_settings.cache_clear()

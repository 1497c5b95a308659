"""The console's signed session cookie."""

from __future__ import annotations

from helpdesk import websession
from helpdesk.principal import Principal, Role

ALICE = Principal("alice", "Alice", "alice@example.com", frozenset({Role.AGENT}), "acme")


def test_round_trip_rebuilds_the_principal() -> None:
    # Given a cookie issued for an agent of acme
    cookie = websession.issue("k" * 32, ALICE, now=1_000)

    # When it is read back before it expires
    data = websession.read("k" * 32, cookie, now=1_000 + websession.MAX_AGE - 1)

    # Then the same principal comes back, with a CSRF token
    assert data is not None
    p = websession.principal(data)
    assert (p.user_id, p.roles, p.org_id, p.email) == (
        "alice",
        frozenset({Role.AGENT}),
        "acme",
        "alice@example.com",
    )
    assert len(data["csrf"]) >= 24


def test_expired_forged_or_garbled_cookies_are_rejected() -> None:
    # Given a valid cookie
    cookie = websession.issue("k" * 32, ALICE, now=1_000)
    payload, sig = cookie.rsplit(".", 1)

    # Then it fails once expired, under another key, or altered in any part
    assert websession.read("k" * 32, cookie, now=1_000 + websession.MAX_AGE) is None
    assert websession.read("j" * 32, cookie, now=1_000) is None
    assert websession.read("k" * 32, payload + "A." + sig, now=1_000) is None
    assert websession.read("k" * 32, payload + "." + sig[:-1], now=1_000) is None
    assert websession.read("k" * 32, "garbage", now=1_000) is None
    assert websession.read("k" * 32, None, now=1_000) is None

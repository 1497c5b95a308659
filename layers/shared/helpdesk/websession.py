"""The web console's session cookie: a signed, expiring record of who signed in.

`issue` packs the principal (and a per-session CSRF token) into base64 JSON signed
with HMAC-SHA256; `read` returns it only if the signature holds and it has not expired.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from helpdesk.principal import Principal, parse_roles

COOKIE = "hd_session"
MAX_AGE = 8 * 3600


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def issue(secret: str, p: Principal, now: int | None = None) -> str:
    """The cookie value for `p`, valid for MAX_AGE seconds."""
    issued = int(time.time()) if now is None else now
    data: dict[str, Any] = {
        "sub": p.user_id,
        "name": p.name,
        "email": p.email,
        "roles": sorted(p.roles),
        "org": p.org_id,
        "exp": issued + MAX_AGE,
        # the CSRF token lives in the signed session, so a forged cookie cannot carry one
        "csrf": secrets.token_urlsafe(24),
    }
    payload = _b64(json.dumps(data, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


def read(secret: str, cookie: str | None, now: int | None = None) -> dict[str, Any] | None:
    """The session data, or None if the cookie is missing, forged, malformed or expired."""
    if not cookie or "." not in cookie:
        return None
    payload, signature = cookie.rsplit(".", 1)
    if not hmac.compare_digest(signature, _sign(secret, payload)):
        return None
    try:
        data: dict[str, Any] = json.loads(_unb64(payload))
    except ValueError:
        return None
    if int(data.get("exp", 0)) <= (int(time.time()) if now is None else now):
        return None
    return data


def principal(data: dict[str, Any]) -> Principal:
    """Rebuild the principal a session was issued for."""
    return Principal(
        user_id=str(data["sub"]),
        name=str(data.get("name") or ""),
        email=str(data.get("email") or ""),
        roles=parse_roles(list(data.get("roles") or [])),
        org_id=data.get("org") or None,
        expires_at=int(data["exp"]),
    )

"""The web console's session cookie: a signed, expiring record of who signed in.

`issue` signs the principal (and a per-session CSRF token) with the console's key
(`helpdesk.signing`, itsdangerous' timed serializer, salt `helpdesk.websession`);
`read` returns it only if the signature holds under the current or a previous key and
it is at most MAX_AGE seconds old.
"""

from __future__ import annotations

import secrets
from typing import Any

from helpdesk import signing
from helpdesk.principal import Principal, parse_roles

COOKIE = "hd_session"
MAX_AGE = 8 * 3600


def issue(p: Principal) -> str:
    """The cookie value for `p`, valid for MAX_AGE seconds."""
    data: dict[str, Any] = {
        "sub": p.user_id,
        "name": p.name,
        "email": p.email,
        "roles": sorted(p.roles),
        "org": p.org_id,
        # the CSRF token lives in the signed session, so a forged cookie cannot carry one
        "csrf": secrets.token_urlsafe(24),
    }
    return signing.dumps(signing.SESSION, data)


def read(cookie: str | None) -> dict[str, Any] | None:
    """The session data (with `exp`), or None if the cookie is missing, forged, malformed
    or expired."""
    found = signing.loads(signing.SESSION, cookie, MAX_AGE)
    if found is None or not isinstance(found[0], dict) or "sub" not in found[0]:
        return None
    data, signed_at = found
    return {**data, "exp": signed_at + MAX_AGE}


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

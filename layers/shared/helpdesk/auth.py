"""Bearer token verification for the Lambda authorizer.

A bearer token is either a personal API token (`hdk_...`, see `tokens.py`),
looked up with one GetItem, or a JWT. JWTs are checked against the issuer's JWKS
(issuer, audience, expiry, and the algorithm pinned to RS256); keys and verified
results are cached in the warm authorizer. Staff roles are checked against the
staff directory (`staff.py`): a deactivated member's JWT and API tokens lose
them, within the cache TTL. Failures are returned as a code, never
raised to API Gateway (see `principal.py` for why); an issuer whose keys cannot be
fetched is not the caller's token's fault: `ISSUER_UNAVAILABLE` (503), not `TOKEN_INVALID`.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import jwt

from helpdesk import staff, tokens
from helpdesk.ids import digest
from helpdesk.principal import Principal, parse_roles
from helpdesk.settings import AuthSettings, auth_settings

ALGORITHMS = ["RS256"]
ISSUER_UNAVAILABLE = "ISSUER_UNAVAILABLE"  # the auth_error of an issuer whose keys did not come
LEEWAY_SECONDS = 30
_CACHE_SIZE = 1024


class AuthFailure(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class IssuerUnavailable(RuntimeError):
    """The issuer's keys (JWKS) could not be fetched: our dependency failed, not the caller's
    token. The authorizer answers it as `ISSUER_UNAVAILABLE` (the layer's 503 with
    Retry-After), never as TOKEN_INVALID, which would tell a client with a good token to drop
    it; nothing caches it (verified answers only are kept, and the gateway caches none)."""


@lru_cache(maxsize=4)
def _jwks(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


_verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()


def _cached(token: str) -> tuple[str, Principal | None]:
    """The token's cache key, and the principal verified for it if that answer still holds."""
    key = digest(token)
    cached = _verified.get(key)
    if cached and cached[0] > time.time():
        _verified.move_to_end(key)
        return key, cached[1]
    return key, None


def _remember(key: str, until: float, principal: Principal) -> None:
    """Keep a verified answer until `until` (least recently used ones go first)."""
    _verified[key] = (until, principal)
    while len(_verified) > _CACHE_SIZE:
        _verified.popitem(last=False)


def bearer_token(headers: dict[str, str] | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or AuthFailure."""
    value = (headers or {}).get("authorization", "")
    if not value.strip():
        raise AuthFailure("TOKEN_MISSING")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthFailure("TOKEN_INVALID")
    return token.strip()


def verify_jwt(token: str, settings: AuthSettings | None = None) -> Principal:
    """The principal a valid JWT names, or AuthFailure(TOKEN_EXPIRED | TOKEN_INVALID);
    IssuerUnavailable when the issuer's keys cannot be fetched."""
    settings = settings or auth_settings()
    cache_key, cached = _cached(token)
    if cached is not None:
        return cached
    try:
        key = _jwks(settings.resolved_jwks_url).get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=ALGORITHMS,
            audience=settings.audience,
            issuer=settings.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError as ex:
        raise AuthFailure("TOKEN_EXPIRED") from ex
    except jwt.PyJWKClientConnectionError as ex:  # before PyJWTError, its base
        raise IssuerUnavailable(settings.resolved_jwks_url) from ex
    except (jwt.PyJWTError, ValueError) as ex:
        raise AuthFailure("TOKEN_INVALID") from ex
    principal = staff.jwt_principal(principal_from_claims(claims))
    until = min(time.time() + settings.auth_cache_seconds, float(claims["exp"]))
    _remember(cache_key, until, principal)
    return principal


def verify_api_token(token: str, settings: AuthSettings | None = None) -> Principal:
    """The owner (as the token narrows them) of a live API token, or AuthFailure.

    Answers are cached for at most `auth_cache_seconds`, so a revoked token
    stops working within that time (docs/api.md, "Authentication")."""
    settings = settings or auth_settings()
    cache_key, principal = _cached(token)
    if principal is None:
        principal = tokens.verify_token(token)
        if principal is None:
            raise AuthFailure("TOKEN_INVALID")
        until = time.time() + settings.auth_cache_seconds
        if principal.expires_at is not None:
            until = min(until, float(principal.expires_at))
        _remember(cache_key, until, principal)
    if principal.expires_at is not None and principal.expires_at <= time.time():
        raise AuthFailure("TOKEN_EXPIRED")
    return principal


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Map OIDC claims (Cognito's names or plain ones) to our principal."""
    roles = claims.get("roles") or claims.get("cognito:groups")
    org = claims.get("org_id") or claims.get("custom:org_id")
    return Principal(
        user_id=str(claims["sub"]),
        name=str(claims.get("name") or claims.get("cognito:username") or claims.get("email") or ""),
        email=str(claims.get("email") or ""),
        roles=parse_roles(roles),
        org_id=str(org) if org else None,
        expires_at=int(claims["exp"]),
    )


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    """The simple response of an HTTP API Lambda authorizer for `event`."""
    try:
        token = bearer_token(event.get("headers"))
        if tokens.is_api_token(token):
            principal = verify_api_token(token)
        else:
            principal = verify_jwt(token)
    except AuthFailure as failure:
        return {"isAuthorized": True, "context": {"auth_error": failure.code}}
    except IssuerUnavailable:
        return {"isAuthorized": True, "context": {"auth_error": ISSUER_UNAVAILABLE}}
    return {"isAuthorized": True, "context": principal.to_context()}

"""Personal API tokens: make, list, revoke, and verify (for the authorizer).

A token reads `hdk_<26-char id>_<43-char secret>`: the fixed prefix lets secret
scanners spot a leaked one and lets the authorizer tell it from a JWT without
parsing; the id finds its item with one GetItem. Only the SHA-256 of the whole
token is stored: the secret has 256 random bits, so a slow hash would add
latency to every call without adding safety.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta

from helpdesk import clock
from helpdesk.domain import ApiToken
from helpdesk.errors import (
    ApiTokenNotFoundError,
    TokenLimitReachedError,
    TokenNotAllowedError,
    ValidationFailedError,
)
from helpdesk.ids import digest, new_id
from helpdesk.models.account import (
    ApiTokenList,
    ApiTokenResponse,
    CreateApiTokenRequest,
    CreatedApiTokenResponse,
)
from helpdesk.principal import STAFF_ROLES, Principal, Role, Scope
from helpdesk.store import tokens as store_tokens

TOKEN_PREFIX = "hdk_"
MAX_TOKENS_PER_USER = 20
MAX_LIFETIME = timedelta(days=366)
# last_used_at is written at most this often, so a busy token costs no write per call.
TOUCH_EVERY = timedelta(minutes=1)
_SHAPE = re.compile(r"^hdk_([0-9a-z]{26})_([A-Za-z0-9_\-]{43})$")


def is_api_token(token: str) -> bool:
    """True if `token` looks like one of ours (JWTs start with `eyJ`)."""
    return token.startswith(TOKEN_PREFIX)


def _granted_roles(owner: Principal, scopes: set[str]) -> list[str]:
    roles = set(owner.roles)
    if Scope.ADMIN not in scopes:
        roles -= STAFF_ROLES
    return sorted(roles or {Role.CUSTOMER})


def create_token(p: Principal, req: CreateApiTokenRequest) -> CreatedApiTokenResponse:
    """Make a token for `p`; the secret is in the answer and nowhere else."""
    if p.via_token:
        raise TokenNotAllowedError()
    now = clock.now()
    if req.expires_at is not None and not now < req.expires_at <= now + MAX_LIFETIME:
        raise ValidationFailedError("expires_at must be in the future and at most a year ahead")
    default = {Scope.TICKETS_READ, Scope.TICKETS_WRITE} | ({Scope.ADMIN} if p.is_staff else set())
    scopes: set[str] = set(req.scopes) if req.scopes else set(default)
    if Scope.ADMIN in scopes and not p.is_staff:
        raise ValidationFailedError("Only support staff may give a token the admin scope")
    if Scope.TICKETS_WRITE in scopes:
        scopes.add(Scope.TICKETS_READ)  # writing without reading is not a useful grant
    if len(store_tokens.list_api_tokens(p.user_id)) >= MAX_TOKENS_PER_USER:
        raise TokenLimitReachedError()
    token_id = new_id("tok")
    secret = f"{TOKEN_PREFIX}{token_id.removeprefix('tok_')}_{secrets.token_urlsafe(32)}"
    item = ApiToken(
        id=token_id,
        owner_id=p.user_id,
        owner_name=p.name,
        owner_email=p.email,
        org_id=p.org_id,
        name=req.name,
        prefix=secret[: len(TOKEN_PREFIX) + 26 + 5],
        secret_hash=digest(secret),
        roles=_granted_roles(p, scopes),
        scopes=sorted(scopes),
        created_at=clock.iso(now),
        expires_at=clock.iso(req.expires_at) if req.expires_at else None,
    )
    store_tokens.put_api_token(item)
    return CreatedApiTokenResponse(**ApiTokenResponse.of(item).model_dump(), token=secret)


def list_tokens(p: Principal) -> ApiTokenList:
    """The caller's tokens (never their secrets)."""
    return ApiTokenList(
        items=[ApiTokenResponse.of(t) for t in store_tokens.list_api_tokens(p.user_id)]
    )


def revoke_token(p: Principal, token_id: str) -> None:
    """Delete one of the caller's tokens; someone else's is a 404 like a missing one."""
    if not store_tokens.delete_api_token(p.user_id, token_id):
        raise ApiTokenNotFoundError()


def verify_token(token: str) -> Principal | None:
    """The principal a live API token stands for, None if it is unknown, revoked or
    forged; `expires_at` is set so callers can refuse an expired one."""
    m = _SHAPE.match(token)
    if not m:
        return None
    item = store_tokens.get_api_token(f"tok_{m.group(1)}")
    if item is None or not hmac.compare_digest(item.secret_hash, digest(token)):
        return None
    now = clock.now()
    stale = item.last_used_at is None or clock.parse(item.last_used_at) < now - TOUCH_EVERY
    if stale:
        store_tokens.touch_api_token(item.id, clock.iso(now), clock.iso(now - TOUCH_EVERY))
    return Principal(
        user_id=item.owner_id,
        name=item.owner_name,
        email=item.owner_email,
        roles=frozenset(Role(r) for r in item.roles),
        org_id=item.org_id,
        expires_at=int(clock.parse(item.expires_at).timestamp()) if item.expires_at else None,
        token_id=item.id,
        scopes=frozenset(item.scopes),
    )

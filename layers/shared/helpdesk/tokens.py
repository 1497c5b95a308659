"""Personal API tokens: make, list, revoke, and verify (for the authorizer).

A token reads `hdk_<26-char id>_<43-char secret>`: the fixed prefix lets secret
scanners spot a leaked one and lets the authorizer tell it from a JWT without
parsing; the id finds its item with one GetItem. Only the SHA-256 of the whole
token is stored: the secret has 256 random bits, so a slow hash would add
latency to every call without adding safety.

Every token expires (90 days by default, at most a year). A token made with
staff roles keeps them only while its owner is active staff (`staff.token_roles`):
verifying it reads the owner's staff directory entry too, one more GetItem for
staff tokens only.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta

from helpdesk import clock, staff
from helpdesk.domain import ApiToken
from helpdesk.errors import (
    ApiTokenNotFoundError,
    TokenLifetimeTooLongError,
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
    OwnedApiTokenList,
    OwnedApiTokenResponse,
)
from helpdesk.principal import STAFF_ROLES, Principal, Role, Scope
from helpdesk.store import people as store_people
from helpdesk.store import tokens as store_tokens

TOKEN_PREFIX = "hdk_"
MAX_TOKENS_PER_USER = 20
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=366)  # a year, leap day included
# last_used_at is written at most this often, so a busy token costs no write per call.
TOUCH_EVERY = timedelta(minutes=1)
_SHAPE = re.compile(r"^hdk_([0-9a-z]{26})_([A-Za-z0-9_\-]{43})$")


def is_api_token(token: str) -> bool:
    """True if `token` looks like one of ours (JWTs start with `eyJ`)."""
    return token.startswith(TOKEN_PREFIX)


def _granted_roles(owner: Principal, scopes: set[str]) -> list[str]:
    roles = set(owner.roles)
    if Scope.ADMIN not in scopes:
        # a changes:read token keeps the admin role (the authorizer then checks the owner
        # is still an administrator); Principal lets it reach the change feed only
        roles -= STAFF_ROLES - ({Role.ADMIN} if Scope.CHANGES_READ in scopes else set())
    return sorted(roles or {Role.CUSTOMER})


def create_token(p: Principal, req: CreateApiTokenRequest) -> CreatedApiTokenResponse:
    """Make a token for `p`; the secret is in the answer and nowhere else."""
    if p.via_token:
        raise TokenNotAllowedError()
    now = clock.now()
    until = _expiry(req, now)
    default = {Scope.TICKETS_READ, Scope.TICKETS_WRITE} | ({Scope.ADMIN} if p.is_staff else set())
    scopes: set[str] = set(req.scopes) if req.scopes else set(default)
    if Scope.ADMIN in scopes and not p.is_staff:
        raise ValidationFailedError("Only support staff may give a token the admin scope")
    if Scope.CHANGES_READ in scopes and not p.is_admin:
        raise ValidationFailedError("Only administrators may give a token the changes:read scope")
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
        expires_at=clock.iso(until),
    )
    if set(item.roles) & STAFF_ROLES:
        # its staff roles hold only while the owner's directory entry says so: make sure
        # there is one (never reactivates a deactivated member: see store.people.staff_put)
        store_people.put_staff(
            store_people.StaffMember(
                p.user_id, p.name, p.email, tuple(sorted(p.roles)), last_seen_at=item.created_at
            )
        )
    store_tokens.put_api_token(item)
    return CreatedApiTokenResponse(**ApiTokenResponse.of(item).model_dump(), token=secret)


def _expiry(req: CreateApiTokenRequest, now: datetime) -> datetime:
    """When a new token stops: `expires_at`, or `expires_in` seconds on, or in 90 days."""
    if req.expires_at is not None and req.expires_in is not None:
        raise ValidationFailedError("Send expires_at or expires_in, not both")
    if req.expires_in is not None:
        if req.expires_in > MAX_LIFETIME.total_seconds():
            raise TokenLifetimeTooLongError(f"expires_in may be at most {MAX_LIFETIME.days} days")
        return now + timedelta(seconds=req.expires_in)
    expires_at = req.expires_at or now + DEFAULT_LIFETIME
    if expires_at <= now:
        raise ValidationFailedError("expires_at must be in the future")
    if expires_at > now + MAX_LIFETIME:
        raise TokenLifetimeTooLongError(f"expires_at may be at most {MAX_LIFETIME.days} days ahead")
    return expires_at


def expiry_of(item: ApiToken) -> str:
    """When `item` stops working; a token made before expiries were required lives a
    year from its creation."""
    return item.expires_at or clock.iso(clock.parse(item.created_at) + MAX_LIFETIME)


def _shown(item: ApiToken) -> ApiToken:
    return item.model_copy(update={"expires_at": expiry_of(item)})


def list_tokens(p: Principal) -> ApiTokenList:
    """The caller's tokens (never their secrets)."""
    items = store_tokens.list_api_tokens(p.user_id)
    return ApiTokenList(items=[ApiTokenResponse.of(_shown(t)) for t in items])


def revoke_token(p: Principal, token_id: str) -> None:
    """Delete one of the caller's tokens; someone else's is a 404 like a missing one."""
    if not store_tokens.delete_api_token(p.user_id, token_id):
        raise ApiTokenNotFoundError()


def list_user_tokens(p: Principal, user_id: str) -> OwnedApiTokenList:
    """Any user's tokens, never their secrets (admin)."""
    p.require_admin()
    items = store_tokens.list_api_tokens(user_id)
    return OwnedApiTokenList(items=[OwnedApiTokenResponse.of(_shown(t)) for t in items])


def revoke_user_token(p: Principal, user_id: str, token_id: str) -> None:
    """Delete any user's token (admin); a token that is not `user_id`'s is a 404."""
    p.require_admin()
    if not store_tokens.delete_api_token(user_id, token_id):
        raise ApiTokenNotFoundError()


def verify_token(token: str) -> Principal | None:
    """The principal a live API token stands for, None if it is unknown, revoked or
    forged; `expires_at` is set so callers can refuse an expired one. A token made
    with staff roles has them only while its owner is active staff (one more GetItem:
    the owner's staff directory entry)."""
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
    roles = frozenset(Role(r) for r in item.roles)
    if roles & STAFF_ROLES:
        roles = staff.token_roles(
            item.roles, store_people.get_staff(item.owner_id), item.created_at
        )
    return Principal(
        user_id=item.owner_id,
        name=item.owner_name,
        email=item.owner_email,
        roles=roles,
        org_id=item.org_id,
        expires_at=int(clock.parse(expiry_of(item)).timestamp()),
        token_id=item.id,
        scopes=frozenset(item.scopes),
    )

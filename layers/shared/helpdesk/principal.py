"""Who is calling: built from the Lambda authorizer's context, nothing else.

The authorizer never rejects a request itself (a rejection would be API
Gateway's plain-JSON 403); it hands over either an identity or an
`auth_error` code, and `principal_from_event` turns the latter into a 401
problem document. See docs/design.md, "Auth".
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Any, NamedTuple

from helpdesk.errors import (
    ForbiddenError,
    InsufficientScopeError,
    IssuerUnavailableError,
    UnauthenticatedError,
)


class Role(StrEnum):
    CUSTOMER = "customer"
    ORG_MANAGER = "org_manager"
    AGENT = "agent"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.AGENT, Role.ADMIN})


class Scope(StrEnum):
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    ADMIN = "admin"
    # An integration's scope: read the change feed and nothing else (an administrator's grant)
    CHANGES_READ = "changes:read"


# Methods a token with only tickets:read may use.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Scopes that reach the ticket routes; a token with none of them (only changes:read) may
# call FEED_ROUTES alone.
TICKET_SCOPES = frozenset({Scope.TICKETS_READ, Scope.TICKETS_WRITE, Scope.ADMIN})
FEED_ROUTES = frozenset({"GET /admin/changes"})


class Principal(NamedTuple):
    user_id: str
    name: str = ""
    email: str = ""
    roles: frozenset[Role] = frozenset({Role.CUSTOMER})
    org_id: str | None = None
    expires_at: int | None = None
    # Set when the caller used a personal API token (not a sign-in session).
    token_id: str | None = None
    scopes: frozenset[str] | None = None

    @property
    def via_token(self) -> bool:
        return self.token_id is not None

    @property
    def _staff_scope(self) -> bool:
        """A sign-in, or a token with the admin scope: staff roles act in full. (A
        changes:read token keeps its owner's admin role, so that the authorizer checks the
        owner is still an administrator, but the role reaches only the change feed.)"""
        return self.scopes is None or Scope.ADMIN in self.scopes

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES) and self._staff_scope

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles and self._staff_scope

    @property
    def can_read_changes(self) -> bool:
        """An administrator, or an administrator's token with the changes:read scope."""
        return Role.ADMIN in self.roles and (
            self._staff_scope or Scope.CHANGES_READ in (self.scopes or ())
        )

    @property
    def is_org_manager(self) -> bool:
        return Role.ORG_MANAGER in self.roles and self.org_id is not None

    def require_staff(self) -> None:
        if not self.is_staff:
            raise ForbiddenError("This route is for support staff")

    def require_admin(self) -> None:
        if not self.is_admin:
            raise ForbiddenError("This route is for administrators")

    def to_context(self) -> dict[str, str | int]:
        """The authorizer context (strings and numbers only, as API Gateway requires)."""
        ctx: dict[str, str | int] = {
            "user_id": self.user_id,
            "name": self.name,
            "email": self.email,
            "roles": ",".join(sorted(self.roles)),
            "org_id": self.org_id or "",
        }
        if self.expires_at is not None:
            ctx["expires_at"] = self.expires_at
        if self.token_id is not None:
            ctx["token_id"] = self.token_id
            ctx["scopes"] = ",".join(sorted(self.scopes or ()))
        return ctx


def parse_roles(raw: str | list[str] | None) -> frozenset[Role]:
    items = raw.split(",") if isinstance(raw, str) else (raw or [])
    roles = {Role(r.strip()) for r in items if r.strip() in Role.__members__.values()}
    return frozenset(roles or {Role.CUSTOMER})


def principal_from_event(event: dict[str, Any]) -> Principal:
    """The caller of this request, or UnauthenticatedError (401) with the authorizer's reason."""
    ctx = (event.get("requestContext") or {}).get("authorizer", {}) or {}
    ctx = ctx.get("lambda") or {}
    error = ctx.get("auth_error")
    if error == "ISSUER_UNAVAILABLE":  # the authorizer could not fetch the issuer's keys
        raise IssuerUnavailableError("The token could not be checked now; retry")
    if error or not ctx.get("user_id"):
        raise UnauthenticatedError(
            _AUTH_DETAILS.get(error, _AUTH_DETAILS[None]), code=error or "TOKEN_MISSING"
        )
    expires_at = ctx.get("expires_at")
    # The gateway may cache an authorizer answer longer than the token lives.
    if expires_at not in (None, "") and int(expires_at) < time.time():
        raise UnauthenticatedError(_AUTH_DETAILS["TOKEN_EXPIRED"], code="TOKEN_EXPIRED")
    token_id = str(ctx["token_id"]) if ctx.get("token_id") else None
    scopes = frozenset(filter(None, str(ctx.get("scopes") or "").split(","))) if token_id else None
    if scopes is not None and Scope.TICKETS_WRITE not in scopes:
        method = str(((event.get("requestContext") or {}).get("http") or {}).get("method", ""))
        if method.upper() not in READ_METHODS:
            raise InsufficientScopeError("This API token may only read (scope tickets:read)")
    if scopes is not None and not scopes & TICKET_SCOPES:
        if str(event.get("routeKey", "")) not in FEED_ROUTES:
            raise InsufficientScopeError(
                "This API token may only read the change feed (scope changes:read)"
            )
    return Principal(
        user_id=str(ctx["user_id"]),
        name=str(ctx.get("name") or ""),
        email=str(ctx.get("email") or ""),
        roles=parse_roles(ctx.get("roles")),
        org_id=str(ctx["org_id"]) if ctx.get("org_id") else None,
        expires_at=int(expires_at) if expires_at not in (None, "") else None,
        token_id=token_id,
        scopes=scopes,
    )


_AUTH_DETAILS: dict[str | None, str] = {
    None: "Send a bearer token: Authorization: Bearer <token>",
    "TOKEN_MISSING": "Send a bearer token: Authorization: Bearer <token>",
    "TOKEN_EXPIRED": "The token has expired",
    "TOKEN_INVALID": "The token is not valid",
}

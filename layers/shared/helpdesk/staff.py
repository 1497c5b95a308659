"""The staff directory: who is support staff now, and an admin's say over it.

JWT roles come from the identity provider, API token roles from the moment the
token was made; neither notices a demotion by itself. The directory entry
(`STAFF` / `U#<id>`, see `store.people`) is what the authorizer reads to decide whether
staff roles still hold (docs/design.md, 2.4, "Demoting staff"):

- a JWT keeps its staff roles unless the entry exists and is deactivated (the
  IdP is the source of roles; the entry can only take them away);
- an API token keeps its staff roles only while the entry exists, is active,
  was not deactivated after the token was made, and still lists the role.
"""

from __future__ import annotations

from collections.abc import Iterable

from helpdesk import clock
from helpdesk.errors import SelfDeactivationError, StaffNotFoundError
from helpdesk.models.account import StaffList, StaffMemberResponse
from helpdesk.principal import STAFF_ROLES, Principal, Role
from helpdesk.store import people as store_people

_ROLE_NAMES = frozenset(r.value for r in Role)


def _roles(names: Iterable[str]) -> set[Role]:
    return {Role(n) for n in names if n in _ROLE_NAMES}


def token_roles(
    roles: Iterable[str], member: store_people.StaffMember | None, made_at: str
) -> frozenset[Role]:
    """The roles an API token made at `made_at` with `roles` grants now, given its
    owner's directory entry `member` (None: not in the directory)."""
    granted = _roles(roles)
    staff: set[Role] = set()
    if (
        member is not None
        and member.active
        and not (member.deactivated_at is not None and made_at <= member.deactivated_at)
    ):
        staff = granted & STAFF_ROLES & _roles(member.roles)
    return frozenset(((granted - STAFF_ROLES) | staff) or {Role.CUSTOMER})


def jwt_principal(p: Principal) -> Principal:
    """`p` (from a verified JWT) without staff roles if an admin deactivated them; one
    GetItem for staff, none for everyone else."""
    if not p.is_staff:
        return p
    member = store_people.get_staff(p.user_id)
    if member is None or member.active:
        return p
    return p._replace(roles=frozenset((p.roles - STAFF_ROLES) or {Role.CUSTOMER}))


def _response(m: store_people.StaffMember) -> StaffMemberResponse:
    return StaffMemberResponse(
        user_id=m.user_id,
        name=m.name,
        email=m.email,
        roles=sorted(m.roles),
        active=m.active,
        last_seen_at=m.last_seen_at,
        deactivated_at=m.deactivated_at,
    )


def list_staff(p: Principal) -> StaffList:
    """Everyone in the staff directory, active or not (admin)."""
    p.require_admin()
    return StaffList(items=[_response(m) for m in store_people.list_staff()])


def set_active(p: Principal, user_id: str, active: bool) -> StaffMemberResponse:
    """Deactivate or reactivate a staff member (admin); an admin cannot deactivate himself."""
    p.require_admin()
    if not active and user_id == p.user_id:
        raise SelfDeactivationError()
    member = store_people.set_staff_active(user_id, active, clock.now_iso())
    if member is None:
        raise StaffNotFoundError()
    return _response(member)

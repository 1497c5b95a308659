"""People: requester profiles (USER#<id> / PROFILE), the e-mail lookup (EMAIL#<email> / U)
and the staff directory (STAFF / U#<id>)."""

from __future__ import annotations

from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from helpdesk.domain import Ticket
from helpdesk.errors import StoreError
from helpdesk.store import codec, keys


def profile_puts(t: Ticket) -> list[dict[str, Any]]:
    """The requester's profile (for the staff view) and the email lookup (staff filter)."""
    profile = {
        **keys.profile(t.requester_id).fields(),
        "kind": "profile",
        "user_id": t.requester_id,
        "name": t.requester_name,
        "email": t.requester_email,
        "org_id": t.org_id,
        "guest": t.guest,
    }
    puts = [codec.put(profile)]
    # a guest's address may be a customer's too (the form proves no ownership): the
    # lookup stays the account's, and staff find guests by their guest_<hash> id
    if t.requester_email and not t.guest:
        puts.append(
            codec.put({**keys.email(t.requester_email).fields(), "user_id": t.requester_id})
        )
    return puts


def user_id_by_email(email: str) -> str | None:
    found = codec.get(keys.email(email).av())
    return str(found["user_id"]["S"]) if found else None


class StaffMember(NamedTuple):
    """An entry of the staff directory (assignees must be in it)."""

    user_id: str
    name: str
    email: str
    roles: tuple[str, ...]


def staff_put(member: StaffMember) -> dict[str, Any]:
    """The transaction item that writes `member`'s directory entry."""
    return codec.put(
        {
            **keys.staff(member.user_id).fields(),
            "kind": "staff",
            "user_id": member.user_id,
            "name": member.name,
            "email": member.email,
            "roles": sorted(member.roles),
        }
    )


def put_staff(member: StaffMember) -> None:
    """Record a staff member in the directory (or pass it to `tickets.save_ticket`, which
    writes it in the ticket's transaction: one round trip fewer)."""
    try:
        codec.client().put_item(**staff_put(member)["Put"])
    except ClientError as ex:
        raise StoreError() from ex


def get_staff(user_id: str) -> dict[str, Any] | None:
    found = codec.get(keys.staff(user_id).av())
    return codec.plain(found) if found else None

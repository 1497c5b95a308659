"""People: requester profiles (USER#<id> / PROFILE), the e-mail lookup (EMAIL#<email> / U)
and the staff directory (STAFF / U#<id>)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from helpdesk.aws import error_code
from helpdesk.domain import Ticket
from helpdesk.errors import StoreError
from helpdesk.principal import STAFF_ROLES
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


class Profile(NamedTuple):
    """A requester as his tickets named him (written with each of them)."""

    user_id: str
    name: str
    email: str
    org_id: str | None
    guest: bool


def get_profile(user_id: str) -> Profile | None:
    found = codec.get(keys.profile(user_id).av())
    if not found:
        return None
    data = codec.plain(found)
    return Profile(
        user_id,
        str(data.get("name") or ""),
        str(data.get("email") or ""),
        data.get("org_id"),
        bool(data.get("guest")),
    )


def user_id_by_email(email: str) -> str | None:
    found = codec.get(keys.email(email).av())
    return str(found["user_id"]["S"]) if found else None


class StaffMember(NamedTuple):
    """An entry of the staff directory (assignees must be in it; docs/design.md, 2.4).

    `active` False: deactivated by an admin; the member's JWTs and API tokens lose
    their staff roles. `deactivated_at` stays after a reactivation: API tokens made
    before it never regain staff roles."""

    user_id: str
    name: str
    email: str
    roles: tuple[str, ...]
    active: bool = True
    last_seen_at: str | None = None
    deactivated_at: str | None = None

    @property
    def on_duty(self) -> bool:
        """Active and still holding a staff role: may serve as a department's agent."""
        return self.active and any(r in STAFF_ROLES for r in self.roles)


def staff_put(member: StaffMember) -> dict[str, Any]:
    """The transaction item that writes `member`'s name, email, roles and last seen time;
    never `active`, which only an admin changes (an in-flight staff write must not undo a
    deactivation)."""
    return {
        "Update": {
            "TableName": codec.table(),
            "Key": keys.staff(member.user_id).av(),
            "UpdateExpression": (
                "SET kind = :kind, user_id = :id, #name = :name, email = :email,"
                " #roles = :roles, last_seen_at = :seen, active = if_not_exists(active, :yes)"
            ),
            "ExpressionAttributeNames": {"#name": "name", "#roles": "roles"},
            "ExpressionAttributeValues": {
                ":kind": codec.av("staff"),
                ":id": codec.av(member.user_id),
                ":name": codec.av(member.name),
                ":email": codec.av(member.email),
                ":roles": codec.av(sorted(member.roles)),
                ":seen": codec.av(member.last_seen_at),
                ":yes": codec.av(True),
            },
        }
    }


def put_staff(member: StaffMember) -> None:
    """Record a staff member in the directory (or pass it to `tickets.save_ticket`, which
    writes it in the ticket's transaction: one round trip fewer)."""
    try:
        codec.client().update_item(**staff_put(member)["Update"])
    except ClientError as ex:
        raise StoreError() from ex


def _staff(stored: Mapping[str, Any]) -> StaffMember:
    data = codec.plain(stored)
    return StaffMember(
        user_id=str(data["user_id"]),
        name=str(data.get("name") or ""),
        email=str(data.get("email") or ""),
        roles=tuple(data.get("roles") or ()),
        active=data.get("active") is not False,
        last_seen_at=data.get("last_seen_at"),
        deactivated_at=data.get("deactivated_at"),
    )


def get_staff(user_id: str) -> StaffMember | None:
    """The member's directory entry (one GetItem, eventually consistent), None if absent."""
    found = codec.get(keys.staff(user_id).av())
    return _staff(found) if found else None


def get_staff_many(user_ids: Iterable[str]) -> dict[str, StaffMember]:
    """The directory entries of `user_ids` by id (one BatchGetItem per 100; eventually
    consistent); absent ones are left out."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    found = codec.batch_get([keys.staff(u).av() for u in wanted])
    return {m.user_id: m for m in map(_staff, found)}


def list_staff() -> list[StaffMember]:
    """Every directory entry, by user id (one Query on the directory's partition; a help
    desk has a few hundred)."""
    pk, prefix = keys.STAFF_DIRECTORY
    items = codec.query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :u)",
        ExpressionAttributeValues={":pk": {"S": pk}, ":u": {"S": prefix}},
    )
    return [_staff(i) for i in items]


def set_staff_active(user_id: str, active: bool, at: str) -> StaffMember | None:
    """Deactivate (`deactivated_at = at`) or reactivate an existing entry; None if there is
    none. Deactivating an inactive member changes nothing (its first time stays)."""
    if active:
        update, condition = "SET active = :yes", "attribute_exists(PK)"
        values: dict[str, Any] = {":yes": codec.av(True)}
    else:
        update = "SET active = :no, deactivated_at = :at"
        condition = "attribute_exists(PK) AND (attribute_not_exists(active) OR active = :yes)"
        values = {":no": codec.av(False), ":yes": codec.av(True), ":at": codec.av(at)}
    try:
        out = codec.client().update_item(
            TableName=codec.table(),
            Key=keys.staff(user_id).av(),
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            return None if active else get_staff(user_id)
        raise StoreError() from ex
    return _staff(out["Attributes"])

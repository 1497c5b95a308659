"""Guest links: GUESTLINK#<ticket id> / L, the SHA-256 of a public ticket's private link
secret and its guest requester; one item per ticket, read by key only."""

from __future__ import annotations

from typing import Any, NamedTuple

from helpdesk.store import codec, keys


class GuestLink(NamedTuple):
    """A guest ticket's private link: the guest (id, name and e-mail, so following the
    link needs no read of the ticket) and the hash of the link secret."""

    user_id: str
    secret_hash: str
    name: str
    email: str


def guest_link_key(ticket_id: str) -> dict[str, Any]:
    return keys.guest_link(ticket_id).av()


def guest_link_put(ticket_id: str, link: GuestLink) -> dict[str, Any]:
    """The transaction item that writes the link (with the ticket it opens)."""
    return codec.put_new(
        {
            **keys.guest_link(ticket_id).fields(),
            "kind": "guest_link",
            "user_id": link.user_id,
            "secret_hash": link.secret_hash,
            "name": link.name,
            "email": link.email,
        }
    )


def get_guest_link(ticket_id: str) -> GuestLink | None:
    """The ticket's guest link, or None."""
    found = codec.get(guest_link_key(ticket_id))
    if not found:
        return None
    data = codec.plain(found)
    return GuestLink(
        user_id=str(data["user_id"]),
        secret_hash=str(data["secret_hash"]),
        name=str(data.get("name", "")),
        email=str(data.get("email", "")),
    )

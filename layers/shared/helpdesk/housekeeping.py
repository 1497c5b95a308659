"""Housekeeping: soft delete, restore, and the purge of deleted tickets after retention.

A deleted ticket leaves every list but `Q#DEL` (so counters stay exact) and its
item gets `ttl` = now + retention. DynamoDB TTL removes the item; the table's
stream delivers that REMOVE to the purge function, which deletes the rest of
the ticket (messages, events, number lookup, list entry, attachment items) and
every version of its files in S3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from helpdesk import attachments, lifecycle, store
from helpdesk.clock import now, now_iso
from helpdesk.models import StaffTicketSummary
from helpdesk.principal import Principal
from helpdesk.settings import housekeeping_settings
from helpdesk.tickets import mutate

TTL_PRINCIPAL = "dynamodb.amazonaws.com"


def soft_delete(p: Principal, ticket_id: str) -> StaffTicketSummary:
    """Admin: hide a ticket from customers and the queue; purged after the retention window."""
    p.require_admin()
    purge_at = int(now().timestamp()) + housekeeping_settings().deleted_retention_days * 86400
    return StaffTicketSummary.of(
        mutate(
            ticket_id,
            lambda t: lifecycle.soft_delete(t, p.user_id, now_iso(), purge_at),
            may_change=lambda _: True,
        )
    )


def restore(p: Principal, ticket_id: str) -> StaffTicketSummary:
    """Admin: bring a deleted ticket back on every list it was on."""
    p.require_admin()
    return StaffTicketSummary.of(
        mutate(
            ticket_id,
            lambda t: lifecycle.restore(t, p.user_id, now_iso()),
            may_change=lambda _: True,
        )
    )


def purge_from_stream(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Purge the tickets whose items DynamoDB TTL removed (stream records, OLD_IMAGE).

    Only TTL deletions of deleted tickets count: a REMOVE by anyone else, or of
    any other item, is ignored (the template's filter already drops most).
    """
    purged = items = files = 0
    for record in records:
        if record.get("eventName") != "REMOVE":
            continue
        if record.get("userIdentity", {}).get("principalId") != TTL_PRINCIPAL:
            continue
        image = record.get("dynamodb", {}).get("OldImage") or {}
        if image.get("SK", {}).get("S") != store.TICKET_SK or "deleted_at" not in image:
            continue
        ticket = store.ticket_from_image(image)
        files += attachments.purge_ticket_files(ticket.id)
        items += store.purge_ticket(ticket)
        purged += 1
    return {"tickets": purged, "items": items, "files": files}

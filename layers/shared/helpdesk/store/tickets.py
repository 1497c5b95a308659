"""Tickets, their messages and events: the ticket writes (the ticket item, version-checked,
with its messages, events and change-feed record (`store.feed`) in one transaction;
`store.lists` indexes it from the stream),
the thread, the history, the number lookup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from helpdesk.domain import Message, Ticket, TicketEvent
from helpdesk.errors import StoreError
from helpdesk.store import attachments, codec, feed, guest_links, keys, lists, people


def ticket_writes(old: Ticket | None, new: Ticket) -> list[dict[str, Any]]:
    """The ticket item, version-checked (its lists follow from the stream: `store.lists`)."""
    fields = codec.item(new.model_dump(mode="json"))
    # A deleted ticket's item expires (DynamoDB TTL); the stream purger removes the rest.
    own = {**keys.ticket(new.id).fields(), "kind": "ticket", "ttl": new.purge_at}
    put: dict[str, Any] = {"TableName": codec.table(), "Item": fields | codec.item(own)}
    if old is None:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    else:
        put["ConditionExpression"] = "version = :v"
        put["ExpressionAttributeValues"] = {":v": {"N": str(old.version)}}
    return [{"Put": put}]


def _message_data(msg: Message) -> dict[str, Any]:
    key = keys.message(msg.ticket_id, msg.created_at, msg.id, internal=msg.internal)
    unset = {"mail_id"} if msg.mail_id is None else None  # most messages: no extra attribute
    return {**key.fields(), "kind": "message", **msg.model_dump(mode="json", exclude=unset)}


def _event_put(ev: TicketEvent) -> dict[str, Any]:
    key = keys.event(ev.ticket_id, ev.seq)
    return codec.put_new({**key.fields(), "kind": "event", **ev.model_dump(mode="json")})


def next_ticket_number() -> int:
    """The next human ticket number (#1001, #1002, ...), from an atomic counter."""
    try:
        out = codec.client().update_item(
            TableName=codec.table(),
            Key=keys.TICKET_NUMBER_SEQUENCE.av(),
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
    except ClientError as ex:
        raise StoreError() from ex
    return 1000 + int(out["Attributes"]["n"]["N"])


def create_ticket(
    ticket: Ticket,
    first: Message,
    events: Sequence[TicketEvent],
    links: Sequence[attachments.AttachmentLink] = (),
    guest_link: guest_links.GuestLink | None = None,
    staff: people.StaffMember | None = None,
    also: Sequence[dict[str, Any]] = (),
) -> None:
    """Ticket, first message, events, number lookup, the requester's own list entry and
    counter (he sees the ticket he just opened: `lists.creation_writes`), the guest link
    (public form), the acting staff member's directory entry (a staff intake), `also`
    (another store module's transaction items: a received mail's record) and attachment
    links: one transaction."""
    number = codec.put_new({**keys.number(ticket.number).fields(), "ticket_id": ticket.id})
    writes = (
        ticket_writes(None, ticket)
        + lists.creation_writes(ticket)
        + [number, codec.put_new(_message_data(first))]
        + [_event_put(e) for e in events]
        + feed.record_put(ticket, events)
        + people.profile_puts(ticket)
        + ([guest_links.guest_link_put(ticket.id, guest_link)] if guest_link else [])
        + ([people.staff_put(staff)] if staff else [])
        + list(also)
    )
    codec.transact(writes + [attachments.link_update(k) for k in links], links_at=len(writes))


def save_ticket(
    old: Ticket,
    new: Ticket,
    events: Sequence[TicketEvent],
    messages: Iterable[Message] = (),
    links: Sequence[attachments.AttachmentLink] = (),
    staff: people.StaffMember | None = None,
    also: Sequence[dict[str, Any]] = (),
) -> None:
    """Write a ticket change; ConcurrentUpdateError if the ticket moved on since `old` was read.

    `links` (from `attachments.prepare_links`) mark attachments as belonging to a
    message in the same transaction; a link whose attachment is no longer
    pending and the caller's cancels it all (AttachmentAlreadyAttachedError).
    `staff` refreshes the acting staff member's directory entry in the same transaction,
    and `also` adds another store module's items (a received mail's record).
    """
    writes = (
        ticket_writes(old, new)
        + [codec.put_new(_message_data(m)) for m in messages]
        + [_event_put(e) for e in events]
        + feed.record_put(new, events)
        + ([people.staff_put(staff)] if staff else [])
        + list(also)
    )
    codec.transact(writes + [attachments.link_update(k) for k in links], links_at=len(writes))


def save_tickets(changes: Sequence[tuple[Ticket, Ticket, Sequence[TicketEvent]]]) -> None:
    """Several ticket changes in one transaction (each version-checked), e.g. a merge."""
    writes: list[dict[str, Any]] = []
    for old, new, events in changes:
        writes += (
            ticket_writes(old, new) + [_event_put(e) for e in events] + feed.record_put(new, events)
        )
    codec.transact(writes)


def copy_messages(messages: Sequence[Message]) -> None:
    """Put messages (BatchWriteItem); keys are deterministic, so a retry rewrites, never doubles."""
    codec.batch_write([{"PutRequest": {"Item": codec.item(_message_data(m))}} for m in messages])


def get_ticket(ticket_id: str) -> Ticket | None:
    found = codec.get(keys.ticket(ticket_id).av(), consistent=True)
    return codec.ticket_of(found) if found else None


def ticket_id_by_number(number: int) -> str | None:
    found = codec.get(keys.number(number).av())
    return str(found["ticket_id"]["S"]) if found else None


def get_message(ticket_id: str, created_at: str, message_id: str) -> Message | None:
    """One public message by its time and id (one GetItem); None if there is none."""
    found = codec.get(keys.message(ticket_id, created_at, message_id, internal=False).av())
    return Message.model_validate(codec.plain(found)) if found else None


class TicketThread(NamedTuple):
    ticket: Ticket
    messages: list[Message]


def get_thread(ticket_id: str, *, include_notes: bool) -> TicketThread | None:
    """The ticket and its messages (oldest first) in one Query; notes only for staff."""
    if include_notes:
        cond, values = "PK = :pk AND begins_with(SK, :t)", {":t": {"S": keys.TICKET_SK}}
    else:
        cond = "PK = :pk AND SK BETWEEN :t AND :m"
        values = {":t": {"S": keys.TICKET_SK}, ":m": {"S": keys.PUBLIC_MSG + "\uffff"}}
    values[":pk"] = {"S": keys.ticket_pk(ticket_id)}
    items = codec.query_all(
        KeyConditionExpression=cond, ExpressionAttributeValues=values, ConsistentRead=True
    )
    if not items or items[0]["SK"]["S"] != keys.TICKET_SK:
        return None
    messages = [Message.model_validate(codec.plain(i)) for i in items[1:]]
    messages.sort(key=lambda m: (m.created_at, m.id))
    return TicketThread(codec.ticket_of(items[0]), messages)


def list_events(
    ticket_id: str, *, limit: int, after_seq: int = 0
) -> tuple[list[TicketEvent], bool]:
    """A page of the ticket's events after `after_seq` (one Query), and whether more follow."""
    try:
        out = codec.client().query(
            TableName=codec.table(),
            KeyConditionExpression="PK = :pk AND SK BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": keys.ticket_pk(ticket_id)},
                ":lo": {"S": keys.event_sk(after_seq + 1)},
                ":hi": {"S": keys.LAST_EVENT},
            },
            Limit=limit + 1,
        )
    except ClientError as ex:
        raise StoreError() from ex
    items = out.get("Items", [])
    events = [TicketEvent.model_validate(codec.plain(i)) for i in items[:limit]]
    return events, len(items) > limit

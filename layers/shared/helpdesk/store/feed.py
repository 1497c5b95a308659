"""The change feed (docs/design.md, "Change feed"): one record per ticket change under
`PK = FEED`, written in the change's own transaction, holding ids only (ticket id and
number, the requester's id, the actor, the event seqs and types); a page is one Query
on it and one BatchGetItem of the events it names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from helpdesk.domain import Department, Ticket, TicketEvent
from helpdesk.errors import StoreError
from helpdesk.store import codec, keys

PURGED = "purged"  # the one record type with no event behind it (the TTL purge)


class FeedRecord(NamedTuple):
    sk: str
    at: str
    ticket_id: str
    ticket_number: int
    requester_id: str | None
    actor_id: str | None
    actor_side: str | None
    seqs: list[int]
    types: list[str]


def record_put(ticket: Ticket, events: Sequence[TicketEvent]) -> list[dict[str, Any]]:
    """The transaction item recording one ticket change (none when nothing happened)."""
    if not events:
        return []
    first = events[0]
    data = {
        **keys.feed(first.at, ticket.id, first.seq).fields(),
        "kind": "feed",
        "at": first.at,
        "ticket_id": ticket.id,
        "ticket_number": ticket.number,
        "requester_id": ticket.requester_id,
        "actor_id": first.actor_id,
        "actor_side": first.actor_side.value,
        "seqs": [e.seq for e in events],
        "types": [e.type for e in events],
    }
    return [codec.put_new(data)]


def append_purged(ticket: Ticket, at: str) -> None:
    """Record the TTL purge of a ticket (its events are gone with it), at the purge's own
    time (so that it is after every cursor already handed out)."""
    data = {
        **keys.feed(at, ticket.id, ticket.event_seq + 1).fields(),
        "kind": "feed",
        "at": at,
        "ticket_id": ticket.id,
        "ticket_number": ticket.number,
        "requester_id": ticket.requester_id,
        "actor_id": None,
        "actor_side": "system",
        "seqs": [],
        "types": [PURGED],
    }
    codec.batch_write([{"PutRequest": {"Item": codec.item(data)}}])  # the purger's one write


def is_feed_image(image: dict[str, Any] | None) -> bool:
    """Whether a stream image (typed attribute values) is a change-feed record."""
    return bool(image) and image.get("PK", {}).get("S") == keys.FEED  # type: ignore[union-attr]


def from_image(stored: dict[str, Any]) -> FeedRecord:
    """A feed record from its stored item (typed attribute values), as a Query or a
    table-stream record's `NewImage` holds it (the consumers of the stream's FEED inserts:
    webhooks, mail)."""
    d = codec.plain(stored)
    return FeedRecord(
        sk=str(d["SK"]),
        at=str(d["at"]),
        ticket_id=str(d["ticket_id"]),
        ticket_number=int(d["ticket_number"]),
        requester_id=d.get("requester_id"),
        actor_id=d.get("actor_id"),
        actor_side=d.get("actor_side"),
        seqs=[int(s) for s in d.get("seqs", [])],
        types=[str(t) for t in d.get("types", [])],
    )


def read_page(
    after: str | None, at_or_after: str | None, horizon: str, limit: int
) -> tuple[list[FeedRecord], bool]:
    """Up to `limit` records after `after` (or from `at_or_after`, inclusive) and before
    `horizon`, in commit order (one Query), and whether the Query stopped before the horizon."""
    lo = at_or_after if at_or_after is not None else (after + "\x00" if after else None)
    values = {":pk": {"S": keys.FEED}, ":hi": {"S": keys.feed_horizon(horizon)}}
    cond = "PK = :pk AND SK < :hi"
    if lo is not None:
        cond, values[":lo"] = "PK = :pk AND SK BETWEEN :lo AND :hi", {"S": lo}
    try:
        out = codec.client().query(
            TableName=codec.table(),
            KeyConditionExpression=cond,
            ExpressionAttributeValues=values,
            Limit=limit,
            ConsistentRead=True,
        )
    except ClientError as ex:
        raise StoreError() from ex
    records = [from_image(i) for i in out.get("Items", []) if i["SK"]["S"] < horizon]
    return records, "LastEvaluatedKey" in out


def get_events(refs: Sequence[tuple[str, int]]) -> dict[tuple[str, int], TicketEvent]:
    """The events named by (ticket id, seq): one BatchGetItem (per 100); missing ones (a
    purged ticket's) are left out."""
    return get_events_and_department(refs, None)[0]


def get_events_and_department(
    refs: Sequence[tuple[str, int]], department_id: str | None
) -> tuple[dict[tuple[str, int], TicketEvent], Department | None]:
    """`get_events`, and the department `department_id` (None: none asked for, or none
    found) in the same BatchGetItem: the notifier reads an unassigned ticket's department
    without a call of its own."""
    wanted = [keys.event(t, s).av() for t, s in sorted(set(refs))]
    if department_id is not None:
        wanted.append(keys.department(department_id).av())
    events: dict[tuple[str, int], TicketEvent] = {}
    department = None
    for stored in codec.batch_get(wanted):
        data = codec.plain(stored)
        if data["PK"] == keys.CATALOG and keys.is_department(data["SK"]):
            department = Department.model_validate(data)
        else:
            ev = TicketEvent.model_validate(data)
            events[(ev.ticket_id, ev.seq)] = ev
    return events, department

"""The change feed: every change to every ticket in commit order (docs/design.md, "Change
feed"; the public types and their `data` in docs/api.md).

A page is the feed records (ids only, `store.feed`) after the cursor and before the
holdback horizon, rendered from the events they name: an erasure's redaction of the events
reaches the feed by itself, and a purged ticket's records render with ids only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from helpdesk.clock import iso, now
from helpdesk.domain import TicketEvent
from helpdesk.errors import ForbiddenError
from helpdesk.ids import decode_cursor, encode_cursor
from helpdesk.models.changes import ChangeActor, ChangeItem, ChangePage
from helpdesk.principal import Principal
from helpdesk.settings import feed_settings
from helpdesk.store import feed as store_feed

CURSOR_LIST = "changes"
NO_HORIZON = "\uffff"

# internal event type -> public type
TYPES: dict[str, str] = {
    "created": "ticket.created",
    "replied": "message.created",
    "note_added": "note.created",
    "status_changed": "ticket.status_changed",
    "closed": "ticket.status_changed",
    "reopened": "ticket.status_changed",
    "assigned": "ticket.assigned",
    "priority_changed": "ticket.updated",
    "category_changed": "ticket.updated",
    "forwarded": "ticket.updated",
    "tags_changed": "ticket.updated",
    "locked": "ticket.updated",
    "unlocked": "ticket.updated",
    "external_refs_changed": "ticket.updated",
    "manager_comment_changed": "ticket.updated",
    "close_reason_changed": "ticket.updated",
    "merged_from": "ticket.updated",
    "read": "ticket.read",
    "rated": "ticket.rated",
    "deleted": "ticket.deleted",
    "restored": "ticket.restored",
    "merged_into": "ticket.merged",
    "requester_erased": "requester.erased",
    "sla_warning": "sla.warning",
    "sla_breached": "sla.breached",
    store_feed.PURGED: "ticket.purged",
}
TOMBSTONES = {"ticket.deleted", "ticket.restored", "ticket.purged", "requester.erased"}
# the types whose `data` is rendered from a ticket's event (not tombstones, not a ping)
_RENDERED = set(TYPES.values()) - TOMBSTONES
# staff-internal free text that only note.created may carry (and it carries the id only)
_INTERNAL_FIELDS = {"manager_comment"}


def _data(
    public: str, ev: TicketEvent | None, ticket_number: int, requester_id: str | None = None
) -> dict[str, Any]:
    """An item's `data`: ids only for tombstones; the changed fields otherwise."""
    if public == "requester.erased":
        return {"user_id": requester_id}
    if public in TOMBSTONES or ev is None:
        return {}
    if public == "ticket.merged":
        return {
            "source_id": ev.ticket_id,
            "source_number": ticket_number,
            "target_id": ev.data.get("target_id"),
            "target_number": ev.data.get("target_number"),
        }
    changes = {k: v for k, v in ev.changes.items() if k not in _INTERNAL_FIELDS}
    out: dict[str, Any] = {}
    if changes:
        out["changes"] = changes
    if ev.type == "created":
        out["subject"] = ev.data.get("subject")
    elif ev.type in ("replied", "note_added"):
        out["message_id"] = ev.data.get("message_id")
        if ev.type == "replied":
            out["side"] = ev.data.get("side")
    elif ev.type == "read":
        out["side"] = ev.data.get("side")
    elif ev.type == "merged_from":
        out["merged_from"] = {
            "source_id": ev.data.get("source_id"),
            "source_number": ev.data.get("source_number"),
        }
    elif ev.type == "manager_comment_changed":
        out["changed"] = ["manager_comment"]
    elif ev.type in ("sla_warning", "sla_breached"):
        out |= {k: ev.data.get(k) for k in ("metric", "cycle", "due_at", "target_minutes")}
    return out


def _items(
    record: store_feed.FeedRecord, events: dict[tuple[str, int], TicketEvent]
) -> list[ChangeItem]:
    actor = ChangeActor.model_validate({"id": record.actor_id, "side": record.actor_side})
    if not record.seqs:  # a purge: no event behind it
        return [
            ChangeItem(
                id=f"{record.ticket_id}.purged",
                type=TYPES[record.types[0]],
                occurred_at=record.at,
                ticket_id=record.ticket_id,
                ticket_number=record.ticket_number,
                actor=actor,
                data={},
            )
        ]
    out = []
    for seq, internal in zip(record.seqs, record.types, strict=True):
        public = TYPES.get(internal, "ticket.updated")
        out.append(
            ChangeItem(
                id=f"{record.ticket_id}.{seq}",
                type=public,
                occurred_at=record.at,
                ticket_id=record.ticket_id,
                ticket_number=record.ticket_number,
                actor=actor,
                data=_data(
                    public,
                    events.get((record.ticket_id, seq)),
                    record.ticket_number,
                    record.requester_id,
                ),
            )
        )
    return out


def render(record: store_feed.FeedRecord) -> list[ChangeItem]:
    """One feed record's items, as the feed pages them (one BatchGetItem of its events): what
    the consumers of the table stream's FEED inserts (webhooks, mail) deliver."""
    events = store_feed.get_events([(record.ticket_id, s) for s in record.seqs])
    return _items(record, events)


def without_data(item: ChangeItem) -> ChangeItem:
    """What a webhook delivery keeps of an item: all but its `data` (tombstones, ids only,
    and a ping keep theirs), so the delivery log holds no copy of a subject an erasure removes."""
    if item.type not in _RENDERED:
        return item
    return item.model_copy(update={"data": {}})


def current(item: ChangeItem) -> ChangeItem:
    """An item as the feed renders it now (a BatchGetItem of its one event): its `data` from
    the event as it is, an erasure's redaction included; a purged ticket's, none. Items that
    are not a ticket's event (tombstones, a ping) are returned as they are (the same object)."""
    if item.type not in _RENDERED:
        return item
    ticket_id, _, seq = item.id.rpartition(".")
    if not ticket_id or not seq.isdigit():
        return item
    ev = store_feed.get_events([(ticket_id, int(seq))]).get((ticket_id, int(seq)))
    return item.model_copy(update={"data": _data(item.type, ev, item.ticket_number)})


def page(p: Principal, *, limit: int, cursor: str | None) -> ChangePage:
    """A page of the feed: one Query (limit + 1 records) and one BatchGetItem of their events.

    The cursor names the last record delivered and how many of its items were (a record
    holds every event of one change; a page may stop inside it). `end_of_stream` is true
    when the page reached the holdback horizon: nothing older is left unread, and what is
    newer shows up on a later call with the same cursor.
    """
    if not p.can_read_changes:
        raise ForbiddenError("The change feed is for administrators and their changes:read tokens")
    after: str | None = None
    skip = 0
    if cursor:
        pos = decode_cursor(cursor, expect=CURSOR_LIST)
        after, skip = str(pos["k"]), int(pos.get("n", 0))
    holdback = feed_settings().feed_holdback_seconds
    horizon = iso(now() - timedelta(seconds=holdback)) if holdback > 0 else NO_HORIZON
    records, more = store_feed.read_page(
        None if skip else after, after if skip else None, horizon, limit + 1
    )
    events = store_feed.get_events([(r.ticket_id, s) for r in records for s in r.seqs])
    items: list[ChangeItem] = []
    last_key, partial = after or "", skip  # the cursor stays put on an empty page
    complete = True
    for record in records:
        if len(items) >= limit:
            complete = False
            break
        rendered = _items(record, events)
        first = skip if record.sk == after else 0
        taken = rendered[first : first + limit - len(items)]
        items += taken
        last_key, partial = record.sk, 0
        if first + len(taken) < len(rendered):
            partial, complete = first + len(taken), False
            break
    position: dict[str, Any] = {"l": CURSOR_LIST, "k": last_key}
    if partial:
        position["n"] = partial
    return ChangePage(
        items=items,
        next_cursor=encode_cursor(position),
        end_of_stream=complete and not more,
    )

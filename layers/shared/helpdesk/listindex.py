"""The list indexer: the table's stream keeps every ticket's list entries and counters.

A request writes a ticket (and its messages and events) and nothing else of its lists;
each stream record of a ticket item then moves the ticket's entries and counters to where
the new image belongs (`store.lists.apply`: idempotent, version-guarded, counters exactly
once; a commit that lost a race is read and decided again in process, `store.retry`).
Records of one ticket are applied in order: once one fails, the batch's later records
of the same ticket fail too without being tried, so Lambda retries them after it, in order
(docs/design.md 2., "List index").

The saved views' lists are lists like the others: each ticket record places the ticket on
the views it meets, by the views' definitions (`store.views.definitions`: read once a
batch, cached while no view changed). A view item's own record (created, changed, being
deleted) runs its backfill: one bounded step of the whole queue, oldest activity first,
each ticket put on (or taken off) the view's list; the step's cursor is written on the view
item, whose next record runs the next step, so a timeout or a redelivery loses nothing and
repeats nothing (docs/design.md 2.2, "Saved views").
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from helpdesk import telemetry
from helpdesk.clock import now_iso
from helpdesk.errors import ConcurrentUpdateError
from helpdesk.store import codec, keys, retry
from helpdesk.store import lists as store_lists
from helpdesk.store import views as store_views
from helpdesk.viewdefs import ViewDef, defaults

RACE_ATTEMPTS = 5  # at most ~0.6 s of jittered pauses, well inside the function's timeout
BACKFILL_STEP = 100  # tickets one backfill step places (one Query, one BatchGetItem, ~2 calls each)


class OutOfOrderError(RuntimeError):
    """An earlier record of the same ticket failed in this batch: this one waits for it."""


class Indexer:
    """One batch's indexer (the ids whose records failed, so later ones wait)."""

    def __init__(self) -> None:
        self.failed: set[str] = set()
        self._views: list[ViewDef] | None = None

    @property
    def views(self) -> list[ViewDef]:
        """The views' definitions, read once per batch (at its first ticket record)."""
        if self._views is None:
            found = store_views.definitions()
            if found is None:  # a new install: the default views, once (docs/design.md 2.2)
                store_views.seed(defaults(now_iso()))
                found = store_views.definitions() or []
            self._views = found
        return self._views

    def index(self, record: Mapping[str, Any]) -> store_lists.Applied | None:
        """Apply one stream record; None when it is not a ticket item's."""
        change = record.get("dynamodb") or {}
        pk = change.get("Keys", {}).get("PK", {}).get("S", "")
        sk = change.get("Keys", {}).get("SK", {}).get("S", "")
        view_id = keys.view_id_of(pk, sk)
        if view_id is not None:
            if record.get("eventName") != "REMOVE" and change.get("NewImage"):
                backfill_step(codec.plain(change["NewImage"]))
            return None
        ticket_id = keys.ticket_id_of(pk)
        if ticket_id is None or sk != keys.TICKET_SK:
            return None
        if ticket_id in self.failed:
            raise OutOfOrderError(ticket_id)
        image = change.get("NewImage") if record.get("eventName") != "REMOVE" else None
        try:
            ticket = codec.ticket_of(image) if image else None
            # a commit that lost a race (another delivery, a view's backfill) is read and
            # decided again at once, as requests are (store.retry); only a record that keeps
            # losing fails into Lambda's retry of the batch
            applied = retry.on_conflict(
                lambda: store_lists.apply(ticket_id, ticket, self.views),
                operation="index",
                attempts=RACE_ATTEMPTS,
            )
        except Exception:
            self.failed.add(ticket_id)
            raise
        if not applied.skipped:
            telemetry.count("ListEntriesWritten", applied.puts + applied.deletes)
        return applied


def backfill_step(image: Mapping[str, Any]) -> bool:
    """One step of a view's backfill (`building`) or clean-up (`deleting`), for the view item
    as its stream record shows it; nothing if the view has moved on since (a later record
    carries on). Whether a step ran."""
    if image.get("state") not in ("building", "deleting"):
        return False
    current = store_views.get_view(str(image["id"]))
    same = ("generation", "state", "cursor", "rev")
    if current is None or any(current.get(k) != image.get(k) for k in same):
        return False
    view = store_views.definition(current)
    ids, after = store_lists.queue_slice(current.get("cursor"), BACKFILL_STEP)
    tickets = store_lists.get_tickets(ids)
    placed = 0
    for ticket_id in ids:
        for attempt in range(5):
            try:
                done = store_lists.place_in_view(ticket_id, tickets.get(ticket_id), view)
                break
            except ConcurrentUpdateError:
                # the indexer moved the ticket meanwhile: read it again
                if attempt == 4:
                    raise
                tickets |= store_lists.get_tickets([ticket_id])
        placed += bool(done and not done.skipped)
    if placed:
        telemetry.count("ViewEntriesPlaced", placed)
    if after is not None:
        return store_views.advance(current, {"cursor": after})
    if current["state"] == "deleting":
        return store_views.remove(current, int(time.time()))
    return store_views.advance(current, {"cursor": None, "state": "ready"})

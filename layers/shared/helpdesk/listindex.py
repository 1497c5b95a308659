"""The list indexer: the table's stream keeps every ticket's list entries and counters.

A request writes a ticket (and its messages and events) and nothing else of its lists;
each stream record of a ticket item then moves the ticket's entries and counters to where
the new image belongs (`store.lists.apply`: idempotent, version-guarded, counters exactly
once). Records of one ticket are applied in order: once one fails, the batch's later records
of the same ticket fail too without being tried, so Lambda retries them after it, in order
(docs/design.md 2., "List index").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from helpdesk import telemetry
from helpdesk.store import codec, keys
from helpdesk.store import lists as store_lists


class OutOfOrderError(RuntimeError):
    """An earlier record of the same ticket failed in this batch: this one waits for it."""


class Indexer:
    """One batch's indexer (the ids whose records failed, so later ones wait)."""

    def __init__(self) -> None:
        self.failed: set[str] = set()

    def index(self, record: Mapping[str, Any]) -> store_lists.Applied | None:
        """Apply one stream record; None when it is not a ticket item's."""
        change = record.get("dynamodb") or {}
        pk = change.get("Keys", {}).get("PK", {}).get("S", "")
        sk = change.get("Keys", {}).get("SK", {}).get("S", "")
        ticket_id = keys.ticket_id_of(pk)
        if ticket_id is None or sk != keys.TICKET_SK:
            return None
        if ticket_id in self.failed:
            raise OutOfOrderError(ticket_id)
        image = change.get("NewImage") if record.get("eventName") != "REMOVE" else None
        try:
            applied = store_lists.apply(ticket_id, codec.ticket_of(image) if image else None)
        except Exception:
            self.failed.add(ticket_id)
            raise
        if not applied.skipped:
            telemetry.count("ListEntriesWritten", applied.puts + applied.deletes)
        return applied

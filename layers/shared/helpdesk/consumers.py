"""The table stream's consumers behind one event source mapping (all but the list index).

DynamoDB Streams serves at most two concurrent readers per shard; a third and a fourth
mapping on the same stream get throttled (`ProvisionedThroughputExceededException`) and
fall behind. The table has two readers: the list index (`IndexListsFunction`: every ticket
item, with its own ordering rules) and `ProcessChangesFunction`, whose one mapping delivers
two kinds of record (its `FilterCriteria`), each routed here to the module that owns it:

- a change-feed insert: `webhooks.Dispatcher` queues its deliveries, then
  `notify.Notifier` sends its mail;
- a TTL removal of a ticket item: `housekeeping.purge_from_stream` purges the rest of the
  deleted ticket (items and files), which appends its `ticket.purged` feed record.

Every owner is idempotent per record (a delivery and a mail are claimed with a conditional
put before they are queued or sent; a purge that runs again finds nothing), so a record
retried because a later owner failed re-runs the earlier ones and doubles nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from helpdesk.notify import Notifier
from helpdesk.store.feed import is_feed_image
from helpdesk.store.housekeeping import TTL_PRINCIPAL
from helpdesk.webhooks import Dispatcher

Kind = Literal["feed", "purge", "other"]


def kind_of(record: Mapping[str, Any]) -> Kind:
    """Which consumer a stream record is for (the mapping's filter lets only these in)."""
    change = record.get("dynamodb") or {}
    name = record.get("eventName")
    if name == "INSERT" and is_feed_image(change.get("NewImage")):
        return "feed"
    ttl = (record.get("userIdentity") or {}).get("principalId") == TTL_PRINCIPAL
    if name == "REMOVE" and ttl and (change.get("Keys") or {}).get("SK", {}).get("S") == "T":
        return "purge"
    return "other"


class Consumers:
    """One batch's consumers (each keeps its own per-batch caches)."""

    def __init__(self, remaining_ms: Callable[[], int] | None = None) -> None:
        self.dispatcher = Dispatcher()
        self.notifier = Notifier(remaining_ms=remaining_ms)

    def consume(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """One stream record, to its owners in order; what they did (for the log)."""
        kind = kind_of(record)
        if kind == "feed":
            image = dict(record["dynamodb"]["NewImage"])
            deliveries = self.dispatcher.dispatch(image)
            outcome = self.notifier.handle(image)
            return {"kind": kind, "deliveries": deliveries, "mails": outcome.sent}
        if kind == "purge":
            # imported here: TTL removals are rare, and the purge's imports (the ticket
            # rules and their models) would be ~40 ms of every cold start
            from helpdesk.housekeeping import purge_from_stream

            return {"kind": kind, **purge_from_stream([record])}
        return {"kind": kind}

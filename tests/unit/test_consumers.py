"""helpdesk.consumers: which owner a table-stream record goes to."""

from __future__ import annotations

from typing import Any

from helpdesk.consumers import kind_of

TTL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
TICKET = {"PK": {"S": "TICKET#t"}, "SK": {"S": "T"}}
FEED = {"PK": {"S": "FEED"}, "SK": {"S": "0001#x"}}


def record(name: str, keys: dict[str, Any], **extra: Any) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": keys}
    if name == "INSERT":
        change["NewImage"] = dict(keys)
    else:
        change["OldImage"] = dict(keys)
    return {"eventName": name, "dynamodb": change, **extra}


def test_a_feed_insert_goes_to_the_feed_consumers() -> None:
    assert kind_of(record("INSERT", FEED)) == "feed"


def test_a_ttl_removal_of_a_ticket_item_goes_to_the_purge() -> None:
    assert kind_of(record("REMOVE", TICKET, userIdentity=TTL)) == "purge"


def test_anything_else_goes_nowhere() -> None:
    user = {"type": "User", "principalId": "AIDA123"}
    assert kind_of(record("REMOVE", TICKET, userIdentity=user)) == "other"
    assert kind_of(record("REMOVE", TICKET)) == "other"
    assert kind_of(record("INSERT", TICKET)) == "other"
    assert kind_of(record("REMOVE", FEED, userIdentity=TTL)) == "other"  # a feed item's TTL
    message = {"PK": {"S": "TICKET#t"}, "SK": {"S": "T#M#x"}}
    assert kind_of(record("REMOVE", message, userIdentity=TTL)) == "other"
    assert kind_of({}) == "other"

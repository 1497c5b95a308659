"""The table's stream delivered to the functions the template maps it to, in-process: write
through the handlers, expire as DynamoDB TTL would, `drain()`, and see what the stream
function did (local.pump on moto, the same code as the runner's)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from local.backend import expire_item
from tests.conftest import BUCKET, TABLE, pump
from tests.handlers.test_attachments import create_ticket as create_with_files
from tests.handlers.test_attachments import principal, uploaded
from tests.handlers.test_housekeeping import (
    assert_counters_match_entries,
    delete,
    open_ticket,
    scan_all,
)

PURGE = "ProcessChangesFunction"


def ticket_key(ticket_id: str) -> dict[str, Any]:
    from helpdesk.store import keys as store_keys

    return store_keys.ticket(ticket_id).av()


def leftovers(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    """What is left of a ticket, but its change-feed records (ids only, kept by design:
    docs/design.md, "Change feed")."""
    return [
        i
        for i in scan_all()
        if (ticket["id"] in str(i) or i["PK"]["S"] == f"NUMBER#{ticket['number']}")
        and i["PK"]["S"] != "FEED"
    ]


def failure_messages() -> list[dict[str, Any]]:
    from tests.conftest import _refs

    sqs = boto3.client("sqs")
    out = sqs.receive_message(QueueUrl=_refs["ChangeFailureQueue"], MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in out.get("Messages", [])]


def test_a_ttl_expiry_of_a_deleted_ticket_is_purged_by_the_stream_function(
    drain: Callable[..., dict[str, Any]],
) -> None:
    from helpdesk import attachments

    # Given a deleted ticket with an attachment, and a live one
    who = principal("carl")
    created = create_with_files(who, [uploaded(who)])
    assert created["statusCode"] == 201, created["body"]
    ticket = json.loads(created["body"])
    keep = open_ticket("dora")
    assert delete(ticket["id"])[0] == 200
    drain()  # the writes so far: none is a TTL removal (their feed records are mailed)
    assert leftovers(ticket)
    # When DynamoDB TTL removes its item and the stream is drained
    expire_item(TABLE, ticket_key(ticket["id"]))
    delivered = drain()
    # Then the change consumers got that record (and then the `ticket.purged` feed record
    # the purge appended) and purged the rest of the ticket
    assert delivered[PURGE]["delivered"] == 2 and delivered[PURGE]["failures"] == 0
    assert leftovers(ticket) == []
    listing = attachments.client().list_object_versions(
        Bucket=BUCKET, Prefix=f"files/{ticket['id']}/"
    )
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    assert assert_counters_match_entries().get("Q#DEL", 0) == 0
    assert any(i["PK"]["S"] == f"TICKET#{keep['id']}" for i in scan_all())
    assert failure_messages() == []
    # and the pump's figures say so (lag from the record's write to its delivery)
    status = pump().status()[PURGE]
    assert status["failures"] == 0 and status["filtered"] > 0
    assert status["last_lag_ms"] is not None


def test_a_user_delete_of_a_deleted_ticket_is_not_a_purge(
    drain: Callable[..., dict[str, Any]],
) -> None:
    from helpdesk.store import codec as store_codec

    # Given a deleted ticket whose item is deleted by someone, not by TTL
    ticket = open_ticket()
    delete(ticket["id"])
    store_codec.client().delete_item(TableName=TABLE, Key=ticket_key(ticket["id"]))
    # When the stream is drained; Then the filter kept the record from the function
    delivered = drain()
    assert delivered[PURGE]["filtered"] > 0 and delivered[PURGE]["delivered"] == 0
    assert [i for i in scan_all() if i["PK"]["S"] == f"TICKET#{ticket['id']}"]


def test_a_poisoned_record_goes_to_the_failure_queue_and_the_others_are_purged(
    drain: Callable[..., dict[str, Any]],
) -> None:
    from helpdesk.store import codec as store_codec

    # Given two deleted tickets and, between them, a ticket item the purge cannot read
    one, two = open_ticket("carl"), open_ticket("dora")
    delete(one["id"])
    delete(two["id"])
    poisoned = {
        "PK": {"S": "TICKET#tkt_poisoned"},
        "SK": {"S": "T"},
        "deleted_at": {"S": "2026-01-01T00:00:00.000000Z"},
        "ttl": {"N": "1767225600"},
    }
    store_codec.client().put_item(TableName=TABLE, Item=poisoned)
    drain()
    # When TTL removes all three, in that order, and the stream is drained
    for key in (ticket_key(one["id"]), poisoned, ticket_key(two["id"])):
        expire_item(TABLE, {"PK": key["PK"], "SK": key["SK"]})
    delivered = drain()
    # Then both tickets are purged, and the poisoned record, retried (bisected down to
    # itself) until MaximumRetryAttempts, is given up: its position is in the failure queue
    assert leftovers(one) == [] and leftovers(two) == []
    assert assert_counters_match_entries().get("Q#DEL", 0) == 0
    assert delivered[PURGE]["discarded"] == 1
    assert delivered[PURGE]["failures"] >= 11  # the first attempt and 10 retries
    (failure,) = failure_messages()
    info = failure["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"].startswith(f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}/")
    assert info["shardId"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"].endswith(f":function:{PURGE}")
    assert set(failure) >= {"requestContext", "responseContext", "version", "timestamp"}


def test_expiring_an_item_without_a_ttl_attribute_is_refused(aws: None) -> None:
    from local.backend import NotExpirable

    ticket = open_ticket()  # a live ticket has no `ttl`: DynamoDB TTL would never delete it
    with pytest.raises(NotExpirable, match="TTL attribute"):
        expire_item(TABLE, ticket_key(ticket["id"]))
    with pytest.raises(NotExpirable, match="no such item"):
        expire_item(TABLE, ticket_key("tkt_01jexample0000000000009999"))


def test_an_index_commit_that_loses_a_race_is_decided_again_in_process(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk.errors import ConcurrentUpdateError
    from helpdesk.store import lists as store_lists
    from tests.conftest import call, settle

    # Given the list indexer's first commit loses a race (another delivery or a view's
    # backfill committed between its read and its write)
    real = store_lists.apply
    lost: list[str] = []

    def racing(ticket_id: str, *args: Any, **kwargs: Any) -> Any:
        if not lost:
            lost.append(ticket_id)
            raise ConcurrentUpdateError()
        return real(ticket_id, *args, **kwargs)

    monkeypatch.setattr(store_lists, "apply", racing)
    # When a ticket is opened and the stream delivered (settle fails on any indexer failure)
    ticket = open_ticket("carla")
    settle()
    # Then the record was read and decided again at once, not failed into a batch retry:
    # the ticket is in the queue and every counter matches its entries
    assert lost == [ticket["id"]]
    _, queue, _ = call("admin_list_tickets", user="agnes", roles="agent")
    assert ticket["id"] in {t["id"] for t in queue["items"]}
    assert_counters_match_entries()

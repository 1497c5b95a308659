"""Received mail: its record (exactly once per Message-ID), the admins' log, and the
lookup of the Message-IDs of mail we sent (docs/design.md, "Mail in")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from helpdesk.aws import error_code
from helpdesk.errors import StoreError
from helpdesk.ids import digest
from helpdesk.store import codec, keys

ACCEPTED, DROPPED = "accepted", "dropped"


def mail_digest(message_id: str) -> str:
    """The key part of a Message-ID (case kept: ids are case-sensitive on the left)."""
    return digest(message_id.strip().strip("<>"))[:40]


def get(mail_digest_: str) -> dict[str, Any] | None:
    """The record of a received message, if it was received (strongly consistent)."""
    found = codec.get(keys.inbound(mail_digest_).av(), consistent=True)
    return codec.plain(found) if found else None


def record_put(record: Mapping[str, Any]) -> dict[str, Any]:
    """The transaction item that writes a message's record once (`record["digest"]`)."""
    return codec.put_new({**keys.inbound(record["digest"]).fields(), **record})


def record_puts(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The items a message that became a ticket message adds to the ticket's transaction:
    its record, and the ticket's pointer to it and its log entries (the purge follows it)."""
    pointer = keys.inbound_of_ticket(record["ticket_id"], record["digest"])
    doomed = [keys.inbound(record["digest"])] + [
        keys.inbound_log_entry(status, record["received_at"], record["id"])
        for status in (None, record["status"])
    ]
    return [
        record_put(record),
        codec.put({**pointer.fields(), "purges": [[k.pk, k.sk] for k in doomed]}),
    ]


def put_dropped(record: Mapping[str, Any]) -> bool:
    """Write a dropped message's record once; False if the message was received before."""
    try:
        codec.client().put_item(**record_put(record)["Put"])
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            return False
        raise StoreError() from ex
    return True


def log(record: Mapping[str, Any]) -> None:
    """The record's entries in the admins' log (all, and its status); idempotent."""
    base = {k: v for k, v in record.items() if k not in ("PK", "SK")}
    for status in (None, record["status"]):
        key = keys.inbound_log_entry(status, record["received_at"], record["id"])
        try:
            codec.client().put_item(
                TableName=codec.table(), Item=codec.item({**key.fields(), **base})
            )
        except ClientError as ex:
            raise StoreError() from ex


def page(status: str | None, before: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` log entries, newest first, older than `before` (one Query); more?"""
    return codec.newest_first(keys.inbound_log(status), before, limit)


def remember_sent(header_id: str, ticket_id: str) -> None:
    """A mail we sent about `ticket_id` had the Message-ID `header_id` (replies name it)."""
    key = keys.sent_message_id(mail_digest(header_id))
    try:
        codec.client().put_item(
            TableName=codec.table(), Item=codec.item({**key.fields(), "ticket_id": ticket_id})
        )
    except ClientError as ex:
        raise StoreError() from ex


def tickets_of(message_ids: Iterable[str]) -> dict[str, str]:
    """For each Message-ID that is ours (sent, or received into a ticket): its ticket id
    (one BatchGetItem over both kinds of record)."""
    digests = {mail_digest(m): m for m in message_ids if m}
    if not digests:
        return {}
    wanted = [keys.sent_message_id(d).av() for d in digests] + [
        keys.inbound(d).av() for d in digests
    ]
    found: dict[str, str] = {}
    for item in codec.batch_get(wanted):
        data = codec.plain(item)
        d = str(data["PK"]).split("#", 1)[1]
        if data.get("ticket_id"):
            found[digests[d]] = str(data["ticket_id"])
    return found

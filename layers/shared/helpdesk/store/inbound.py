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


def _doomed(record: Mapping[str, Any]) -> list[keys.Key]:
    """A received message's items: its record and its log entries (and its sender entry)."""
    out = [keys.inbound(record["digest"])] + [
        keys.inbound_log_entry(status, record["received_at"], record["id"])
        for status in (None, record["status"])
    ]
    if record.get("sender"):
        out.append(_sender_entry(record))
    return out


def _sender_entry(record: Mapping[str, Any]) -> keys.Key:
    return keys.inbound_of_sender(
        sender_digest(str(record["sender"])), record["received_at"], record["id"]
    )


def sender_digest(address: str) -> str:
    return digest(address.strip().lower())[:40]


def record_puts(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The items a message that became a ticket message adds to the ticket's transaction:
    its record, and the ticket's pointer to it, its log entries and its raw message (the
    purge and erasure follow it)."""
    pointer = keys.inbound_of_ticket(record["ticket_id"], record["digest"])
    return [
        record_put(record),
        codec.put(
            {
                **pointer.fields(),
                "purges": [[k.pk, k.sk] for k in _doomed(record)],
                "raw_key": record.get("raw_key", ""),
            }
        ),
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
    """The record's entries in the admins' log (all, and its status) and under its sender's
    address (what erasure finds: the items to delete and the raw message); idempotent."""
    base = {k: v for k, v in record.items() if k not in ("PK", "SK")}
    entries = [
        {**keys.inbound_log_entry(status, record["received_at"], record["id"]).fields(), **base}
        for status in (None, record["status"])
    ]
    if record.get("sender"):
        entries.append(
            {
                **_sender_entry(record).fields(),
                "purges": [[k.pk, k.sk] for k in _doomed(record)],
                "raw_key": record.get("raw_key", ""),
            }
        )
    for entry in entries:
        try:
            codec.client().put_item(TableName=codec.table(), Item=codec.item(entry))
        except ClientError as ex:
            raise StoreError() from ex


def sent_by(addresses: Iterable[str]) -> list[dict[str, Any]]:
    """The sender entries of every message received from `addresses` (one Query each):
    `purges` (the message's items, the entry among them) and `raw_key`."""
    found: list[dict[str, Any]] = []
    for address in sorted({a.strip().lower() for a in addresses if a}):
        found += [
            codec.plain(i)
            for i in codec.query_all(
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={
                    ":pk": {"S": keys.inbound_sender_partition(sender_digest(address))}
                },
                ConsistentRead=True,
            )
        ]
    return found


def raw_keys_of(pointers: Iterable[Mapping[str, Any]]) -> list[str]:
    """The raw messages (`inbound/...` keys) of a ticket's pointers to received mail; a
    pointer written before it carried `raw_key` is followed to its record (one
    BatchGetItem)."""
    out: list[str] = []
    missing: list[dict[str, Any]] = []
    for pointer in pointers:
        if pointer.get("raw_key"):
            out.append(str(pointer["raw_key"]))
        else:
            missing.append(keys.inbound(keys.inbound_pointer_digest(str(pointer["SK"]))).av())
    if missing:
        out += [str(codec.plain(i).get("raw_key") or "") for i in codec.batch_get(missing)]
    return sorted({k for k in out if k})


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

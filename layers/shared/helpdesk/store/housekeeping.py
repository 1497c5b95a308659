"""Housekeeping items: the purge of a ticket DynamoDB TTL removed, and erasure (a requester's
tickets, thread redaction, his own key space, lookups and idempotency records)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from helpdesk.domain import Ticket
from helpdesk.errors import StoreError
from helpdesk.store import codec, inbound, keys, people, tokens

# who DynamoDB TTL deletions are by, in a stream record's `userIdentity`
TTL_PRINCIPAL = "dynamodb.amazonaws.com"


def ticket_from_image(image: Mapping[str, Any]) -> Ticket | None:
    """The ticket a DynamoDB stream image (OLD_IMAGE) held, if it is a deleted ticket's item."""
    if image.get("SK", {}).get("S") != keys.TICKET_SK or "deleted_at" not in image:
        return None
    return codec.ticket_of(image)


def delete_keys(doomed: Sequence[dict[str, Any]]) -> int:
    """Delete items by key (BatchWriteItem, 25 at a time); returns how many were asked."""
    codec.batch_write([{"DeleteRequest": {"Key": k}} for k in doomed])
    return len(doomed)


def purge_ticket(t: Ticket) -> int:
    """Remove what is left of a ticket DynamoDB TTL deleted; returns how many items went.

    Safe to run twice (stream records are delivered at least once): deletes are idempotent.
    """
    items = codec.query_all(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.ticket_pk(t.id)}},
        ProjectionExpression="PK, SK, attachments, header_id, purges",
    )
    doomed = [codec.item_key(i) for i in items]
    for stored in items:
        for ref in codec.py(stored.get("attachments", {"L": []})) or []:
            doomed.append(keys.attachment(str(ref["id"])).av())
        if "header_id" in stored:  # a notification: the lookup of its Message-ID
            header = str(stored["header_id"]["S"])
            doomed.append(keys.sent_message_id(inbound.mail_digest(header)).av())
        for pk, sk in codec.py(stored.get("purges", {"L": []})) or []:
            doomed.append(keys.av(str(pk), str(sk)))  # a received mail's record and log
    doomed.append(keys.number(t.number).av())
    if t.guest:
        doomed.append(keys.guest_link(t.id).av())
    delete_keys(doomed)
    # its entries on the deleted lists and their counters: the list indexer, from the same
    # stream record (store.lists.apply with no ticket)
    return len(doomed)


def requester_ticket_ids(user_id: str) -> list[str]:
    """Every ticket of a requester, deleted ones included (two Queries on his lists)."""
    ids: list[str] = []
    for lk in (keys.requester(user_id), keys.by_requester(keys.DELETED, user_id)):
        items = codec.query_all(
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": keys.entries_pk(lk)}},
            ProjectionExpression="id",
        )
        ids += [i["id"]["S"] for i in items]
    return sorted(set(ids))


def _update(
    key: dict[str, Any], expression: str, names: dict[str, str], values: dict[str, Any]
) -> None:
    try:
        codec.client().update_item(
            TableName=codec.table(),
            Key=key,
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as ex:
        raise StoreError() from ex


class ReceivedMail(NamedTuple):
    """Mail received from or into something erasure or the purge removes: the items to
    delete (records, log and sender entries, pointers) and the raw messages (S3 keys)."""

    item_keys: list[dict[str, Any]]
    raw_keys: list[str]


def received_mail_of_ticket(ticket_id: str) -> ReceivedMail:
    """The mail received into a ticket (its `MI#` pointers: one Query)."""
    pointers = [
        codec.plain(i)
        for i in codec.query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :mi)",
            ExpressionAttributeValues={
                ":pk": {"S": keys.ticket_pk(ticket_id)},
                ":mi": {"S": keys.INBOUND_POINTER},
            },
            ConsistentRead=True,
        )
    ]
    return _received(pointers)


def received_mail_from(addresses: Iterable[str]) -> ReceivedMail:
    """The mail received from `addresses`, whatever became of it (dropped too)."""
    return _received(inbound.sent_by(addresses))


def _received(entries: Sequence[Mapping[str, Any]]) -> ReceivedMail:
    doomed = [keys.av(str(e["PK"]), str(e["SK"])) for e in entries]
    for entry in entries:
        doomed += [keys.av(str(pk), str(sk)) for pk, sk in entry.get("purges") or []]
    unique = {(k["PK"]["S"], k["SK"]["S"]): k for k in doomed}
    return ReceivedMail(list(unique.values()), inbound.raw_keys_of(entries))


class Redacted(NamedTuple):
    messages: int
    events: int
    attachment_ids: list[str]
    mail: ReceivedMail  # the mail received into the ticket (none with `merged_from`)


def redact_thread(
    ticket_id: str, user_id: str, placeholder: str, *, merged_from: int | None = None
) -> Redacted:
    """Blank every message body (notes too) and every event's free text on a ticket.

    Returns the attachment ids the messages carried (their items and files go next), and
    the mail received into the ticket (from the same read: its `MI#` pointers).
    Author names of the requester's messages are blanked; staff names stay.
    With `merged_from`, only the messages merged from that ticket number (another
    requester's ticket holding his thread after a forced merge), events untouched.
    """
    items = codec.query_all(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.ticket_pk(ticket_id)}},
        ConsistentRead=True,
    )
    messages = events = 0
    attachment_ids: list[str] = []
    if merged_from is None:
        # notification records name their recipient in their key: they go (the ticket's
        # later mail starts new threads; docs/design.md, "Mail")
        delete_keys([codec.item_key(i) for i in items if i["SK"]["S"].startswith(keys.MAIL)])
    for stored in items:
        sk = stored["SK"]["S"]
        if (
            merged_from is not None
            and codec.py(stored.get("merged_from", {"NULL": True})) != merged_from
        ):
            continue
        if sk.startswith((keys.PUBLIC_MSG, keys.NOTE_MSG)):
            attachment_ids += [str(r["id"]) for r in codec.py(stored.get("attachments", {"L": []}))]
            author = stored.get("author_id", {}).get("S")
            name = {"S": ""} if author == user_id else stored.get("author_name", {"S": ""})
            _update(
                codec.item_key(stored),
                "SET #b = :p, #a = :none, author_name = :n",
                {"#b": "body", "#a": "attachments"},
                {":p": {"S": placeholder}, ":none": {"L": []}, ":n": name},
            )
            messages += 1
        elif sk.startswith(keys.EVENT):
            # events keep type, actor, time and numbers; their free text goes
            _update(
                codec.item_key(stored),
                "SET #d = :e, #c = :e",
                {"#d": "data", "#c": "changes"},
                {":e": {"M": {}}},
            )
            events += 1
    pointers = [
        codec.plain(i)
        for i in items
        if merged_from is None and i["SK"]["S"].startswith(keys.INBOUND_POINTER)
    ]
    return Redacted(messages, events, attachment_ids, _received(pointers))


def attachment_keys(attachment_ids: Iterable[str]) -> list[dict[str, Any]]:
    return [keys.attachment(i).av() for i in sorted(set(attachment_ids))]


def user_space(user_id: str) -> tuple[list[dict[str, Any]], set[str]]:
    """Every item of a user's own (`PK=USER#<id>`, his API tokens) and the emails they name.

    Items there may name a lookup item elsewhere in `lookup_pk`/`lookup_sk`
    (e.g. a token's hash lookup); those keys are returned too.
    """
    items = codec.query_all(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.user_pk(user_id)}},
        ConsistentRead=True,
    )
    found = [codec.item_key(i) for i in items]
    found += [
        keys.av(i["lookup_pk"]["S"], i["lookup_sk"]["S"])
        for i in items
        if "lookup_pk" in i and "lookup_sk" in i
    ]
    emails = {i["email"]["S"] for i in items if i.get("email", {}).get("S")}
    # his API tokens (TOKEN#<id>, listed on GSI1 under TOKENS#<owner>)
    found += [keys.token(t.id).av() for t in tokens.list_api_tokens(user_id)]
    return found, emails


def email_lookup_keys(emails: Iterable[str], user_id: str) -> list[dict[str, Any]]:
    """The `EMAIL#<email>` lookups among `emails` that point at `user_id`."""
    return [
        keys.email(address).av()
        for address in sorted({e.lower() for e in emails if e})
        if people.user_id_by_email(address) == user_id
    ]


def idempotency_keys_mentioning(text: str) -> list[dict[str, Any]]:
    """Idempotency records (24 h of replayable answers) whose stored answer contains `text`.

    One Query on the IDEMPOTENCY partition with a filter: it holds only the last
    day's records (TTL), and erasure is rare.
    """
    items = codec.query_all(
        KeyConditionExpression="PK = :pk",
        FilterExpression="contains(#d, :t)",
        ExpressionAttributeNames={"#d": "data"},
        ExpressionAttributeValues={":pk": {"S": keys.IDEMPOTENCY}, ":t": {"S": text}},
        ProjectionExpression="PK, SK",
    )
    return [codec.item_key(i) for i in items]

"""Mail: notification records (one per event and recipient, claimed before sending), the
kinds of mail an address turned off, and suppressed addresses (docs/design.md, "Mail").

A notification record is the exactly-once guard and the thread: `claim` puts it only if
no record has its key (`state = sending`), `mark_sent` records the Message-ID SES gave,
`release` deletes a claim whose send SES refused (so a retry may send it), and
`thread` reads a recipient's earlier sent mail about the ticket (one Query).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from helpdesk.aws import error_code
from helpdesk.errors import StoreError
from helpdesk.store import codec, inbound, keys

SENDING, SENT = "sending", "sent"


class Claim(NamedTuple):
    """The outcome of a claim: `won` (send it now), else the record that was there."""

    won: bool
    state: str | None = None
    message_id: str | None = None


def claim(ticket_id: str, recipient: str, seq: int, kind: str, at: str) -> Claim:
    """Put the notification of event `seq` to `recipient` unless one exists (one
    conditional PutItem); the existing record's state when it does."""
    key = keys.mail(ticket_id, recipient, seq)
    data = {**key.fields(), "kind": "mail", "mail_kind": kind, "state": SENDING, "at": at}
    try:
        codec.client().put_item(
            TableName=codec.table(),
            Item=codec.item(data),
            ConditionExpression="attribute_not_exists(PK)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as ex:
        if error_code(ex) != "ConditionalCheckFailedException":
            raise StoreError() from ex
        old = codec.plain(ex.response.get("Item") or {})  # type: ignore[arg-type]
        return Claim(False, old.get("state"), old.get("message_id"))
    return Claim(True)


def mark_sent(ticket_id: str, recipient: str, seq: int, message_id: str, header: str) -> None:
    """The claim is sent: the Message-ID SES returned and the header it became (and the
    header's lookup to the ticket: a reply's In-Reply-To and References name it)."""
    inbound.remember_sent(header, ticket_id)
    try:
        codec.client().update_item(
            TableName=codec.table(),
            Key=keys.mail(ticket_id, recipient, seq).av(),
            UpdateExpression="SET #s = :s, message_id = :m, header_id = :h",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={
                ":s": {"S": SENT},
                ":m": {"S": message_id},
                ":h": {"S": header},
            },
        )
    except ClientError as ex:
        raise StoreError() from ex


def release(ticket_id: str, recipient: str, seq: int) -> None:
    """Drop a claim whose send SES refused: the retry of the record may claim it again."""
    try:
        codec.client().delete_item(
            TableName=codec.table(),
            Key=keys.mail(ticket_id, recipient, seq).av(),
            ConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "state"},
            ExpressionAttributeValues={":s": {"S": SENDING}},
        )
    except ClientError as ex:
        if error_code(ex) != "ConditionalCheckFailedException":
            raise StoreError() from ex


def thread(ticket_id: str, recipient: str) -> list[str]:
    """The Message-ID headers of the mail sent to `recipient` about the ticket, oldest
    first (one Query on the recipient's records)."""
    prefix = keys.mail_prefix(ticket_id, recipient)
    items = codec.query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :p)",
        ExpressionAttributeValues={":pk": {"S": prefix.pk}, ":p": {"S": prefix.sk}},
        ConsistentRead=True,
    )
    return [str(i["header_id"]["S"]) for i in items if "header_id" in i]


class Audience(NamedTuple):
    """What the store says about recipients: the kinds each turned off, who is suppressed."""

    off: dict[str, frozenset[str]]
    suppressed: frozenset[str]


def audience(addresses: Iterable[str]) -> Audience:
    """Preferences and suppressions of `addresses` (one BatchGetItem)."""
    wanted = sorted({a.lower() for a in addresses})
    if not wanted:
        return Audience({}, frozenset())
    found = codec.batch_get(
        [keys.mail_preferences(a).av() for a in wanted] + [keys.suppression(a).av() for a in wanted]
    )
    off: dict[str, frozenset[str]] = {}
    suppressed: set[str] = set()
    for stored in found:
        d = codec.plain(stored)
        if d["PK"] == keys.SUPPRESSED:
            suppressed.add(str(d["SK"]))
        else:
            off[str(d["email"])] = frozenset(d.get("off") or [])
    return Audience(off, frozenset(suppressed))


def get_preferences(address: str) -> frozenset[str]:
    """The kinds of mail `address` turned off."""
    found = codec.get(keys.mail_preferences(address).av(), consistent=True)
    return frozenset(codec.plain(found).get("off") or []) if found else frozenset()


def put_preferences(address: str, off: Iterable[str], at: str) -> None:
    data: dict[str, Any] = {
        **keys.mail_preferences(address).fields(),
        "kind": "mail_preferences",
        "email": address.lower(),
        "off": sorted(set(off)),
        "updated_at": at,
    }
    try:
        codec.client().put_item(TableName=codec.table(), Item=codec.item(data))
    except ClientError as ex:
        raise StoreError() from ex


def suppress(address: str, reason: str, at: str, detail: str = "", source: str = "") -> bool:
    """Suppress `address` (one conditional PutItem); False when it already was: a
    redelivered event, or a second bounce, changes nothing (the first one's reason stays)."""
    data = {
        **keys.suppression(address).fields(),
        "kind": "suppression",
        "email": address.lower(),
        "reason": reason,
        "at": at,
        "detail": detail[:500],
        "source": source[:200],
    }
    return codec.put_if_new(data)


def unsuppress(address: str) -> bool:
    """Lift the suppression of `address` (one DeleteItem); False when there was none."""
    try:
        out = codec.client().delete_item(
            TableName=codec.table(), Key=keys.suppression(address).av(), ReturnValues="ALL_OLD"
        )
    except ClientError as ex:
        raise StoreError() from ex
    return bool(out.get("Attributes"))


def suppressions(after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """A page of suppressed addresses in address order, after `after` (one Query), as plain
    values; and whether there are more."""
    return codec.in_key_order(keys.SUPPRESSED, after, limit)


def suppressed(addresses: Iterable[str]) -> list[dict[str, Any]]:
    """The suppressions of those of `addresses` that are suppressed (one BatchGetItem)."""
    wanted = sorted({a.lower() for a in addresses if a})
    if not wanted:
        return []
    found = [codec.plain(i) for i in codec.batch_get([keys.suppression(a).av() for a in wanted])]
    return sorted(found, key=lambda d: wanted.index(str(d["SK"])))

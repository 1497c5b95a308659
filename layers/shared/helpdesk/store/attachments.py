"""Attachment items: ATTACHMENT#<id> / A, one per attachment (docs/design.md, "2.3 Attachments").

A pending item carries `ttl` (= expires_at) so DynamoDB removes it if it is
never linked; linking removes the ttl in the message's own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from helpdesk.aws import error_code
from helpdesk.domain import Attachment, AttachmentStatus
from helpdesk.errors import AttachmentInUseError, AttachmentNotFoundError, StoreError
from helpdesk.store import codec, keys


def _attachment(stored: Mapping[str, Any]) -> Attachment:
    return Attachment.model_validate(codec.plain(stored))


class AttachmentLink(NamedTuple):
    """Marks a pending attachment as part of a message (built by `attachments.prepare_links`)."""

    attachment_id: str
    owner_id: str
    key: str  # where the verified copy lives (files/...)
    ticket_id: str
    message_id: str
    internal: bool
    at: str  # ISO time of linking
    now_epoch: int  # the item must not have expired by then


def link_update(link: AttachmentLink) -> dict[str, Any]:
    """The transaction item that links a pending attachment (conditioned on it still being so)."""
    return {
        "Update": {
            "TableName": codec.table(),
            "Key": keys.attachment(link.attachment_id).av(),
            "UpdateExpression": (
                "SET #s = :attached, #k = :key, ticket_id = :t, message_id = :m,"
                " internal = :i, attached_at = :at REMOVE #ttl, expires_at"
            ),
            "ConditionExpression": (
                "attribute_exists(PK) AND #s = :pending AND owner_id = :o AND expires_at > :now"
            ),
            "ExpressionAttributeNames": {"#s": "status", "#k": "key", "#ttl": "ttl"},
            "ExpressionAttributeValues": {
                ":attached": {"S": AttachmentStatus.ATTACHED.value},
                ":pending": {"S": AttachmentStatus.PENDING.value},
                ":key": {"S": link.key},
                ":t": {"S": link.ticket_id},
                ":m": {"S": link.message_id},
                ":i": {"BOOL": link.internal},
                ":at": {"S": link.at},
                ":o": {"S": link.owner_id},
                ":now": {"N": str(link.now_epoch)},
            },
        }
    }


def put_attachment(a: Attachment) -> None:
    """Record a new pending attachment (with its TTL)."""
    data: dict[str, Any] = {**keys.attachment(a.id).fields(), "kind": "attachment"}
    data |= a.model_dump(mode="json")
    if a.status is AttachmentStatus.PENDING and a.expires_at is not None:
        data["ttl"] = a.expires_at
    try:
        codec.client().put_item(**codec.put_new(data)["Put"])
    except ClientError as ex:
        raise StoreError() from ex


def get_attachment(attachment_id: str) -> Attachment | None:
    found = codec.get(keys.attachment(attachment_id).av(), consistent=True)
    return _attachment(found) if found else None


def get_attachments(attachment_ids: Sequence[str]) -> dict[str, Attachment]:
    """The attachments that exist among `attachment_ids` (one consistent BatchGetItem)."""
    ids = sorted(set(attachment_ids))
    if not ids:
        return {}
    wanted = [keys.attachment(i).av() for i in ids]
    found: list[dict[str, Any]] = []
    try:
        while wanted:
            out = codec.client().batch_get_item(
                RequestItems={codec.table(): {"Keys": wanted, "ConsistentRead": True}}
            )
            found += out.get("Responses", {}).get(codec.table(), [])
            unprocessed: dict[str, Any] = dict(out.get("UnprocessedKeys") or {})
            wanted = list(unprocessed.get(codec.table(), {}).get("Keys", []))
    except ClientError as ex:
        raise StoreError() from ex
    return {a.id: a for a in map(_attachment, found)}


def delete_pending_attachment(attachment_id: str, owner_id: str) -> Attachment:
    """Delete the caller's pending attachment item and return it.

    AttachmentNotFoundError if there is none; AttachmentInUseError if it is linked.
    """
    try:
        out = codec.client().delete_item(
            TableName=codec.table(),
            Key=keys.attachment(attachment_id).av(),
            ConditionExpression="attribute_exists(PK) AND owner_id = :o AND #s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":o": {"S": owner_id},
                ":pending": {"S": AttachmentStatus.PENDING.value},
            },
            ReturnValues="ALL_OLD",
        )
    except ClientError as ex:
        if error_code(ex) != "ConditionalCheckFailedException":
            raise StoreError() from ex
        current = get_attachment(attachment_id)
        if current is None or current.owner_id != owner_id:
            raise AttachmentNotFoundError() from ex
        raise AttachmentInUseError() from ex
    return _attachment(out["Attributes"])

"""Webhook subscriptions and their deliveries (docs/design.md 2., "Webhooks").

A subscription is one item under `WEBHOOK` (the dispatcher reads the partition, one Query);
its deliveries live under `WHD#<webhook id>`, one item per (subscription, change-feed item),
keyed by an id made from the item's time and id, so that a replayed stream batch finds the
delivery already there (a conditional put) and sends nothing twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from helpdesk.aws import error_code
from helpdesk.errors import StoreError, WebhookNotFoundError
from helpdesk.store import codec, keys

HISTORY_KEPT = 30  # attempts kept on a delivery (a day of backoff is ~25)


def _update(
    key: keys.Key,
    sets: Mapping[str, Any],
    *,
    removes: tuple[str, ...] = (),
    append: Mapping[str, list[Any]] | None = None,
    adds: Mapping[str, int] | None = None,
    condition: str = "attribute_exists(PK)",
    condition_values: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """One UpdateItem (SET/REMOVE/ADD, list appends); the new item, None if the condition
    failed (the item is gone)."""
    names: dict[str, str] = {}
    values: dict[str, Any] = dict(condition_values or {})
    parts: list[str] = []
    for n, (name, value) in enumerate(sets.items()):
        if value is None:
            removes = (*removes, name)
            continue
        names[f"#s{n}"] = name
        values[f":s{n}"] = codec.av(value)
        parts.append(f"#s{n} = :s{n}")
    for n, (name, items) in enumerate((append or {}).items()):
        names[f"#a{n}"] = name
        values[f":a{n}"] = codec.av(items)
        values[":empty"] = {"L": []}
        parts.append(f"#a{n} = list_append(if_not_exists(#a{n}, :empty), :a{n})")
    expression = ("SET " + ", ".join(parts)) if parts else ""
    if adds:
        adding = []
        for n, (name, by) in enumerate(adds.items()):
            names[f"#d{n}"], values[f":d{n}"] = name, codec.av(by)
            adding.append(f"#d{n} :d{n}")
        expression += " ADD " + ", ".join(adding)
    if removes:
        gone = []
        for n, name in enumerate(dict.fromkeys(removes)):
            names[f"#r{n}"] = name
            gone.append(f"#r{n}")
        expression += " REMOVE " + ", ".join(gone)
    kwargs: dict[str, Any] = {
        "TableName": codec.table(),
        "Key": key.av(),
        "UpdateExpression": expression.strip(),
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ReturnValues": "ALL_NEW",
    }
    if values:
        kwargs["ExpressionAttributeValues"] = values
    try:
        out = codec.client().update_item(**kwargs)
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            return None
        raise StoreError() from ex
    return codec.plain(out.get("Attributes", {}))


# ---------------------------------------------------------------- subscriptions


def create_webhook(data: Mapping[str, Any]) -> None:
    codec.put_if_new({**keys.webhook(str(data["id"])).fields(), "kind": "webhook", **data})


def get_webhook(webhook_id: str) -> dict[str, Any] | None:
    found = codec.get(keys.webhook(webhook_id).av(), consistent=True)
    return codec.plain(found) if found else None


def list_webhooks() -> list[dict[str, Any]]:
    """Every subscription (one Query; a deployment has a handful)."""
    items = codec.query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :w)",
        ExpressionAttributeValues={":pk": {"S": keys.WEBHOOKS}, ":w": {"S": keys.WEBHOOK}},
        ConsistentRead=True,
    )
    return [codec.plain(i) for i in items]


def update_webhook(
    webhook_id: str, sets: Mapping[str, Any], *, adds: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """Set (None: remove) fields of a subscription; its new state. WebhookNotFoundError if
    it is gone."""
    out = _update(keys.webhook(webhook_id), sets, adds=adds)
    if out is None:
        raise WebhookNotFoundError()
    return out


def disable_webhook_if_enabled(webhook_id: str, sets: Mapping[str, Any]) -> bool:
    """Disable an enabled subscription (once: a concurrent disable wins); whether this did."""
    out = _update(
        keys.webhook(webhook_id),
        {**sets, "enabled": False},
        condition="attribute_exists(PK) AND enabled = :yes",
        condition_values={":yes": {"BOOL": True}},
    )
    return out is not None


def delete_webhook(webhook_id: str) -> bool:
    """Delete a subscription (its deliveries expire by TTL); whether it existed."""
    try:
        out = codec.client().delete_item(
            TableName=codec.table(), Key=keys.webhook(webhook_id).av(), ReturnValues="ALL_OLD"
        )
    except ClientError as ex:
        raise StoreError() from ex
    return bool(out.get("Attributes"))


# ---------------------------------------------------------------- deliveries


def create_delivery(webhook_id: str, delivery_id: str, data: Mapping[str, Any]) -> bool:
    """The delivery of one item to one subscription, unless it exists (a replayed stream
    batch): whether this call created it."""
    return codec.put_if_new(
        {**keys.webhook_delivery(webhook_id, delivery_id).fields(), "kind": "delivery", **data}
    )


def get_delivery(webhook_id: str, delivery_id: str) -> dict[str, Any] | None:
    found = codec.get(keys.webhook_delivery(webhook_id, delivery_id).av(), consistent=True)
    return codec.plain(found) if found else None


def update_delivery(
    webhook_id: str,
    delivery_id: str,
    sets: Mapping[str, Any],
    *,
    attempt: Mapping[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Record on a delivery (an attempt appended to its history); None if it is gone."""
    return _update(
        keys.webhook_delivery(webhook_id, delivery_id),
        sets,
        append={"history": [dict(attempt)]} if attempt else None,
    )


def list_deliveries(
    webhook_id: str, before: str | None, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` deliveries, newest first, older than `before` (one Query); whether
    there are more."""
    return codec.newest_first(keys.webhook_deliveries(webhook_id), before, limit)

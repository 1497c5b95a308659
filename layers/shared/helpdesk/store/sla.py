"""SLA configuration: one item (CONFIG / SLA_POLICIES) holding every policy, written with
a `version` condition (two admins editing at once: the second write retries on the first's
result), and the configuration the ticket write path reads (policies and business hours,
one BatchGetItem)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from helpdesk.aws import error_code
from helpdesk.errors import ConcurrentUpdateError, StoreError
from helpdesk.store import codec, keys


def get_policies() -> dict[str, Any] | None:
    """The stored policies document (`policies`, `version`), or None (none saved yet)."""
    found = codec.get(keys.SLA_POLICIES.av(), consistent=True)
    return codec.plain(found) if found else None


def put_policies(doc: dict[str, Any], expected_version: int) -> None:
    """Save the policies document as `expected_version + 1`, if it is still at
    `expected_version` (0: not saved yet); ConcurrentUpdateError otherwise."""
    item = {**keys.SLA_POLICIES.fields(), **doc, "version": expected_version + 1}
    condition = "attribute_not_exists(PK)" if expected_version == 0 else "version = :v"
    params: dict[str, Any] = {
        "TableName": codec.table(),
        "Item": codec.item(item),
        "ConditionExpression": condition,
    }
    if expected_version:
        params["ExpressionAttributeValues"] = {":v": codec.av(expected_version)}
    try:
        codec.client().put_item(**params)
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            raise ConcurrentUpdateError() from ex
        raise StoreError() from ex


def get_config() -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the policies document, the business-hours document), each None when not saved, for
    the ticket write path: two GetItems (eventually consistent, 0.5 RRU each). One
    BatchGetItem would save a round trip but needs its grant on every ticket-writing function
    (docs/design.md, "Service levels")."""
    policies = codec.get(keys.SLA_POLICIES.av())
    hours = codec.get(keys.BUSINESS_HOURS.av())
    return (codec.plain(policies) if policies else None), (codec.plain(hours) if hours else None)

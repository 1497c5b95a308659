"""The client, the attribute-value codec and the write plumbing every store module uses.

`ClientError`s become domain errors here (`StoreError`, `ConcurrentUpdateError`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from botocore.config import Config
from botocore.exceptions import ClientError

from helpdesk.aws import error_code, new_client
from helpdesk.domain import Ticket
from helpdesk.errors import (
    AttachmentAlreadyAttachedError,
    ConcurrentUpdateError,
    StoreError,
    ValidationFailedError,
)
from helpdesk.settings import table_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

MAX_TRANSACTION_ITEMS = 100
BATCH_WRITE_ITEMS = 25


@lru_cache(maxsize=1)
def client() -> DynamoDBClient:
    # Endpoint and credentials come from the environment (AWS_ENDPOINT_URL locally).
    dynamodb: DynamoDBClient = new_client(
        "dynamodb", Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2)
    )
    return dynamodb


def table() -> str:
    return table_settings().table_name


def av(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB attribute value (the JSON shapes our models dump)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, float):
        return {"N": repr(value)}
    if isinstance(value, list | tuple):
        return {"L": [av(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {str(k): av(v) for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__}")


def py(value: Mapping[str, Any]) -> Any:
    """An attribute value as a Python value (the inverse of `av`)."""
    ((kind, inner),) = value.items()
    if kind == "S":
        return inner
    if kind == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return inner
    if kind == "NULL":
        return None
    if kind == "L":
        return [py(v) for v in inner]
    if kind == "M":
        return {k: py(v) for k, v in inner.items()}
    if kind in ("SS", "NS"):
        return [py({kind[0]: v}) for v in inner]
    raise TypeError(f"unexpected attribute type {kind}")


def item(data: Mapping[str, Any]) -> dict[str, Any]:
    """A dict as an item (None values left out)."""
    return {k: av(v) for k, v in data.items() if v is not None}


def plain(stored: Mapping[str, Any]) -> dict[str, Any]:
    """An item (or a stream image) as a plain dict."""
    return {k: py(v) for k, v in stored.items()}


def ticket_of(stored: Mapping[str, Any]) -> Ticket:
    """A ticket from its item, one of its list entries or a stream image (the same shape)."""
    return Ticket.model_validate(plain(stored))


def item_key(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The primary key of an item read back (`Key=` shape)."""
    return {"PK": stored["PK"], "SK": stored["SK"]}


def transact(items: list[dict[str, Any]], *, links_at: int | None = None) -> None:
    """One TransactWriteItems; `items[links_at:]` are attachment links
    (`store.attachments.link_update`)."""
    if len(items) > MAX_TRANSACTION_ITEMS:
        raise ValidationFailedError("This change touches too many lists at once; split it")
    try:
        client().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
    except ClientError as ex:
        if error_code(ex) == "TransactionCanceledException":
            reasons = [r.get("Code") for r in ex.response.get("CancellationReasons", [])]
            if links_at is not None and "ConditionalCheckFailed" in reasons[links_at:]:
                # Someone linked (or deleted) it since we checked: retrying will not help.
                raise AttachmentAlreadyAttachedError(
                    "An attachment was linked or deleted while this message was being saved"
                ) from ex
            if "ConditionalCheckFailed" in reasons or "TransactionConflict" in reasons:
                raise ConcurrentUpdateError() from ex
        raise StoreError() from ex


def write(request: dict[str, Any]) -> None:
    """One transaction item (`{"Put": ...}` or `{"Delete": ...}`) as a single write at the
    plain price; a failed condition is a ConcurrentUpdateError."""
    ((kind, params),) = request.items()
    try:
        if kind == "Put":
            client().put_item(**params)
        else:
            client().delete_item(**params)
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            raise ConcurrentUpdateError() from ex
        raise StoreError() from ex


def put(data: Mapping[str, Any]) -> dict[str, Any]:
    """A transaction item that puts `data` (over whatever is there)."""
    return {"Put": {"TableName": table(), "Item": item(data)}}


def put_new(data: Mapping[str, Any]) -> dict[str, Any]:
    """A transaction item that puts `data` only if no item has its key."""
    return {
        "Put": {
            "TableName": table(),
            "Item": item(data),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def put_if_new(data: Mapping[str, Any]) -> bool:
    """Put an item unless its key exists (one conditional PutItem): whether it was written."""
    try:
        client().put_item(
            TableName=table(), Item=item(data), ConditionExpression="attribute_not_exists(PK)"
        )
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            return False
        raise StoreError() from ex
    return True


def get(key: dict[str, Any], *, consistent: bool = False) -> dict[str, Any] | None:
    """One GetItem: the item, or None."""
    try:
        out = client().get_item(TableName=table(), Key=key, ConsistentRead=consistent)
    except ClientError as ex:
        raise StoreError() from ex
    found: dict[str, Any] | None = out.get("Item")
    return found


BATCH_GET_KEYS = 100


def batch_get(keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items at `keys` (BatchGetItem, 100 keys a call, unprocessed keys asked again);
    missing ones are left out, order is not kept."""
    found: list[dict[str, Any]] = []
    try:
        for start in range(0, len(keys), BATCH_GET_KEYS):
            pending: dict[str, Any] = {table(): {"Keys": keys[start : start + BATCH_GET_KEYS]}}
            while pending:
                out = client().batch_get_item(RequestItems=pending)
                found += out.get("Responses", {}).get(table(), [])
                pending = dict(out.get("UnprocessedKeys") or {})
    except ClientError as ex:
        raise StoreError() from ex
    return found


def newest_first(pk: str, before: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """A page of a log partition (sort keys that start with the time): up to `limit`
    items, newest first, with sort keys below `before` (one Query), as plain values; and
    whether there are more."""
    return _partition_page(pk, before, limit, forward=False)


def in_key_order(pk: str, after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """A page of a partition in sort-key order: up to `limit` items with sort keys above
    `after` (one Query), as plain values; and whether there are more."""
    return _partition_page(pk, after, limit, forward=True)


def _partition_page(
    pk: str, bound: str | None, limit: int, *, forward: bool
) -> tuple[list[dict[str, Any]], bool]:
    values = {":pk": {"S": pk}}
    cond = "PK = :pk"
    if bound:
        cond += f" AND SK {'>' if forward else '<'} :bound"
        values[":bound"] = {"S": bound}
    try:
        out = client().query(
            TableName=table(),
            KeyConditionExpression=cond,
            ExpressionAttributeValues=values,
            ScanIndexForward=forward,
            Limit=limit,
        )
    except ClientError as ex:
        raise StoreError() from ex
    return [plain(i) for i in out.get("Items", [])], "LastEvaluatedKey" in out


def query_all(**kwargs: Any) -> list[dict[str, Any]]:
    """Every item a Query matches (following LastEvaluatedKey)."""
    items: list[dict[str, Any]] = []
    try:
        while True:
            out = client().query(TableName=table(), **kwargs)
            items += out.get("Items", [])
            if "LastEvaluatedKey" not in out:
                return items
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    except ClientError as ex:
        raise StoreError() from ex


def batch_write(requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem, 25 requests a call, unprocessed ones sent again."""
    try:
        for start in range(0, len(requests), BATCH_WRITE_ITEMS):
            pending: dict[str, Any] = {table(): requests[start : start + BATCH_WRITE_ITEMS]}
            while pending:
                out = client().batch_write_item(RequestItems=pending)
                pending = dict(out.get("UnprocessedItems") or {})
    except ClientError as ex:
        raise StoreError() from ex

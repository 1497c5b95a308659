"""Rate-limit windows: RL#<bucket> / W#<window>, a fixed-window hit counter."""

from __future__ import annotations

from botocore.exceptions import ClientError

from helpdesk.errors import StoreError
from helpdesk.store import codec, keys


def hit_counter(bucket: str, window: int, expires_at: int) -> int:
    """Add one to `bucket`'s counter for `window` and return its count.

    One UpdateItem (no read first); `ttl` lets DynamoDB drop spent windows."""
    try:
        out = codec.client().update_item(
            TableName=codec.table(),
            Key=keys.rate_window(bucket, window).av(),
            UpdateExpression="ADD hits :one SET #ttl = :ttl",
            ExpressionAttributeNames={"#ttl": "ttl"},
            ExpressionAttributeValues={":one": {"N": "1"}, ":ttl": {"N": str(expires_at)}},
            ReturnValues="UPDATED_NEW",
        )
    except ClientError as ex:
        raise StoreError() from ex
    return int(out["Attributes"]["hits"]["N"])

"""API tokens: TOKEN#<token id> / T holds one token; GSI1 (TOKENS#<owner> / <created>#<id>)
lists an owner's."""

from __future__ import annotations

from botocore.exceptions import ClientError

from helpdesk.aws import error_code
from helpdesk.domain import ApiToken
from helpdesk.errors import StoreError
from helpdesk.store import codec, keys


def put_api_token(token: ApiToken) -> None:
    data = {
        **keys.token(token.id).fields(),
        "kind": "api_token",
        "GSI1PK": keys.tokens_of(token.owner_id),
        "GSI1SK": keys.sort_value(token.created_at, token.id),
        **token.model_dump(mode="json"),
    }
    try:
        codec.client().put_item(**codec.put_new(data)["Put"])
    except ClientError as ex:
        raise StoreError() from ex


def get_api_token(token_id: str) -> ApiToken | None:
    found = codec.get(keys.token(token_id).av())
    return ApiToken.model_validate(codec.plain(found)) if found else None


def list_api_tokens(owner_id: str) -> list[ApiToken]:
    """The owner's tokens, oldest first (one Query on GSI1; owners hold a bounded few)."""
    items = codec.query_all(
        IndexName="GSI1",
        KeyConditionExpression="GSI1PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.tokens_of(owner_id)}},
    )
    return [ApiToken.model_validate(codec.plain(i)) for i in items]


def delete_api_token(owner_id: str, token_id: str) -> bool:
    """Delete the token if `owner_id` owns it; False if there is no such token of theirs."""
    try:
        codec.client().delete_item(
            TableName=codec.table(),
            Key=keys.token(token_id).av(),
            ConditionExpression="owner_id = :owner",
            ExpressionAttributeValues={":owner": {"S": owner_id}},
        )
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            return False
        raise StoreError() from ex
    return True


def touch_api_token(token_id: str, used_at: str, stale_before: str) -> None:
    """Record a use, unless one was recorded since `stale_before` (at most one write a minute)."""
    try:
        codec.client().update_item(
            TableName=codec.table(),
            Key=keys.token(token_id).av(),
            UpdateExpression="SET last_used_at = :at",
            ConditionExpression=(
                "attribute_exists(PK) AND "
                "(attribute_not_exists(last_used_at) OR last_used_at < :stale)"
            ),
            ExpressionAttributeValues={":at": {"S": used_at}, ":stale": {"S": stale_before}},
        )
    except ClientError as ex:
        if error_code(ex) == "ConditionalCheckFailedException":
            return
        raise StoreError() from ex

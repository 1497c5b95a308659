"""The persistence layer of Powertools' idempotency utility: its records live in our table
under PK=IDEMPOTENCY (`helpdesk.idempotency` uses it)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from helpdesk.store import codec, keys

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer


@lru_cache(maxsize=1)
def idempotency_persistence() -> DynamoDBPersistenceLayer:
    """Powertools' idempotency records live in our table under PK=IDEMPOTENCY."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=codec.table(),
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value=keys.IDEMPOTENCY,
        expiry_attr="ttl",
        boto3_client=codec.client(),
    )

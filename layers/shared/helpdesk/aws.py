"""botocore clients for `store` (DynamoDB) and `attachments` (S3).

We build clients from a botocore session rather than through boto3: boto3 adds
~25 ms (and s3transfer) to every cold start and nothing we use. Endpoint,
region and credentials come from the environment as boto3 would take them
(`AWS_ENDPOINT_URL` points the local runner's workers at moto).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from botocore.session import Session


@lru_cache(maxsize=1)
def session() -> Session:
    """The botocore session (its session and client machinery load here, with the first
    client, in every function alike; docs/benchmarks.md measures import and clients)."""
    from botocore.session import get_session

    return get_session()


def new_client(service: str, config: Config) -> Any:
    """A new client of `service`; callers cache it (one per container)."""
    return session().create_client(service, config=config)


def error_code(ex: ClientError) -> str:
    """The AWS error code of a failed call (e.g. ConditionalCheckFailedException, NoSuchKey)."""
    return str(ex.response.get("Error", {}).get("Code", ""))

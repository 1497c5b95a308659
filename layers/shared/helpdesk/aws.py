"""botocore clients for `store` (DynamoDB) and `attachments` (S3).

We build clients from a botocore session rather than through boto3: boto3 adds
~25 ms (and s3transfer) to every cold start and nothing we use. Endpoint,
region and credentials come from the environment as boto3 would take them
(`AWS_ENDPOINT_URL` points the local runner's workers at moto).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from botocore.config import Config
from botocore.session import Session, get_session


@lru_cache(maxsize=1)
def session() -> Session:
    return get_session()


def new_client(service: str, config: Config) -> Any:
    """A new client of `service`; callers cache it (one per container)."""
    return session().create_client(service, config=config)

"""Business hours: one item (CONFIG / BUSINESS_HOURS) holding every schedule."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from helpdesk.errors import StoreError
from helpdesk.store import codec, keys


def get_business_hours() -> dict[str, Any] | None:
    """The stored schedules document (`schedules`, `updated_at`, `updated_by`), or None."""
    found = codec.get(keys.BUSINESS_HOURS.av())
    return codec.plain(found) if found else None


def put_business_hours(doc: dict[str, Any]) -> None:
    try:
        codec.client().put_item(**codec.put({**keys.BUSINESS_HOURS.fields(), **doc})["Put"])
    except ClientError as ex:
        raise StoreError() from ex

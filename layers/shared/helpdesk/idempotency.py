"""`Idempotency-Key` for creates and replies, on Powertools' idempotency utility.

The key is scoped to the caller and the operation; the request body is the
payload that must match. A retry gets the first answer; a reuse with another
body is 422 IDEMPOTENCY_KEY_REUSED; a retry that races the first request
waits for it (briefly) and then gets the same answer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from helpdesk.errors import (
    IdempotencyInProgressError,
    IdempotencyKeyReusedError,
    ValidationFailedError,
)

WAIT_SECONDS = 8.0
MAX_KEY_LENGTH = 255
# The invocation's Lambda context (set by the HTTP entrypoint): Powertools uses its
# remaining time to expire an in-progress record if the function dies mid-request.
_lambda_context: list[Any] = [None]


def set_lambda_context(context: Any) -> None:
    _lambda_context[0] = context


def run_once(
    operation: str, caller: str, key: str | None, payload: Any, fn: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run `fn` once per (operation, caller, key); `fn` returns a JSON-able dict."""
    if key is None:
        return fn()
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailedError(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters")

    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    from helpdesk.store import idempotency_persistence

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="payload",
        expires_after_seconds=24 * 3600,
    )
    if _lambda_context[0] is not None:
        config.register_lambda_context(_lambda_context[0])

    @idempotent_function(
        data_keyword_argument="request", persistence_store=idempotency_persistence(), config=config
    )
    def once(request: dict[str, Any]) -> dict[str, Any]:
        return fn()

    request = {"key": f"{operation}:{caller}:{key}", "payload": payload}
    deadline = time.monotonic() + WAIT_SECONDS
    delay = 0.05
    while True:
        try:
            result: dict[str, Any] = once(request=request)
            return result
        except IdempotencyValidationError as ex:
            raise IdempotencyKeyReusedError() from ex
        except IdempotencyAlreadyInProgressError as ex:
            if time.monotonic() > deadline:
                raise IdempotencyInProgressError(headers={"Retry-After": "1"}) from ex
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

"""`Idempotency-Key` for creates and replies, on Powertools' idempotency utility.

Each idempotent route declares its operation once, at import:

    IDEMPOTENT = Operation("create_ticket", TicketResponse)
    ...
    ticket = IDEMPOTENT.run(p.user_id, idempotency_key, body, lambda: tickets.create_ticket(p, body))

The key is scoped to the operation (Powertools' `key_prefix`), the caller and, for
operations on one resource, that resource (`scope`); the request body is the payload
that must match. A retry gets the first answer (validated back into the response model by
Powertools' `PydanticSerializer`); a reuse with another body is 422
IDEMPOTENCY_KEY_REUSED; a retry while the first request still runs is 409
IDEMPOTENCY_IN_PROGRESS with `Retry-After` at once (the client retries; we do not spend
billed time waiting).

Powertools' idempotency package imports boto3 (~0.3 s): the config and each operation's
idempotent function are built with the first request that sends a key, then reused for the
life of the sandbox. The HTTP entrypoint registers each such invocation's Lambda context
on the config (`entrypoint(app, idempotent=True)`): Powertools stores the invocation's
deadline on the in-progress record, so a record left by an invocation that timed out
expires with it instead of blocking its key for 24 h.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from helpdesk.errors import (
    IdempotencyInProgressError,
    IdempotencyKeyReusedError,
    ValidationFailedError,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from pydantic import BaseModel

MAX_KEY_LENGTH = 255
EXPIRES_AFTER_SECONDS = 24 * 3600
# What a 409 IDEMPOTENCY_IN_PROGRESS asks the client to wait: our writes take tens of ms.
RETRY_AFTER_SECONDS = 1

Answer = TypeVar("Answer", bound="BaseModel")


@cache
def config() -> IdempotencyConfig:
    """The one Powertools config every operation shares (built on first use)."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from helpdesk.telemetry import replayed

    return IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="payload",
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        response_hook=replayed,  # counts IdempotentReplays
    )


def register_lambda_context(context: Any) -> None:
    """The invocation's context, for Powertools' in-progress expiry (the HTTP entrypoint)."""
    config().register_lambda_context(context)


class Operation(Generic[Answer]):
    """One idempotent operation and the model of its answer."""

    def __init__(self, name: str, answer: type[Answer]) -> None:
        self.name = name
        self.answer = answer
        self._once: Callable[..., Answer] | None = None

    def idempotent_function(self) -> Callable[..., Answer]:
        """Powertools' idempotent function for this operation: built once, then reused."""
        if self._once is None:
            from aws_lambda_powertools.utilities.idempotency import idempotent_function
            from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import (
                PydanticSerializer,
            )

            from helpdesk.store.idempotency import idempotency_persistence

            @idempotent_function(
                data_keyword_argument="request",
                persistence_store=idempotency_persistence(),
                config=config(),
                output_serializer=PydanticSerializer(self.answer),
                key_prefix=f"helpdesk.{self.name}",
            )
            def once(work: Callable[[], Answer], *, request: dict[str, Any]) -> Answer:
                return work()

            self._once = once
        return self._once

    def run(
        self,
        caller: str,
        key: str | None,
        body: BaseModel,
        work: Callable[[], Answer],
        *,
        scope: str = "",
    ) -> Answer:
        """`work()` once per (operation, caller, scope, key); without a key, just `work()`."""
        if key is None:
            return work()
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            raise ValidationFailedError(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} characters")
        once = self.idempotent_function()
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        request = {"key": [caller, scope, key], "payload": body.model_dump(mode="json")}
        try:
            return once(work, request=request)
        except IdempotencyValidationError as ex:
            raise IdempotencyKeyReusedError() from ex
        except IdempotencyAlreadyInProgressError as ex:
            raise IdempotencyInProgressError(
                "The first request with this Idempotency-Key is still running: retry after "
                f"{RETRY_AFTER_SECONDS} s to get its answer",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ) from ex

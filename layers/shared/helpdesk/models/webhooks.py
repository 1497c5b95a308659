"""Webhook subscriptions and their delivery log (`/admin/webhooks*`): docs/api.md, "Webhooks"."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from helpdesk.domain import BaseModel
from helpdesk.models.common import RequestBody

WebhookUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2048)]
EventType = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
DeliveryStatus = Literal["pending", "delivered", "failed"]


class WebhookCreateRequest(RequestBody):
    url: WebhookUrl = Field(description="Where deliveries are POSTed (https, a public address)")
    events: list[EventType] = Field(
        min_length=1, max_length=32, description='Change types to deliver, or ["*"] for all'
    )
    description: Description = ""


class WebhookUpdateRequest(RequestBody):
    """Change the url or events, or enable / disable (enabling clears the failure count)."""

    url: WebhookUrl | None = None
    events: list[EventType] | None = Field(default=None, min_length=1, max_length=32)
    description: Description | None = None
    enabled: bool | None = None


class Webhook(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None = Field(
        default=None, description="Why it was disabled (by an admin, 410 Gone, failures)"
    )
    disabled_at: str | None = None
    consecutive_failures: int
    created_at: str
    updated_at: str
    secret_rotated_at: str | None = None
    previous_secret_expires_at: str | None = Field(
        default=None, description="Until then deliveries carry a signature with the old secret too"
    )


class WebhookWithSecret(Webhook):
    secret: str = Field(description="The signing secret (whsec_...): shown this once")


class WebhookList(BaseModel):
    items: list[Webhook]


class PingResult(BaseModel):
    delivery_id: str
    event_id: str


class DeliveryAttempt(BaseModel):
    attempt: int
    at: str
    status_code: int | None
    duration_ms: int
    error: str | None


class Delivery(BaseModel):
    id: str
    webhook_id: str
    event_id: str = Field(description="The change-feed item id: the webhook-id header")
    event_type: str
    status: DeliveryStatus
    attempts: int
    status_code: int | None = None
    duration_ms: int | None = None
    error: str | None = None
    response_body: str | None = Field(default=None, description="Truncated (1 KiB)")
    created_at: str
    last_attempt_at: str | None = None
    next_attempt_at: str | None = None
    history: list[DeliveryAttempt] = []


class DeliveryPage(BaseModel):
    items: list[Delivery]
    next_cursor: str | None

"""The caller's e-mail notifications: which kinds of mail they get."""

from typing import Any, Literal

from pydantic import Field

from helpdesk.domain import BaseModel
from helpdesk.models.common import RequestBody

MailKind = Literal[
    "ticket_created",
    "staff_reply",
    "ticket_resolved",
    "ticket_merged",
    "customer_message",
    "ticket_assigned",
    "sla_warning",
    "sla_breached",
]


class NotificationPreferences(BaseModel):
    email: str = Field(description="The address these settings are for (the caller's)")
    kinds: dict[MailKind, bool] = Field(
        description="Every kind of mail and whether it is sent: ticket_created (the "
        "acknowledgement), staff_reply, ticket_resolved, ticket_merged (to requesters and "
        "cc), customer_message, ticket_assigned, sla_warning, sla_breached (to staff)"
    )


class UpdateNotificationPreferences(RequestBody):
    kinds: dict[MailKind, bool] = Field(
        description="The kinds to turn on (true) or off (false); kinds left out stay as they are"
    )


class Unsubscribed(BaseModel):
    email: str
    kind: MailKind = Field(description="The kind of mail no longer sent to this address")


SuppressionReason = Literal["bounce", "complaint"]


class Suppression(BaseModel):
    """An address no mail is sent to: it bounced for good, or its owner marked our mail as
    spam (SES's bounce and complaint events)."""

    email: str = Field(description="The suppressed address (lower case)")
    reason: SuppressionReason = Field(
        description="bounce (a permanent bounce) or complaint (marked as spam)"
    )
    detail: str = Field(
        description="What the receiving server or the mailbox provider said: the bounce's "
        "diagnostic code, or the complaint's feedback type"
    )
    since: str = Field(description="When the address was suppressed (ISO 8601, UTC)")
    source: str = Field(
        description="The SES message id of the mail that bounced or was complained of"
    )

    @classmethod
    def of(cls, item: dict[str, Any]) -> "Suppression":
        return cls(
            email=str(item["SK"]),
            reason=item.get("reason") or "bounce",
            detail=str(item.get("detail") or ""),
            since=str(item.get("at") or ""),
            source=str(item.get("source") or ""),
        )


class SuppressionList(BaseModel):
    items: list[Suppression]
    next_cursor: str | None

"""The caller's e-mail notifications: which kinds of mail they get."""

from typing import Literal

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
]


class NotificationPreferences(BaseModel):
    email: str = Field(description="The address these settings are for (the caller's)")
    kinds: dict[MailKind, bool] = Field(
        description="Every kind of mail and whether it is sent: ticket_created (the "
        "acknowledgement), staff_reply, ticket_resolved, ticket_merged (to requesters and "
        "cc), customer_message, ticket_assigned (to staff)"
    )


class UpdateNotificationPreferences(RequestBody):
    kinds: dict[MailKind, bool] = Field(
        description="The kinds to turn on (true) or off (false); kinds left out stay as they are"
    )


class Unsubscribed(BaseModel):
    email: str
    kind: MailKind = Field(description="The kind of mail no longer sent to this address")

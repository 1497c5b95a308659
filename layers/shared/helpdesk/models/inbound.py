"""Received mail, for admins and agents (`/admin/inbound*`): docs/api.md, "Mail in"."""

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from helpdesk.domain import BaseModel

InboundStatus = Literal["accepted", "dropped"]


class RefusedFile(BaseModel):
    file_name: str
    reason: str = Field(description="The error code the attachments pipeline gave")


class InboundEntry(BaseModel):
    id: str
    received_at: str
    status: InboundStatus
    reason: str | None = Field(
        default=None,
        description=(
            "Why it was dropped: too_large, unreadable, loop, bounce, auto_submitted, "
            "auto_reply, bulk, spam, virus, dmarc_failed, rate_limited"
        ),
    )
    sender: str | None = None
    subject: str | None = None
    mail_message_id: str | None = Field(default=None, description="Its Message-ID header")
    route: str | None = Field(
        default=None, description="How its ticket was found: token, headers, subject, new"
    )
    author_role: str | None = Field(default=None, description="requester, cc or staff")
    ticket_id: str | None = None
    ticket_number: int | None = None
    message_id: str | None = Field(default=None, description="The ticket message it became")
    internal: bool = False
    related_ticket_number: int | None = Field(
        default=None, description="The ticket it was written into, when it started a new one"
    )
    refused: list[RefusedFile] = Field(default_factory=list)
    size: int | None = None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> "InboundEntry":
        fields = {k: item[k] for k in cls.model_fields if k in item and item[k] is not None}
        return cls.model_validate(fields)


class InboundList(BaseModel):
    items: list[InboundEntry]
    next_cursor: str | None


class InboundDetail(InboundEntry):
    raw_url: str = Field(description="A link to the original message (.eml), for 5 minutes")

    @classmethod
    def of(cls, item: Mapping[str, Any], *, raw_url: str = "") -> "InboundDetail":
        entry = InboundEntry.of(item)
        return cls(**entry.model_dump(), raw_url=raw_url)

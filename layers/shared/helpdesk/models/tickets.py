"""A customer's tickets: create, reply, rate, read and list (and the responses)."""

from typing import Annotated, Any

from pydantic import EmailStr, Field, StringConstraints

from helpdesk.domain import (
    RATING_MAX,
    RATING_MIN,
    AttachmentRef,
    BaseModel,
    Category,
    Message,
    Priority,
    Status,
    Ticket,
)
from helpdesk.models.common import Body, CategoryRef, Id, RequestBody, Subject


class CreateTicketRequest(RequestBody):
    subject: Subject
    message: Body
    category_id: Id | None = None
    sub_category_id: Id | None = None
    department_id: Id | None = None
    priority: Priority = Priority.NORMAL
    cc: list[EmailStr] = Field(default_factory=list, max_length=10)
    attachment_ids: list[Id] = Field(default_factory=list, max_length=5)


class ReplyRequest(RequestBody):
    message: Body
    attachment_ids: list[Id] = Field(default_factory=list, max_length=5)


class RatingRequest(RequestBody):
    rating: int = Field(ge=RATING_MIN, le=RATING_MAX)
    comment: Annotated[str, StringConstraints(max_length=1000)] | None = None


class MessageResponse(BaseModel):
    id: str
    author_id: str
    author_name: str
    side: str = Field(description="customer or staff")
    internal: bool
    body: str
    created_at: str
    attachments: list[AttachmentRef]
    merged_from: int | None = Field(default=None, description="Merged from ticket #number")

    @classmethod
    def of(cls, m: Message) -> "MessageResponse":
        return cls(
            id=m.id,
            author_id=m.author_id,
            author_name=m.author_name,
            side=m.side.value,
            internal=m.internal,
            body=m.body,
            created_at=m.created_at,
            attachments=m.attachments,
            merged_from=m.merged_from,
        )


class TicketSummary(BaseModel):
    """A ticket as lists show it (no messages)."""

    id: str
    number: int
    subject: str
    status: Status
    priority: Priority
    category_id: str | None
    sub_category_id: str | None
    department_id: str | None
    requester_id: str
    requester_name: str
    org_id: str | None
    locked: bool
    message_count: int
    customer_unread_count: int
    customer_last_read_at: str | None
    created_at: str
    updated_at: str
    last_activity_at: str
    customer_last_replied_at: str | None
    closed_at: str | None
    rating: int | None
    rating_comment: str | None
    category_name: str | None = Field(
        default=None, description="Lists: the category's name now (a rename shows within 10 s)"
    )
    sub_category_name: str | None = Field(default=None, description="Lists: as category_name")
    department_name: str | None = Field(default=None, description="Lists: as category_name")

    @classmethod
    def of(cls, t: Ticket) -> "TicketSummary":
        return cls.model_validate(t.model_dump())


def catalog_names(t: Ticket, names: dict[str, str]) -> dict[str, str | None]:
    """A list item's category, sub-category and department names from `names` (by id)."""
    return {
        "category_name": names.get(t.category_id) if t.category_id else None,
        "sub_category_name": names.get(t.sub_category_id) if t.sub_category_id else None,
        "department_name": names.get(t.department_id) if t.department_id else None,
    }


class TicketResponse(TicketSummary):
    """One ticket with its public thread."""

    cc: list[str]
    category: CategoryRef | None
    sub_category: CategoryRef | None
    closed_by: str | None
    messages: list[MessageResponse]
    attachments: list[AttachmentRef]
    etag: str
    merged_into: str | None = Field(
        default=None, description="The ticket this one was merged into, if the caller may see it"
    )
    merged_into_number: int | None = None

    @classmethod
    def build(
        cls, t: Ticket, messages: list[Message], categories: dict[str, Category]
    ) -> "TicketResponse":
        def ref(cid: str | None) -> CategoryRef | None:
            c = categories.get(cid) if cid else None
            return CategoryRef(id=c.id, name=c.name) if c else None

        data: dict[str, Any] = t.model_dump()
        return cls(
            **{
                k: v
                for k, v in data.items()
                if k in TicketSummary.model_fields or k in ("cc", "closed_by")
            },
            category=ref(t.category_id),
            sub_category=ref(t.sub_category_id),
            messages=[MessageResponse.of(m) for m in messages],
            attachments=[a for m in messages for a in m.attachments],
            etag=etag(t),
        )


def etag(t: Ticket) -> str:
    return f'"{t.id}.{t.version}"'


class TicketList(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None = Field(
        description="More may follow: a page of combined filters may hold fewer than `limit` "
        "items (even none) and still have a cursor"
    )
    total: int | None = Field(
        description="How many tickets match; null when it would not be exact (combined "
        "filters no maintained list answers)"
    )


class ReplyResponse(BaseModel):
    message: MessageResponse
    ticket: TicketSummary

    @classmethod
    def of(cls, message: MessageResponse, ticket: TicketSummary) -> "ReplyResponse":
        return cls(message=message, ticket=ticket)


def parse_statuses(raw: str | None) -> tuple[Status, ...]:
    """`open,waiting` (HTTP APIs join repeated query parameters with commas) -> statuses."""
    from helpdesk.errors import ValidationFailedError

    if not raw:
        return ()
    try:
        return tuple(Status(s.strip()) for s in raw.split(",") if s.strip())
    except ValueError as ex:
        allowed = ", ".join(s.value for s in Status)
        raise ValidationFailedError(f"status must be one or more of: {allowed}") from ex

"""Request and response models: the API contract (they feed the OpenAPI document)."""

from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from helpdesk.domain import (
    ApiToken,
    AttachmentRef,
    AttachmentStatus,
    BaseModel,
    Category,
    Department,
    Message,
    Priority,
    Status,
    Ticket,
)
from helpdesk.ids import ID_MAX_LENGTH, ID_PATTERN
from helpdesk.principal import Principal

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateTicketRequest(_Request):
    subject: Subject
    message: Body
    category_id: Id | None = None
    sub_category_id: Id | None = None
    department_id: Id | None = None
    priority: Priority = Priority.NORMAL
    cc: list[EmailStr] = Field(default_factory=list, max_length=10)
    attachment_ids: list[Id] = Field(default_factory=list, max_length=5)


class PublicTicketRequest(_Request):
    """The public contact form: no account; `website` is a honeypot humans leave empty."""

    first_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    last_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    email: EmailStr
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    company: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    subject: Subject
    message: Body
    category_id: Id | None = None
    website: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, description="Leave empty (a filled value is rejected as spam)"
    )


class PublicTicketCreated(BaseModel):
    """The new ticket and the private link secret (shown once; only its hash is kept)."""

    id: str
    number: int
    token: str = Field(description="Send as X-Ticket-Token (or ?token=) to follow the ticket")


class ReplyRequest(_Request):
    message: Body
    attachment_ids: list[Id] = Field(default_factory=list, max_length=5)


class RatingRequest(_Request):
    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=1000)] | None = None


class CreateAttachmentRequest(_Request):
    """What the client is about to upload; the presigned POST pins all three."""

    file_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
    ]
    content_type: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True,
            to_lower=True,
            max_length=100,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$",
        ),
    ] = Field(description="Media type without parameters, e.g. image/png")
    size: int = Field(ge=1, description="Exact size of the file in bytes")


# ---------------------------------------------------------------- responses


class MeResponse(BaseModel):
    user_id: str
    name: str
    email: str
    roles: list[str]
    org_id: str | None

    @classmethod
    def of(cls, p: Principal) -> "MeResponse":
        return cls(
            user_id=p.user_id, name=p.name, email=p.email, roles=sorted(p.roles), org_id=p.org_id
        )


class CategoryRef(BaseModel):
    id: str
    name: str


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

    @classmethod
    def of(cls, t: Ticket) -> "TicketSummary":
        return cls.model_validate(t.model_dump())


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
    next_cursor: str | None
    total: int


class CategoryResponse(BaseModel):
    id: str
    name: str
    position: int
    sub_categories: list[CategoryRef]


class CategoryList(BaseModel):
    items: list[CategoryResponse]


class DepartmentResponse(BaseModel):
    id: str
    name: str
    position: int

    @classmethod
    def of(cls, d: Department) -> "DepartmentResponse":
        return cls(id=d.id, name=d.name, position=d.position)


class DepartmentList(BaseModel):
    items: list[DepartmentResponse]


class ReplyResponse(BaseModel):
    message: MessageResponse
    ticket: TicketSummary

    @classmethod
    def of(cls, message: MessageResponse, ticket: TicketSummary) -> "ReplyResponse":
        return cls(message=message, ticket=ticket)


class PresignedPost(BaseModel):
    """Send a multipart/form-data POST to `url` with `fields` first and the file last (`file`)."""

    url: str
    fields: dict[str, str]
    expires_at: str


class AttachmentUploadResponse(BaseModel):
    id: str
    file_name: str
    content_type: str
    size: int
    status: AttachmentStatus
    created_at: str
    link_before: str = Field(description="Reference the attachment on a message before this")
    upload: PresignedPost


class AttachmentResponse(BaseModel):
    id: str
    file_name: str
    content_type: str
    size: int
    status: AttachmentStatus
    created_at: str
    ticket_id: str | None
    message_id: str | None
    download_url: str = Field(description="Presigned GET, Content-Disposition: attachment")
    download_expires_at: str


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


# ---------------------------------------------------------------- staff desk

Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-:.]*$",
    ),
]
Note = Annotated[str, StringConstraints(max_length=2000)]
# External references: `{"jira": "OPS-123"}`; the pair is a staff-queue listkey, so no spaces.
RefName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_\-]{0,31}$")]
RefValue = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/#\-]{0,127}$")]
MAX_EXTERNAL_REFS = 10


class StaffUpdateRequest(_Request):
    """PATCH body: only the fields sent change; `null` clears (e.g. unassigns)."""

    status: Status | None = None
    priority: Priority | None = None
    category_id: Id | None = None
    sub_category_id: Id | None = None
    department_id: Id | None = None
    forward_note: Note | None = Field(default=None, description="Why the ticket is forwarded")
    assignee_id: Id | None = Field(default=None, description="An agent's user id, `me`, or null")
    tags: list[Tag] | None = Field(default=None, max_length=20)
    manager_comment: Note | None = None
    close_reason: Note | None = None
    locked: bool | None = Field(default=None, description="Force-close: the customer cannot reopen")
    external_refs: dict[RefName, RefValue] | None = Field(
        default=None,
        max_length=MAX_EXTERNAL_REFS,
        description='Named links to other systems, e.g. {"jira": "OPS-123"}; replaces the map',
    )


class StaffReplyRequest(_Request):
    message: Body
    internal: bool = Field(default=False, description="An internal note: never shown to customers")
    next_status: Status | None = Field(
        default=None, description="Move the ticket on in the same call"
    )
    attachment_ids: list[Id] = Field(default_factory=list, max_length=5)


class Metrics(BaseModel):
    interaction_count: int
    first_response_seconds: int | None
    longest_wait_seconds: int
    resolution_seconds: int | None


class Requester(BaseModel):
    user_id: str
    name: str
    email: str
    org_id: str | None
    guest: bool


class StaffTicketSummary(TicketSummary):
    """A ticket as the staff queue shows it."""

    assignee_id: str | None
    tags: list[str]
    guest: bool
    staff_unread_count: int
    staff_last_read_at: str | None
    note_count: int
    external_refs: dict[str, str] = Field(default_factory=dict)
    deleted_at: str | None = Field(default=None, description="Set while soft-deleted")
    deleted_by: str | None = None
    merged_into: str | None = None
    merged_into_number: int | None = None
    etag: str = Field(description="Send as If-Match to PATCH this ticket")

    @classmethod
    def of(cls, t: Ticket) -> "StaffTicketSummary":
        return cls.model_validate(t.model_dump() | {"etag": etag(t)})


class StaffTicketResponse(StaffTicketSummary):
    """One ticket for staff: the whole thread (internal notes included) and the metrics."""

    cc: list[str]
    manager_comment: str | None
    close_reason: str | None
    closed_by: str | None
    resolved_at: str | None
    requester: Requester
    metrics: Metrics
    messages: list[MessageResponse]
    attachments: list[AttachmentRef]

    @classmethod
    def build(cls, t: Ticket, messages: list[Message]) -> "StaffTicketResponse":
        data: dict[str, Any] = t.model_dump()
        return cls(
            **{
                k: v
                for k, v in data.items()
                if k in StaffTicketSummary.model_fields
                or k in ("cc", "manager_comment", "close_reason", "closed_by", "resolved_at")
            },
            requester=Requester(
                user_id=t.requester_id,
                name=t.requester_name,
                email=t.requester_email,
                org_id=t.org_id,
                guest=t.guest,
            ),
            metrics=Metrics(
                interaction_count=t.interaction_count,
                first_response_seconds=t.first_response_seconds,
                longest_wait_seconds=t.longest_wait_seconds,
                resolution_seconds=t.resolution_seconds,
            ),
            messages=[MessageResponse.of(m) for m in messages],
            attachments=[a for m in messages for a in m.attachments],
            etag=etag(t),
        )


class StaffTicketList(BaseModel):
    items: list[StaffTicketSummary]
    next_cursor: str | None
    total: int


class StaffReplyResponse(BaseModel):
    message: MessageResponse
    ticket: StaffTicketSummary


class EventResponse(BaseModel):
    seq: int
    type: str
    actor_id: str
    actor_side: str
    at: str
    changes: dict[str, dict[str, Any]]
    data: dict[str, Any]


class EventList(BaseModel):
    items: list[EventResponse]
    next_cursor: str | None


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CategoryCreateRequest(_Request):
    name: Name
    position: int = Field(default=0, ge=0, le=10_000)
    parent_id: Id | None = Field(default=None, description="Makes this a sub-category")


class DepartmentCreateRequest(_Request):
    name: Name
    position: int = Field(default=0, ge=0, le=10_000)


class CatalogUpdateRequest(_Request):
    """Rename, reorder, or (de)activate a category or department."""

    name: Name | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None


class CatalogEntry(BaseModel):
    id: str
    name: str
    position: int
    active: bool
    parent_id: str | None = None


class EraseRequest(_Request):
    """Erasure cannot be undone: `confirm` must repeat the requester's id."""

    confirm: str = Field(max_length=64, description="The requester's user id, again")


class ErasureReport(BaseModel):
    """What an erasure removed; ticket skeletons and metrics stay, anonymized."""

    user_id: str
    tickets_anonymized: int
    messages_redacted: int
    events_redacted: int
    attachments_deleted: int
    files_deleted: int
    profile_items_deleted: int
    lookups_deleted: int
    idempotency_records_deleted: int


MAX_BULK_TICKETS = 100


class BulkChange(_Request):
    """The one change a bulk update applies to every ticket (at least one field)."""

    status: Status | None = None
    priority: Priority | None = None
    assignee_id: Id | None = Field(default=None, description="An agent's user id, `me`, or null")
    department_id: Id | None = None
    tags_add: list[Tag] = Field(default_factory=list, max_length=20)
    tags_remove: list[Tag] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _one_change(self) -> "BulkChange":
        if not self.model_fields_set - {"tags_add", "tags_remove"} and not (
            self.tags_add or self.tags_remove
        ):
            raise ValueError("name at least one change")
        for key in ("status", "priority"):
            if key in self.model_fields_set and getattr(self, key) is None:
                raise ValueError(f"{key} cannot be null")
        return self


class BulkUpdateRequest(_Request):
    ticket_ids: list[Id] = Field(min_length=1, max_length=MAX_BULK_TICKETS)
    change: BulkChange

    @model_validator(mode="after")
    def _unique(self) -> "BulkUpdateRequest":
        if len(set(self.ticket_ids)) != len(self.ticket_ids):
            raise ValueError("ticket_ids must not repeat")
        return self


class BulkItemResult(BaseModel):
    ticket_id: str
    ok: bool
    status: int = Field(description="The HTTP status this ticket alone would have had")
    code: str | None = Field(default=None, description="The error code when not ok")
    etag: str | None = None


class BulkUpdateResponse(BaseModel):
    succeeded: int
    failed: int
    results: list[BulkItemResult]


class MergeRequest(_Request):
    target_id: Id = Field(description="The ticket that receives this one's thread")
    force: bool = Field(
        default=False, description="Admin only: merge tickets of different requesters"
    )


class MergeResponse(BaseModel):
    source: StaffTicketSummary
    target: StaffTicketSummary
    messages_moved: int


# ---------------------------------------------------------------- API tokens

ScopeName = Literal["tickets:read", "tickets:write", "admin"]


class CreateApiTokenRequest(_Request):
    name: Name
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the token stops working (at most a year ahead); none: never"
    )
    scopes: list[ScopeName] | None = Field(
        default=None,
        max_length=3,
        description="Narrow the token; default: tickets:read and tickets:write (plus admin for staff)",
    )


class ApiTokenResponse(BaseModel):
    id: str
    name: str
    prefix: str = Field(description="The secret's first characters, to recognise it")
    scopes: list[str]
    created_at: str
    last_used_at: str | None = Field(description="Updated at most once a minute")
    expires_at: str | None

    @classmethod
    def of(cls, t: ApiToken) -> "ApiTokenResponse":
        return cls(
            id=t.id,
            name=t.name,
            prefix=t.prefix,
            scopes=t.scopes,
            created_at=t.created_at,
            last_used_at=t.last_used_at,
            expires_at=t.expires_at,
        )


class CreatedApiTokenResponse(ApiTokenResponse):
    token: str = Field(description="The secret: shown this once, store it now")


class ApiTokenList(BaseModel):
    items: list[ApiTokenResponse]

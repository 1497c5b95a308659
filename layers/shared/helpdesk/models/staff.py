"""The staff desk: the queue, one ticket with its notes and metrics, changes, replies,
the event history and bulk updates."""

from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, StringConstraints, model_validator

from helpdesk.domain import (
    AttachmentRef,
    BaseModel,
    Channel,
    Message,
    Priority,
    Status,
    Ticket,
)
from helpdesk.models.common import Body, Id, Name, RequestBody, Subject
from helpdesk.models.notifications import Suppression
from helpdesk.models.tickets import MessageResponse, TicketSummary, catalog_names, etag

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


class StaffUpdateRequest(RequestBody):
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


class RequesterContact(RequestBody):
    """Who the ticket is for, by e-mail: an account with that address, else a guest."""

    email: EmailStr
    name: Name


class StaffCreateTicketRequest(RequestBody):
    """POST /admin/tickets: a ticket opened by staff on a customer's behalf."""

    requester: RequesterContact | None = Field(
        default=None, description="By e-mail and name (an unknown address becomes a guest)"
    )
    requester_id: Id | None = Field(default=None, description="A known requester's user id")
    subject: Subject
    message: Body = Field(description="The customer's request, as he told it")
    channel: Channel = Channel.PHONE
    priority: Priority = Priority.NORMAL
    category_id: Id | None = None
    sub_category_id: Id | None = None
    department_id: Id | None = None
    assignee_id: Id | None = Field(default=None, description="An agent's user id, or `me`")
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    status: Status = Field(default=Status.OPEN, description="The initial status")
    cc: list[EmailStr] = Field(default_factory=list, max_length=10)
    attachment_ids: list[Id] = Field(default_factory=list, max_length=5)

    @model_validator(mode="after")
    def _one_requester(self) -> "StaffCreateTicketRequest":
        if (self.requester is None) == (self.requester_id is None):
            raise ValueError("Give either requester ({email, name}) or requester_id")
        return self


class StaffReplyRequest(RequestBody):
    message: Body
    internal: bool = Field(default=False, description="An internal note: never shown to customers")
    next_status: Status | None = Field(
        default=None, description="Move the ticket on in the same call"
    )
    attachment_ids: list[Id] = Field(default_factory=list, max_length=5)


SlaMetricName = Literal["first_reply", "next_reply", "resolution"]


class SlaMetric(BaseModel):
    """One service-level metric of a ticket (issue 23)."""

    target_minutes: int = Field(description="The target, in minutes of `schedule`")
    schedule: str = Field(description="The business-hours schedule id (`calendar`: always open)")
    cycle: int = Field(description="1, then one more per reopening (resolution) or new message")
    due_at: str | None = Field(description="When the target is reached; null while paused")
    state: Literal["active", "paused", "fulfilled", "breached"] = Field(
        description="paused: the ticket is waiting, or the schedule is closed now"
    )
    time_left_minutes: int | None = Field(
        description="Schedule minutes left (negative: over); null once fulfilled"
    )
    met: bool | None = Field(description="Once fulfilled: within the target")
    fulfilled_at: str | None


class Sla(BaseModel):
    """The ticket's service levels: the policy that applies and each metric with a target."""

    policy_id: str | None
    metrics: dict[SlaMetricName, SlaMetric]


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
    channel: Channel | None = Field(default=None, description="Set when staff opened it")
    opened_by: str | None = Field(
        default=None, description="The staff member who opened it on the requester's behalf"
    )
    etag: str = Field(description="Send as If-Match to PATCH this ticket")

    @classmethod
    def of(cls, t: Ticket, names: dict[str, str] | None = None) -> "StaffTicketSummary":
        named = catalog_names(t, names) if names is not None else {}
        return cls.model_validate(t.model_dump() | {"etag": etag(t)} | named)


class StaffMessageResponse(MessageResponse):
    """A message as staff see it: with the received mail it came from, if any."""

    mail_id: str | None = Field(
        default=None,
        description="The received mail it came from: GET /admin/inbound/{mail_id} links the original",
    )

    @classmethod
    def of_staff(cls, m: Message) -> "StaffMessageResponse":
        return cls(**MessageResponse.of(m).model_dump(), mail_id=m.mail_id)


class StaffTicketResponse(StaffTicketSummary):
    """One ticket for staff: the whole thread (internal notes included) and the metrics."""

    cc: list[str]
    manager_comment: str | None
    close_reason: str | None
    closed_by: str | None
    resolved_at: str | None
    requester: Requester
    metrics: Metrics
    messages: list[StaffMessageResponse]
    attachments: list[AttachmentRef]
    undeliverable: list[Suppression] = Field(
        description="The requester's and cc addresses that get no mail: they bounced for good "
        "or complained (GET /admin/suppressions; an admin may lift one)"
    )
    sla: Sla | None = Field(
        default=None, description="Service levels (null: no SLA policy target applies)"
    )

    @classmethod
    def build(
        cls,
        t: Ticket,
        messages: list[Message],
        undeliverable: list[Suppression],
        sla: dict[str, Any] | None = None,
    ) -> "StaffTicketResponse":
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
            messages=[StaffMessageResponse.of_staff(m) for m in messages],
            attachments=[a for m in messages for a in m.attachments],
            undeliverable=undeliverable,
            sla=Sla.model_validate(sla) if sla else None,
            etag=etag(t),
        )


class StaffTicketList(BaseModel):
    items: list[StaffTicketSummary]
    next_cursor: str | None = Field(
        description="More may follow: a page of combined filters may hold fewer than `limit` "
        "items (even none) and still have a cursor"
    )
    total: int | None = Field(
        description="How many tickets match; null when it would not be exact (combined "
        "filters no maintained list answers)"
    )


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


MAX_BULK_TICKETS = 100


class BulkChange(RequestBody):
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


class BulkUpdateRequest(RequestBody):
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

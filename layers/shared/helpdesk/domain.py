"""The ticket domain: what a ticket, a message and an event are (storage- and HTTP-agnostic).

No `from __future__ import annotations` in the modules that define pydantic models
(domain, models, settings): pydantic would evaluate every string annotation with
`compile()` at import, about half of these modules' import time (docs/benchmarks.md).
"""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel as _PydanticModel
from pydantic import ConfigDict, Field


class BaseModel(_PydanticModel):
    """Models build their validators on first use, not at import: a function pays only
    for the models its route uses (cold start; see docs/benchmarks.md)."""

    model_config = ConfigDict(defer_build=True)


class Status(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset({Status.OPEN, Status.IN_PROGRESS, Status.WAITING})
# the rating scale (RatingRequest, the mailed one-click links: one per score)
RATING_MIN, RATING_MAX = 1, 5
RATING_SCALE = tuple(range(RATING_MIN, RATING_MAX + 1))


class Channel(StrEnum):
    """How a ticket reached the desk (a staff intake names it; the customer routes: web)."""

    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    WEB = "web"
    OTHER = "other"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


CUSTOMER_PRIORITIES = frozenset({Priority.LOW, Priority.NORMAL, Priority.HIGH})


class Side(StrEnum):
    """Which side of the conversation an actor is on."""

    CUSTOMER = "customer"
    STAFF = "staff"


class AttachmentRef(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    file_name: str
    content_type: str
    size: int


class AttachmentStatus(StrEnum):
    PENDING = "pending"  # upload requested, not linked to a message yet
    ATTACHED = "attached"  # linked to exactly one message, for good


class Attachment(BaseModel):
    """An uploaded (or about to be uploaded) file and, once linked, where it belongs."""

    id: str
    owner_id: str
    file_name: str
    content_type: str
    size: int
    key: str  # S3 object key: uploads/<id> while pending, files/<message>/<id> once linked
    status: AttachmentStatus = AttachmentStatus.PENDING
    created_at: str
    expires_at: int | None = None  # epoch seconds; pending items stop being linkable then
    ticket_id: str | None = None
    message_id: str | None = None
    internal: bool = False
    attached_at: str | None = None

    def ref(self) -> AttachmentRef:
        return AttachmentRef(
            id=self.id, file_name=self.file_name, content_type=self.content_type, size=self.size
        )


class Ticket(BaseModel):
    model_config = ConfigDict(validate_assignment=False)

    id: str
    number: int
    subject: str
    status: Status = Status.OPEN
    priority: Priority = Priority.NORMAL
    requester_id: str
    requester_name: str = ""
    requester_email: str = ""
    org_id: str | None = None
    guest: bool = False
    channel: Channel | None = None  # set by a staff intake (None: the customer opened it)
    opened_by: str | None = None  # the staff member who opened it on the requester's behalf
    category_id: str | None = None
    sub_category_id: str | None = None
    department_id: str | None = None
    assignee_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    cc: list[str] = Field(default_factory=list)
    manager_comment: str | None = None
    close_reason: str | None = None
    locked: bool = False
    external_refs: dict[str, str] = Field(default_factory=dict)  # {"jira": "OPS-123"}

    created_at: str
    updated_at: str
    last_activity_at: str
    customer_last_replied_at: str | None = None
    staff_last_replied_at: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    resolved_at: str | None = None

    message_count: int = 0
    note_count: int = 0
    customer_unread_count: int = 0
    staff_unread_count: int = 0
    customer_last_read_at: str | None = None
    staff_last_read_at: str | None = None

    rating: int | None = None
    rating_comment: str | None = None
    rated_at: str | None = None
    first_rated_at: str | None = None

    # response metrics (kept by the lifecycle in the write that changes them)
    interaction_count: int = 0
    first_response_seconds: int | None = None
    longest_wait_seconds: int = 0
    waiting_since: str | None = None
    resolution_seconds: int | None = None

    # soft delete: hidden from customers and the queue; purged by TTL at `purge_at`
    deleted_at: str | None = None
    deleted_by: str | None = None
    purge_at: int | None = None  # epoch seconds (the ticket item's `ttl`)
    # merge: the source is closed and points at the ticket its thread went to
    merged_into: str | None = None
    merged_into_number: int | None = None

    # service levels (issue 23): the metric clocks (helpdesk.sla), kept in the write path
    sla: dict[str, Any] | None = None

    version: int = 0
    event_seq: int = 0


class Message(BaseModel):
    id: str
    ticket_id: str
    author_id: str
    author_name: str = ""
    side: Side
    internal: bool = False
    body: str
    created_at: str
    attachments: list[AttachmentRef] = Field(default_factory=list)
    merged_from: int | None = None  # the number of the ticket this message was merged from
    mail_id: str | None = None  # the received mail it came from (staff open the original)


class TicketEvent(BaseModel):
    ticket_id: str
    seq: int
    type: str
    actor_id: str
    actor_side: Side
    at: str
    changes: dict[str, dict[str, Any]] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)


class Category(BaseModel):
    id: str
    name: str
    position: int = 0
    active: bool = True
    parent_id: str | None = None


class Department(BaseModel):
    id: str
    name: str
    position: int = 0
    active: bool = True
    # its agents (staff user ids): an unassigned ticket's customer mail goes to them
    agent_ids: list[str] = Field(default_factory=list)


class ApiToken(BaseModel):
    """A personal API token: only the SHA-256 of its secret is kept.

    `roles` are the owner's roles when it was made, narrowed by its scopes; the
    authorizer grants exactly these, so a token never outgrows its owner's grant.
    """

    id: str
    owner_id: str
    owner_name: str = ""
    owner_email: str = ""
    org_id: str | None = None
    name: str
    prefix: str
    secret_hash: str
    roles: list[str]
    scopes: list[str]
    created_at: str
    expires_at: str | None = None
    last_used_at: str | None = None

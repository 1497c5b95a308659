"""Housekeeping: merging tickets and erasing a requester."""

from pydantic import Field

from helpdesk.domain import BaseModel
from helpdesk.models.common import Id, RequestBody
from helpdesk.models.staff import StaffTicketSummary


class EraseRequest(RequestBody):
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
    received_mail_deleted: int = Field(
        description="Versions of raw received messages (.eml) deleted: mail he sent, dropped "
        "or not, and mail received into his tickets"
    )
    received_mail_items_deleted: int = Field(
        description="Their records and admin log entries deleted"
    )


class MergeRequest(RequestBody):
    target_id: Id = Field(description="The ticket that receives this one's thread")
    force: bool = Field(
        default=False, description="Admin only: merge tickets of different requesters"
    )


class MergeResponse(BaseModel):
    source: StaffTicketSummary
    target: StaffTicketSummary
    messages_moved: int

"""Attachments: the upload request, its presigned POST, and a stored file."""

from typing import Annotated

from pydantic import Field, StringConstraints

from helpdesk.domain import AttachmentStatus, BaseModel
from helpdesk.models.common import RequestBody


class CreateAttachmentRequest(RequestBody):
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

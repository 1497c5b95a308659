"""POST /attachments: ask for a presigned upload (the bytes go straight to S3)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import attachments
from helpdesk.errors import AttachmentTooLargeError, AttachmentTypeNotAllowedError
from helpdesk.http import (
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.attachments import AttachmentUploadResponse, CreateAttachmentRequest

app = make_resolver()


@app.post(
    "/attachments",
    responses=problem_responses(
        AttachmentTooLargeError, AttachmentTypeNotAllowedError, success=201
    ),
    summary="Request an attachment upload",
    tags=["attachments"],
    status_code=201,
)
def create_attachment(body: CreateAttachmentRequest) -> Response[AttachmentUploadResponse]:
    upload = attachments.request_upload(current_principal(app), body)
    return json_response(upload, status=201, headers={"Location": f"/attachments/{upload.id}"})


lambda_handler = entrypoint(app)

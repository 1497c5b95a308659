"""DELETE /attachments/{attachment_id}: the uploader removes an attachment not yet linked."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import attachments
from helpdesk.errors import AttachmentInUseError, AttachmentNotFoundError, ForbiddenError
from helpdesk.http import (
    AttachmentId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)

app = make_resolver()


@app.delete(
    "/attachments/<attachment_id>",
    responses=problem_responses(
        AttachmentNotFoundError, AttachmentInUseError, ForbiddenError, success=204
    ),
    summary="Delete a pending attachment",
    tags=["attachments"],
    status_code=204,
)
def delete_attachment(attachment_id: AttachmentId) -> Response[None]:
    attachments.delete(current_principal(app), attachment_id)
    return Response(204)


lambda_handler = entrypoint(app)

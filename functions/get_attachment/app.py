"""GET /attachments/{attachment_id}: metadata and a short-lived download URL (or a 302 to it)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import attachments
from helpdesk.errors import AttachmentNotFoundError
from helpdesk.http import (
    AttachmentId,
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.attachments import AttachmentResponse

app = make_resolver()


@app.get(
    "/attachments/<attachment_id>",
    responses=problem_responses(AttachmentNotFoundError)
    | {302: {"description": "redirect=true: Location is the download URL"}},
    summary="Get an attachment",
    tags=["attachments"],
)
def get_attachment(
    attachment_id: AttachmentId,
    redirect: bool = False,
) -> Response[AttachmentResponse]:
    found = attachments.describe(current_principal(app), attachment_id)
    headers = {"Cache-Control": "no-store"}
    if redirect:  # the body still describes the file; clients that follow ignore it
        headers["Location"] = found.download_url
    return json_response(found, status=302 if redirect else 200, headers=headers)


lambda_handler = entrypoint(app)

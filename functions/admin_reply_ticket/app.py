"""POST /admin/tickets/{ticket_id}/messages: a staff reply or an internal note."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import desk
from helpdesk.attachments import LINK_ERRORS
from helpdesk.errors import (
    ConcurrentUpdateError,
    ForbiddenError,
    TicketClosedError,
    TicketNotFoundError,
)
from helpdesk.http import (
    IdempotencyKey,
    TicketId,
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.idempotency import Operation
from helpdesk.models.staff import StaffReplyRequest, StaffReplyResponse

app = make_resolver()
IDEMPOTENT = Operation("admin_reply_ticket", StaffReplyResponse)


@app.post(
    "/admin/tickets/<ticket_id>/messages",
    summary="Reply to a ticket, or add an internal note",
    tags=["staff"],
    status_code=201,
    responses=problem_responses(
        *LINK_ERRORS,
        ForbiddenError,
        TicketNotFoundError,
        TicketClosedError,
        ConcurrentUpdateError,
        success=201,
    ),
)
def admin_reply_ticket(
    ticket_id: TicketId, body: StaffReplyRequest, idempotency_key: IdempotencyKey = None
) -> Response[StaffReplyResponse]:
    p = current_principal(app)
    reply = IDEMPOTENT.run(
        p.user_id, idempotency_key, body, lambda: desk.reply(p, ticket_id, body), scope=ticket_id
    )
    return json_response(reply, status=201)


lambda_handler = entrypoint(app, idempotent=True)

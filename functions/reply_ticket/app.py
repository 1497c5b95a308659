"""POST /tickets/{ticket_id}/messages: reply to one of my tickets."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import tickets
from helpdesk.attachments import LINK_ERRORS
from helpdesk.errors import ConcurrentUpdateError, TicketClosedError, TicketNotFoundError
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
from helpdesk.models.tickets import ReplyRequest, ReplyResponse

app = make_resolver()
IDEMPOTENT = Operation("reply_ticket", ReplyResponse)


@app.post(
    "/tickets/<ticket_id>/messages",
    responses=problem_responses(
        *LINK_ERRORS, TicketNotFoundError, TicketClosedError, ConcurrentUpdateError, success=201
    ),
    summary="Reply to my ticket",
    tags=["tickets"],
    status_code=201,
)
def reply_ticket(
    ticket_id: TicketId, body: ReplyRequest, idempotency_key: IdempotencyKey = None
) -> Response[ReplyResponse]:
    p = current_principal(app)
    reply = IDEMPOTENT.run(
        p.user_id,
        idempotency_key,
        body,
        lambda: ReplyResponse.of(*tickets.reply(p, ticket_id, body)),
        scope=ticket_id,
    )
    return json_response(reply, status=201)


lambda_handler = entrypoint(app, idempotent=True)

"""POST /public/tickets/{ticket_id}/messages: a guest replies with their private link secret."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import guests
from helpdesk.errors import (
    ConcurrentUpdateError,
    RateLimitedError,
    TicketClosedError,
    TicketNotFoundError,
)
from helpdesk.http import (
    LinkToken,
    LinkTokenHeader,
    TicketId,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.tickets import ReplyRequest, ReplyResponse

app = make_resolver()


@app.post(
    "/public/tickets/<ticket_id>/messages",
    responses=problem_responses(
        TicketNotFoundError,
        TicketClosedError,
        ConcurrentUpdateError,
        RateLimitedError,
        success=201,
    ),
    summary="Reply to a guest ticket",
    tags=["public"],
    status_code=201,
)
def public_reply_ticket(
    ticket_id: TicketId,
    body: ReplyRequest,
    x_ticket_token: LinkTokenHeader = None,
    token: LinkToken = None,
) -> Response[ReplyResponse]:
    reply = ReplyResponse.of(*guests.reply(ticket_id, x_ticket_token or token, body))
    return json_response(reply, status=201)


lambda_handler = entrypoint(app, public=True)

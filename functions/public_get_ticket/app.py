"""GET /public/tickets/{ticket_id}: a guest follows their ticket with its private link secret."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import guests
from helpdesk.errors import TicketNotFoundError
from helpdesk.http import (
    LinkToken,
    LinkTokenHeader,
    TicketId,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.tickets import TicketResponse

app = make_resolver()


@app.get(
    "/public/tickets/<ticket_id>",
    responses=problem_responses(TicketNotFoundError),
    summary="Follow a guest ticket",
    tags=["public"],
)
def public_get_ticket(
    ticket_id: TicketId, x_ticket_token: LinkTokenHeader = None, token: LinkToken = None
) -> Response[TicketResponse]:
    ticket = guests.get(ticket_id, x_ticket_token or token)
    return json_response(ticket, headers={"Cache-Control": "no-store"})


lambda_handler = entrypoint(app, public=True)

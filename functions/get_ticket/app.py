"""GET /tickets/{ticket_id}: one of my tickets with its public thread."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import tickets
from helpdesk.errors import TicketNotFoundError
from helpdesk.http import (
    TicketId,
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.tickets import TicketResponse

app = make_resolver()


@app.get(
    "/tickets/<ticket_id>",
    responses=problem_responses(TicketNotFoundError),
    summary="Get one of my tickets",
    tags=["tickets"],
)
def get_ticket(ticket_id: TicketId) -> Response[TicketResponse]:
    ticket = tickets.get_ticket(current_principal(app), ticket_id)
    return json_response(ticket, headers={"ETag": ticket.etag})


lambda_handler = entrypoint(app)

"""GET /admin/tickets/{ticket_id}: the ticket for staff, with internal notes and metrics."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import desk
from helpdesk.errors import ForbiddenError, TicketNotFoundError
from helpdesk.http import (
    TicketId,
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.staff import StaffTicketResponse

app = make_resolver()


@app.get(
    "/admin/tickets/<ticket_id>",
    summary="A ticket for staff",
    tags=["staff"],
    responses=problem_responses(ForbiddenError, TicketNotFoundError),
)
def admin_get_ticket(ticket_id: TicketId) -> Response[StaffTicketResponse]:
    ticket = desk.get_ticket(current_principal(app), ticket_id)
    return json_response(ticket, headers={"ETag": ticket.etag})


lambda_handler = entrypoint(app)

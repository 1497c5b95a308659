"""POST /tickets/{ticket_id}/close: Close my ticket (closing a closed ticket is not an error)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import tickets
from helpdesk.errors import ConcurrentUpdateError, TicketNotFoundError
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.tickets import TicketSummary

app = make_resolver()


@app.post(
    "/tickets/<ticket_id>/close",
    responses=problem_responses(TicketNotFoundError, ConcurrentUpdateError),
    summary="Close my ticket (closing a closed ticket is not an error)",
    tags=["tickets"],
)
def close_ticket(ticket_id: TicketId) -> TicketSummary:
    return tickets.close(current_principal(app), ticket_id)


lambda_handler = entrypoint(app)

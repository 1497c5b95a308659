"""POST /tickets/{ticket_id}/read: Mark my ticket read up to now."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import tickets
from helpdesk.errors import ConcurrentUpdateError, TicketNotFoundError
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.tickets import TicketSummary

app = make_resolver()


@app.post(
    "/tickets/<ticket_id>/read",
    responses=problem_responses(TicketNotFoundError, ConcurrentUpdateError),
    summary="Mark my ticket read up to now",
    tags=["tickets"],
)
def read_ticket(ticket_id: TicketId) -> TicketSummary:
    return tickets.mark_read(current_principal(app), ticket_id)


lambda_handler = entrypoint(app)

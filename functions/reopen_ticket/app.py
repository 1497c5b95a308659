"""POST /tickets/{ticket_id}/reopen: Reopen my ticket unless staff locked it."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import tickets
from helpdesk.errors import ConcurrentUpdateError, TicketLockedError, TicketNotFoundError
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.tickets import TicketSummary

app = make_resolver()


@app.post(
    "/tickets/<ticket_id>/reopen",
    responses=problem_responses(TicketNotFoundError, TicketLockedError, ConcurrentUpdateError),
    summary="Reopen my ticket unless staff locked it",
    tags=["tickets"],
)
def reopen_ticket(ticket_id: TicketId) -> TicketSummary:
    return tickets.reopen(current_principal(app), ticket_id)


lambda_handler = entrypoint(app)

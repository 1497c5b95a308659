"""PUT /tickets/{ticket_id}/rating: rate a resolved or closed ticket (changeable for 7 days)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import tickets
from helpdesk.errors import ConcurrentUpdateError, RatingNotAllowedError, TicketNotFoundError
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.tickets import RatingRequest, TicketSummary

app = make_resolver()


@app.put(
    "/tickets/<ticket_id>/rating",
    responses=problem_responses(TicketNotFoundError, RatingNotAllowedError, ConcurrentUpdateError),
    summary="Rate my ticket",
    tags=["tickets"],
)
def rate_ticket(ticket_id: TicketId, body: RatingRequest) -> TicketSummary:
    return tickets.rate(current_principal(app), ticket_id, body)


lambda_handler = entrypoint(app)

"""POST /admin/tickets/{ticket_id}/read: the staff read marker."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import desk
from helpdesk.errors import ConcurrentUpdateError, ForbiddenError, TicketNotFoundError
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.staff import StaffTicketSummary

app = make_resolver()


@app.post(
    "/admin/tickets/<ticket_id>/read",
    summary="Mark a ticket read by staff",
    tags=["staff"],
    responses=problem_responses(ForbiddenError, TicketNotFoundError, ConcurrentUpdateError),
)
def admin_read_ticket(ticket_id: TicketId) -> StaffTicketSummary:
    return desk.mark_read(current_principal(app), ticket_id)


lambda_handler = entrypoint(app)

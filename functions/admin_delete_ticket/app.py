"""DELETE /admin/tickets/{ticket_id}: soft delete (admin); purged after the retention window."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import housekeeping
from helpdesk.errors import ConcurrentUpdateError, ForbiddenError, TicketNotFoundError
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.staff import StaffTicketSummary

app = make_resolver()


@app.delete(
    "/admin/tickets/<ticket_id>",
    summary="Soft-delete a ticket (admin)",
    tags=["staff"],
    responses=problem_responses(ForbiddenError, TicketNotFoundError, ConcurrentUpdateError),
)
def admin_delete_ticket(ticket_id: TicketId) -> StaffTicketSummary:
    return housekeeping.soft_delete(current_principal(app), ticket_id)


lambda_handler = entrypoint(app)

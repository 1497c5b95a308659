"""POST /admin/tickets/{ticket_id}/restore: bring a soft-deleted ticket back (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import housekeeping
from helpdesk.errors import ConcurrentUpdateError, ForbiddenError, TicketNotFoundError
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.staff import StaffTicketSummary

app = make_resolver()


@app.post(
    "/admin/tickets/<ticket_id>/restore",
    summary="Restore a soft-deleted ticket (admin)",
    tags=["staff"],
    responses=problem_responses(ForbiddenError, TicketNotFoundError, ConcurrentUpdateError),
)
def admin_restore_ticket(ticket_id: TicketId) -> StaffTicketSummary:
    return housekeeping.restore(current_principal(app), ticket_id)


lambda_handler = entrypoint(app)

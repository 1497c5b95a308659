"""POST /admin/tickets/{ticket_id}/merge: move this ticket's thread into another (staff)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import housekeeping
from helpdesk.errors import (
    ConcurrentUpdateError,
    ForbiddenError,
    MergeNotAllowedError,
    MergeTargetNotFoundError,
    TicketNotFoundError,
)
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.housekeeping import MergeRequest, MergeResponse

app = make_resolver()


@app.post(
    "/admin/tickets/<ticket_id>/merge",
    summary="Merge a ticket into another (staff; force: admin)",
    tags=["staff"],
    responses=problem_responses(
        ForbiddenError,
        TicketNotFoundError,
        MergeTargetNotFoundError,
        MergeNotAllowedError,
        ConcurrentUpdateError,
    ),
)
def admin_merge_ticket(ticket_id: TicketId, body: MergeRequest) -> MergeResponse:
    return housekeeping.merge(current_principal(app), ticket_id, body)


lambda_handler = entrypoint(app)

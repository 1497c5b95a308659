"""POST /tickets/{ticket_id}/reopen: Reopen my ticket unless staff locked it."""

from helpdesk import tickets
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver
from helpdesk.models import TicketSummary

app = make_resolver()


@app.post(
    "/tickets/<ticket_id>/reopen",
    summary="Reopen my ticket unless staff locked it",
    tags=["tickets"],
)
def reopen_ticket(ticket_id: TicketId) -> TicketSummary:
    return tickets.reopen(current_principal(app), ticket_id)


lambda_handler = entrypoint(app)

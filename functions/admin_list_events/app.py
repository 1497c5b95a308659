"""GET /admin/tickets/{ticket_id}/events: the ticket's ordered history."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from helpdesk import desk
from helpdesk.errors import ForbiddenError, InvalidCursorError, TicketNotFoundError
from helpdesk.http import TicketId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.staff import EventList

app = make_resolver()


@app.get(
    "/admin/tickets/<ticket_id>/events",
    summary="A ticket's history",
    tags=["staff"],
    responses=problem_responses(ForbiddenError, TicketNotFoundError, InvalidCursorError),
)
def admin_list_events(
    ticket_id: TicketId,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> EventList:
    return desk.events(current_principal(app), ticket_id, limit=limit, cursor=cursor)


lambda_handler = entrypoint(app)

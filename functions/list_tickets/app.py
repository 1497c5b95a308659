"""GET /tickets: my tickets (or my organization's), newest activity first."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from helpdesk import tickets
from helpdesk.domain import Priority
from helpdesk.errors import ForbiddenError, InvalidCursorError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.tickets import TicketList, parse_statuses

app = make_resolver()


@app.get(
    "/tickets",
    responses=problem_responses(InvalidCursorError, ForbiddenError),
    summary="List my tickets",
    tags=["tickets"],
)
def list_tickets(
    status: Annotated[
        str | None, Query(description="One or more statuses, comma-separated")
    ] = None,
    category_id: Annotated[str | None, Query(max_length=64)] = None,
    priority: Annotated[Priority | None, Query()] = None,
    unread: Annotated[
        bool, Query(description="Only tickets with staff replies I have not read")
    ] = False,
    open_or_unread: Annotated[
        bool, Query(description="Open tickets, or any with unread replies")
    ] = False,
    number: Annotated[int | None, Query(ge=1)] = None,
    scope: Annotated[Literal["mine", "organization"], Query()] = "mine",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> TicketList:
    filters = tickets.ListFilters(
        statuses=parse_statuses(status),
        category_id=category_id,
        priority=priority,
        unread=unread,
        open_or_unread=open_or_unread,
        number=number,
        organization=scope == "organization",
    )
    return tickets.list_tickets(current_principal(app), filters, limit=limit, cursor=cursor)


lambda_handler = entrypoint(app)

"""PATCH /admin/tickets/{ticket_id}: triage, assign, forward, tag, lock (If-Match optional: a stale one is 412)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header

from helpdesk import desk
from helpdesk.errors import (
    AssigneeUnknownError,
    ConcurrentUpdateError,
    ForbiddenError,
    InvalidCategoryError,
    InvalidDepartmentError,
    PreconditionFailedError,
    TicketNotFoundError,
)
from helpdesk.http import (
    TicketId,
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.staff import StaffTicketSummary, StaffUpdateRequest

app = make_resolver()


@app.patch(
    "/admin/tickets/<ticket_id>",
    summary="Update a ticket (staff)",
    tags=["staff"],
    responses=problem_responses(
        ForbiddenError,
        TicketNotFoundError,
        PreconditionFailedError,
        AssigneeUnknownError,
        InvalidCategoryError,
        InvalidDepartmentError,
        ConcurrentUpdateError,
    ),
)
def admin_update_ticket(
    ticket_id: TicketId,
    body: StaffUpdateRequest,
    if_match: Annotated[
        str | None,
        Header(
            alias="if-match",
            max_length=200,
            description="The ticket's ETag: a stale one is 412; without it the change applies",
        ),
    ] = None,
) -> Response[StaffTicketSummary]:
    ticket = desk.update(current_principal(app), ticket_id, body, if_match)
    return json_response(ticket, headers={"ETag": ticket.etag})


lambda_handler = entrypoint(app)

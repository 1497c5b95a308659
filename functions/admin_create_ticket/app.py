"""POST /admin/tickets: a ticket opened by staff on a customer's behalf (idempotent)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import desk
from helpdesk.attachments import LINK_ERRORS
from helpdesk.errors import (
    AssigneeUnknownError,
    ForbiddenError,
    InvalidCategoryError,
    InvalidDepartmentError,
    RateLimitedError,
    RequesterNotFoundError,
)
from helpdesk.http import (
    IdempotencyKey,
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.idempotency import Operation
from helpdesk.models.staff import StaffCreateTicketRequest, StaffTicketResponse

app = make_resolver()
IDEMPOTENT = Operation("admin_create_ticket", StaffTicketResponse)


@app.post(
    "/admin/tickets",
    summary="Open a ticket on a customer's behalf",
    tags=["staff"],
    status_code=201,
    responses=problem_responses(
        *LINK_ERRORS,
        ForbiddenError,
        RequesterNotFoundError,
        AssigneeUnknownError,
        InvalidCategoryError,
        InvalidDepartmentError,
        RateLimitedError,
        success=201,
    ),
)
def admin_create_ticket(
    body: StaffCreateTicketRequest, idempotency_key: IdempotencyKey = None
) -> Response[StaffTicketResponse]:
    p = current_principal(app)
    ticket = IDEMPOTENT.run(p.user_id, idempotency_key, body, lambda: desk.create_for(p, body))
    return json_response(
        ticket,
        status=201,
        headers={"Location": f"/admin/tickets/{ticket.id}", "ETag": ticket.etag},
    )


lambda_handler = entrypoint(app, idempotent=True)

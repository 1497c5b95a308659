"""POST /tickets: open a ticket (idempotent with Idempotency-Key)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import tickets
from helpdesk.attachments import LINK_ERRORS
from helpdesk.errors import InvalidCategoryError, InvalidDepartmentError, PriorityNotAllowedError
from helpdesk.http import (
    IdempotencyKey,
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.idempotency import Operation
from helpdesk.models.tickets import CreateTicketRequest, TicketResponse

app = make_resolver()
IDEMPOTENT = Operation("create_ticket", TicketResponse)


@app.post(
    "/tickets",
    responses=problem_responses(
        *LINK_ERRORS,
        InvalidCategoryError,
        InvalidDepartmentError,
        PriorityNotAllowedError,
        success=201,
    ),
    summary="Open a ticket",
    tags=["tickets"],
    status_code=201,
)
def create_ticket(
    body: CreateTicketRequest, idempotency_key: IdempotencyKey = None
) -> Response[TicketResponse]:
    p = current_principal(app)
    ticket = IDEMPOTENT.run(
        p.user_id, idempotency_key, body, lambda: tickets.create_ticket(p, body)
    )
    return json_response(
        ticket, status=201, headers={"Location": f"/tickets/{ticket.id}", "ETag": ticket.etag}
    )


lambda_handler = entrypoint(app, idempotent=True)

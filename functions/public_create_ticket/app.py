"""POST /public/tickets: the public contact form (no account; rate-limited per IP and e-mail)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import guests
from helpdesk.errors import InvalidCategoryError, RateLimitedError, SpamSuspectedError
from helpdesk.http import entrypoint, json_response, make_resolver, problem_responses
from helpdesk.models.public import PublicTicketCreated, PublicTicketRequest

app = make_resolver()


@app.post(
    "/public/tickets",
    responses=problem_responses(
        InvalidCategoryError, SpamSuspectedError, RateLimitedError, success=201
    ),
    summary="Open a ticket without an account",
    tags=["public"],
    status_code=201,
)
def public_create_ticket(body: PublicTicketRequest) -> Response[PublicTicketCreated]:
    source_ip = str(app.current_event.request_context.http.source_ip or "unknown")
    created = guests.create(body, source_ip)
    return json_response(created, status=201, headers={"Location": f"/public/tickets/{created.id}"})


lambda_handler = entrypoint(app, public=True)

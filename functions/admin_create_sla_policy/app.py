"""POST /admin/sla-policies: create an SLA policy (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import slapolicies
from helpdesk.errors import ForbiddenError, SlaPolicyInvalidError, SlaPolicyLimitReachedError
from helpdesk.http import (
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.sla import SlaPolicy, SlaPolicyCreateRequest

app = make_resolver()


@app.post(
    "/admin/sla-policies",
    summary="Create an SLA policy",
    tags=["admin"],
    status_code=201,
    responses=problem_responses(
        ForbiddenError, SlaPolicyInvalidError, SlaPolicyLimitReachedError, success=201
    ),
)
def admin_create_sla_policy(body: SlaPolicyCreateRequest) -> Response[SlaPolicy]:
    return json_response(slapolicies.create_policy(current_principal(app), body), status=201)


lambda_handler = entrypoint(app)

"""DELETE /admin/sla-policies/{policy_id}: delete an SLA policy (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import slapolicies
from helpdesk.errors import ForbiddenError, SlaPolicyNotFoundError
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)

app = make_resolver()


@app.delete(
    "/admin/sla-policies/<policy_id>",
    summary="Delete an SLA policy",
    tags=["admin"],
    responses={
        **problem_responses(ForbiddenError, SlaPolicyNotFoundError, success=204),
        204: {"description": "Deleted"},
    },
)
def admin_delete_sla_policy(policy_id: ResourceId) -> Response[None]:
    slapolicies.delete_policy(current_principal(app), policy_id)
    return Response(status_code=204, body=None)


lambda_handler = entrypoint(app)

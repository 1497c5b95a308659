"""PATCH /admin/sla-policies/{policy_id}: rename, reorder, change conditions or targets
(admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import slapolicies
from helpdesk.errors import ForbiddenError, SlaPolicyInvalidError, SlaPolicyNotFoundError
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.models.sla import SlaPolicy, SlaPolicyUpdateRequest

app = make_resolver()


@app.patch(
    "/admin/sla-policies/<policy_id>",
    summary="Update an SLA policy",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, SlaPolicyNotFoundError, SlaPolicyInvalidError),
)
def admin_update_sla_policy(policy_id: ResourceId, body: SlaPolicyUpdateRequest) -> SlaPolicy:
    return slapolicies.update_policy(current_principal(app), policy_id, body)


lambda_handler = entrypoint(app)

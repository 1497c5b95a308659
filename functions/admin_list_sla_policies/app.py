"""GET /admin/sla-policies: the SLA policies, in the order they are tried (staff)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import slapolicies
from helpdesk.errors import ForbiddenError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.sla import SlaPolicyList

app = make_resolver()


@app.get(
    "/admin/sla-policies",
    summary="SLA policies",
    tags=["admin"],
    responses=problem_responses(ForbiddenError),
)
def admin_list_sla_policies() -> SlaPolicyList:
    return slapolicies.list_policies(current_principal(app))


lambda_handler = entrypoint(app)

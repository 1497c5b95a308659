"""GET /admin/inbound/{inbound_id}: one received message, with a link to the original (staff)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import inbound
from helpdesk.errors import ForbiddenError, InboundNotFoundError
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.models.inbound import InboundDetail

app = make_resolver()


@app.get(
    "/admin/inbound/<inbound_id>",
    summary="A received message, with a 5-minute link to its raw .eml",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, InboundNotFoundError),
)
def admin_get_inbound(inbound_id: ResourceId) -> InboundDetail:
    return inbound.get_inbound(current_principal(app), inbound_id)


lambda_handler = entrypoint(app)

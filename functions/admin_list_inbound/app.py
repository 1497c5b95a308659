"""GET /admin/inbound: received mail, newest first, all or one status (staff)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from helpdesk import inbound
from helpdesk.errors import ForbiddenError, InvalidCursorError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.inbound import InboundList, InboundStatus

app = make_resolver()


@app.get(
    "/admin/inbound",
    summary="Received mail and what became of it (dropped ones with the reason)",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, InvalidCursorError),
)
def admin_list_inbound(
    status: InboundStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> InboundList:
    return inbound.list_inbound(current_principal(app), status, limit=limit, cursor=cursor)


lambda_handler = entrypoint(app)

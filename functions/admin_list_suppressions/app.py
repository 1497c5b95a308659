"""GET /admin/suppressions: addresses no mail goes to (bounced for good, or complained) (staff)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from helpdesk import suppressions
from helpdesk.errors import ForbiddenError, InvalidCursorError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.notifications import SuppressionList

app = make_resolver()


@app.get(
    "/admin/suppressions",
    summary="Addresses no mail goes to: hard bounces and complaints, in address order",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, InvalidCursorError),
)
def admin_list_suppressions(
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> SuppressionList:
    return suppressions.list_suppressions(current_principal(app), limit=limit, cursor=cursor)


lambda_handler = entrypoint(app)

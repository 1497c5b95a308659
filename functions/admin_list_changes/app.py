"""GET /admin/changes: every change to every ticket in commit order (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from helpdesk import changes
from helpdesk.errors import ForbiddenError, InvalidCursorError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.changes import ChangePage

app = make_resolver()


@app.get(
    "/admin/changes",
    summary="The change feed (admin)",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, InvalidCursorError),
)
def admin_list_changes(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> ChangePage:
    return changes.page(current_principal(app), limit=limit, cursor=cursor)


lambda_handler = entrypoint(app)

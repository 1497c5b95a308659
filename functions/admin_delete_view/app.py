"""DELETE /admin/views/{view_id}: delete a view (its entries are removed in the background)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import views
from helpdesk.errors import ForbiddenError, ViewNotFoundError
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)

app = make_resolver()


@app.delete(
    "/admin/views/<view_id>",
    summary="Delete a view",
    tags=["staff"],
    responses={
        **problem_responses(ForbiddenError, ViewNotFoundError, success=204),
        204: {"description": "Deleted"},
    },
)
def admin_delete_view(view_id: ResourceId) -> Response[None]:
    views.delete_view(current_principal(app), view_id)
    return Response(status_code=204, body=None)


lambda_handler = entrypoint(app)

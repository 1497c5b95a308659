"""PATCH /admin/views/{view_id}: rename, reorder, refilter, share a view."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import views
from helpdesk.errors import (
    ForbiddenError,
    ViewFilterInvalidError,
    ViewLimitReachedError,
    ViewNotFoundError,
)
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.models.views import ViewResponse, ViewUpdateRequest

app = make_resolver()


@app.patch(
    "/admin/views/<view_id>",
    summary="Update a view (a new filter rebuilds its list in the background)",
    tags=["staff"],
    responses=problem_responses(
        ForbiddenError, ViewNotFoundError, ViewFilterInvalidError, ViewLimitReachedError
    ),
)
def admin_update_view(view_id: ResourceId, body: ViewUpdateRequest) -> ViewResponse:
    return views.update_view(current_principal(app), view_id, body)


lambda_handler = entrypoint(app)

"""POST /admin/views: save a view (agents: personal ones; admins: shared ones too)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import views
from helpdesk.errors import ForbiddenError, ViewFilterInvalidError, ViewLimitReachedError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.views import ViewCreateRequest, ViewResponse

app = make_resolver()


@app.post(
    "/admin/views",
    summary="Save a view (its list is built in the background)",
    tags=["staff"],
    status_code=201,
    responses=problem_responses(
        ForbiddenError, ViewFilterInvalidError, ViewLimitReachedError, success=201
    ),
)
def admin_create_view(body: ViewCreateRequest) -> ViewResponse:
    return views.create_view(current_principal(app), body)


lambda_handler = entrypoint(app)

"""GET /admin/views: the saved views the caller sees (shared, and his personal ones)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import views
from helpdesk.errors import ForbiddenError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.views import ViewList

app = make_resolver()


@app.get(
    "/admin/views",
    summary="The saved views (the defaults on a new install)",
    tags=["staff"],
    responses=problem_responses(ForbiddenError),
)
def admin_list_views() -> ViewList:
    return views.list_views(current_principal(app))


lambda_handler = entrypoint(app)

"""GET /admin/views/counts: every visible saved view's count, for the caller."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import views
from helpdesk.errors import ForbiddenError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.views import ViewCounts

app = make_resolver()


@app.get(
    "/admin/views/counts",
    summary="Every visible view's count (one batch read)",
    tags=["staff"],
    responses=problem_responses(ForbiddenError),
)
def admin_count_views() -> ViewCounts:
    return views.counts(current_principal(app))


lambda_handler = entrypoint(app)

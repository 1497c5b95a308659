"""GET /admin/business-hours: the schedules SLA targets are counted in (staff)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import schedules
from helpdesk.errors import ForbiddenError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.schedules import BusinessHoursResponse

app = make_resolver()


@app.get(
    "/admin/business-hours",
    summary="Business-hours schedules",
    tags=["admin"],
    responses=problem_responses(ForbiddenError),
)
def admin_get_business_hours() -> BusinessHoursResponse:
    return schedules.get_business_hours(current_principal(app))


lambda_handler = entrypoint(app)

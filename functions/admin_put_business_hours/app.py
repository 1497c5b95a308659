"""PUT /admin/business-hours: replace every business-hours schedule (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import schedules
from helpdesk.errors import ForbiddenError, ScheduleInvalidError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.schedules import BusinessHoursRequest, BusinessHoursResponse

app = make_resolver()


@app.put(
    "/admin/business-hours",
    summary="Replace the business-hours schedules (admin)",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, ScheduleInvalidError),
)
def admin_put_business_hours(body: BusinessHoursRequest) -> BusinessHoursResponse:
    return schedules.put_business_hours(current_principal(app), body)


lambda_handler = entrypoint(app)

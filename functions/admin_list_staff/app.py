"""GET /admin/staff: the staff directory, active and deactivated members (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import staff
from helpdesk.errors import ForbiddenError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.account import StaffList

app = make_resolver()


@app.get(
    "/admin/staff",
    summary="List staff members (admin)",
    tags=["admin"],
    responses=problem_responses(ForbiddenError),
)
def admin_list_staff() -> StaffList:
    return staff.list_staff(current_principal(app))


lambda_handler = entrypoint(app)

"""POST /admin/staff/{user_id}/reactivate: give a deactivated staff member staff access
again; API tokens made before the deactivation stay without it (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import staff
from helpdesk.errors import ForbiddenError, StaffNotFoundError
from helpdesk.http import UserId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.account import StaffMemberResponse

app = make_resolver()


@app.post(
    "/admin/staff/<user_id>/reactivate",
    summary="Reactivate a staff member (admin)",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, StaffNotFoundError),
)
def admin_reactivate_staff(user_id: UserId) -> StaffMemberResponse:
    return staff.set_active(current_principal(app), user_id, active=True)


lambda_handler = entrypoint(app)

"""DELETE /admin/staff/{user_id}: deactivate a staff member: their JWTs and API tokens lose
staff access within the authorizer cache TTL (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import staff
from helpdesk.errors import ForbiddenError, SelfDeactivationError, StaffNotFoundError
from helpdesk.http import UserId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.account import StaffMemberResponse

app = make_resolver()


@app.delete(
    "/admin/staff/<user_id>",
    summary="Deactivate a staff member (admin)",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, StaffNotFoundError, SelfDeactivationError),
)
def admin_deactivate_staff(user_id: UserId) -> StaffMemberResponse:
    return staff.set_active(current_principal(app), user_id, active=False)


lambda_handler = entrypoint(app)

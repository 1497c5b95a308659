"""POST /admin/requesters/{user_id}/erase: remove a requester's personal data (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import housekeeping
from helpdesk.errors import (
    ConcurrentUpdateError,
    ErasureNotConfirmedError,
    ForbiddenError,
    RequesterNotFoundError,
)
from helpdesk.http import (
    UserId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.models.housekeeping import EraseRequest, ErasureReport

app = make_resolver()


@app.post(
    "/admin/requesters/<user_id>/erase",
    summary="Erase a requester's personal data (admin; cannot be undone)",
    tags=["staff"],
    responses=problem_responses(
        ForbiddenError, RequesterNotFoundError, ErasureNotConfirmedError, ConcurrentUpdateError
    ),
)
def admin_erase_requester(user_id: UserId, body: EraseRequest) -> ErasureReport:
    return housekeeping.erase_requester(current_principal(app), user_id, body)


lambda_handler = entrypoint(app)

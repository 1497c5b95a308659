"""POST /admin/tickets/bulk: one change on up to 100 tickets, reported per ticket."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import desk
from helpdesk.errors import (
    AssigneeUnknownError,
    ForbiddenError,
    IdempotencyInProgressError,
    InvalidDepartmentError,
)
from helpdesk.http import (
    IdempotencyKey,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.idempotency import Operation
from helpdesk.models.staff import BulkUpdateRequest, BulkUpdateResponse

app = make_resolver()
IDEMPOTENT = Operation("admin_bulk_update", BulkUpdateResponse)


@app.post(
    "/admin/tickets/bulk",
    summary="Bulk update tickets (staff)",
    tags=["staff"],
    responses=problem_responses(
        ForbiddenError, AssigneeUnknownError, InvalidDepartmentError, IdempotencyInProgressError
    ),
)
def admin_bulk_update(
    body: BulkUpdateRequest, idempotency_key: IdempotencyKey = None
) -> BulkUpdateResponse:
    p = current_principal(app)
    return IDEMPOTENT.run(p.user_id, idempotency_key, body, lambda: desk.bulk_update(p, body))


lambda_handler = entrypoint(app, idempotent=True)

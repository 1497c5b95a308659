"""PATCH /admin/departments/{department_id}: rename, reorder, (de)activate, set the agents
(admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import catalog
from helpdesk.errors import AgentUnknownError, DepartmentNotFoundError, ForbiddenError
from helpdesk.http import (
    CatalogEntryId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.models.catalog import DepartmentEntry, DepartmentUpdateRequest

app = make_resolver()


@app.patch(
    "/admin/departments/<department_id>",
    summary="Update a department",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, DepartmentNotFoundError, AgentUnknownError),
)
def admin_update_department(
    department_id: CatalogEntryId, body: DepartmentUpdateRequest
) -> DepartmentEntry:
    return catalog.update_department(current_principal(app), department_id, body)


lambda_handler = entrypoint(app)

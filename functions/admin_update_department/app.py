"""PATCH /admin/departments/{department_id}: rename, reorder, (de)activate (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import catalog
from helpdesk.errors import DepartmentNotFoundError, ForbiddenError
from helpdesk.http import (
    CatalogEntryId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.models.catalog import CatalogEntry, CatalogUpdateRequest

app = make_resolver()


@app.patch(
    "/admin/departments/<department_id>",
    summary="Update a department",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, DepartmentNotFoundError),
)
def admin_update_department(
    department_id: CatalogEntryId, body: CatalogUpdateRequest
) -> CatalogEntry:
    return catalog.update_department(current_principal(app), department_id, body)


lambda_handler = entrypoint(app)

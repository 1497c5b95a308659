"""PATCH /admin/departments/{department_id}: rename, reorder, (de)activate (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from helpdesk import catalog
from helpdesk.errors import DepartmentNotFoundError, ForbiddenError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.catalog import CatalogEntry, CatalogUpdateRequest

app = make_resolver()
EntryId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


@app.patch(
    "/admin/departments/<department_id>",
    summary="Update a department",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, DepartmentNotFoundError),
)
def admin_update_department(department_id: EntryId, body: CatalogUpdateRequest) -> CatalogEntry:
    return catalog.update_department(current_principal(app), department_id, body)


lambda_handler = entrypoint(app)

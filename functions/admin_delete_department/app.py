"""DELETE /admin/departments/{department_id}: delete an unused department; one in use is 409 (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import catalog
from helpdesk.errors import DepartmentInUseError, DepartmentNotFoundError, ForbiddenError
from helpdesk.http import (
    CatalogEntryId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)

app = make_resolver()


@app.delete(
    "/admin/departments/<department_id>",
    summary="Delete an unused department",
    tags=["admin"],
    responses={
        **problem_responses(
            ForbiddenError, DepartmentNotFoundError, DepartmentInUseError, success=204
        ),
        204: {"description": "Deleted"},
    },
)
def admin_delete_department(department_id: CatalogEntryId) -> Response[None]:
    catalog.delete_department(current_principal(app), department_id)
    return Response(status_code=204, body=None)


lambda_handler = entrypoint(app)

"""DELETE /admin/departments/{department_id}: delete an unused department; one in use is 409 (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from helpdesk import catalog
from helpdesk.errors import DepartmentInUseError, DepartmentNotFoundError, ForbiddenError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses

app = make_resolver()
EntryId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


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
def admin_delete_department(department_id: EntryId) -> Response[None]:
    catalog.delete_department(current_principal(app), department_id)
    return Response(status_code=204, body=None)


lambda_handler = entrypoint(app)

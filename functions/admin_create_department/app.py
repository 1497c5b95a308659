"""POST /admin/departments: create a department (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import catalog
from helpdesk.errors import AgentUnknownError, ForbiddenError
from helpdesk.http import (
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.catalog import DepartmentCreateRequest, DepartmentEntry

app = make_resolver()


@app.post(
    "/admin/departments",
    summary="Create a department",
    tags=["admin"],
    status_code=201,
    responses=problem_responses(ForbiddenError, AgentUnknownError, success=201),
)
def admin_create_department(body: DepartmentCreateRequest) -> Response[DepartmentEntry]:
    return json_response(catalog.create_department(current_principal(app), body), status=201)


lambda_handler = entrypoint(app)

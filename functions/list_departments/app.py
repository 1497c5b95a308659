"""GET /departments: active departments."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import catalog
from helpdesk.http import current_principal, entrypoint, make_resolver
from helpdesk.models.catalog import DepartmentList

app = make_resolver()


@app.get(
    "/departments",
    summary="List departments (staff also see each one's agents)",
    tags=["catalog"],
)
def list_departments() -> DepartmentList:
    return catalog.active_departments(current_principal(app))


lambda_handler = entrypoint(app)

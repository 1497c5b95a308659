"""GET /departments: active departments."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import catalog
from helpdesk.http import entrypoint, make_resolver
from helpdesk.models.catalog import DepartmentList

app = make_resolver()


@app.get("/departments", summary="List departments", tags=["catalog"])
def list_departments() -> DepartmentList:
    return catalog.active_departments()


lambda_handler = entrypoint(app)

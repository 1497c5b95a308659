"""GET /categories: active categories with their sub-categories."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import catalog
from helpdesk.http import entrypoint, make_resolver
from helpdesk.models.catalog import CategoryList

app = make_resolver()


@app.get("/categories", summary="List ticket categories", tags=["catalog"])
def list_categories() -> CategoryList:
    return catalog.active_categories()


lambda_handler = entrypoint(app)

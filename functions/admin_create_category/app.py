"""POST /admin/categories: create a category (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import catalog
from helpdesk.errors import ForbiddenError, InvalidCategoryError
from helpdesk.http import (
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.catalog import CatalogEntry, CategoryCreateRequest

app = make_resolver()


@app.post(
    "/admin/categories",
    summary="Create a category",
    tags=["admin"],
    status_code=201,
    responses=problem_responses(ForbiddenError, InvalidCategoryError, success=201),
)
def admin_create_category(body: CategoryCreateRequest) -> Response[CatalogEntry]:
    return json_response(catalog.create_category(current_principal(app), body), status=201)


lambda_handler = entrypoint(app)

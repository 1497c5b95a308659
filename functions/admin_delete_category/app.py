"""DELETE /admin/categories/{category_id}: delete an unused category; one in use is 409 (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import catalog
from helpdesk.errors import CategoryInUseError, CategoryNotFoundError, ForbiddenError
from helpdesk.http import (
    CatalogEntryId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)

app = make_resolver()


@app.delete(
    "/admin/categories/<category_id>",
    summary="Delete an unused category",
    tags=["admin"],
    responses={
        **problem_responses(ForbiddenError, CategoryNotFoundError, CategoryInUseError, success=204),
        204: {"description": "Deleted"},
    },
)
def admin_delete_category(category_id: CatalogEntryId) -> Response[None]:
    catalog.delete_category(current_principal(app), category_id)
    return Response(status_code=204, body=None)


lambda_handler = entrypoint(app)

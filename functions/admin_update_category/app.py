"""PATCH /admin/categories/{category_id}: rename, reorder, (de)activate (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import catalog
from helpdesk.errors import CategoryNotFoundError, ForbiddenError
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
    "/admin/categories/<category_id>",
    summary="Update a category",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, CategoryNotFoundError),
)
def admin_update_category(category_id: CatalogEntryId, body: CatalogUpdateRequest) -> CatalogEntry:
    return catalog.update_category(current_principal(app), category_id, body)


lambda_handler = entrypoint(app)

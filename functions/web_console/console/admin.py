"""The admin page: every category and department; create, rename, deactivate, reactivate,
delete, and a department's agents (the layer's `catalog` calls of the /admin/categories and
/admin/departments routes)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from console.base import checked, go, page


async def admin(request: Request) -> Response:
    from helpdesk import catalog, staff
    from helpdesk.models.catalog import (
        CatalogUpdateRequest,
        CategoryCreateRequest,
        DepartmentCreateRequest,
        DepartmentUpdateRequest,
    )

    p, form = await checked(request)
    p.require_admin()
    if request.method == "POST":
        kind, action = form.get("kind"), form.get("action")
        item = form.get("id", "")
        if action == "create":
            if kind == "category":
                catalog.create_category(p, CategoryCreateRequest(name=form.get("name", "")))
            else:
                catalog.create_department(p, DepartmentCreateRequest(name=form.get("name", "")))
        elif action in ("rename", "deactivate", "activate"):
            change = CatalogUpdateRequest(
                name=form.get("name") or None if action == "rename" else None,
                active=None if action == "rename" else action == "activate",
            )
            update = catalog.update_category if kind == "category" else catalog.update_department
            update(p, item, change)
        elif action == "agents" and kind == "department":
            ids = [a for a in re.split(r"[\s,]+", form.get("agent_ids", "")) if a]
            catalog.update_department(p, item, DepartmentUpdateRequest(agent_ids=ids))
        elif action == "delete":
            (catalog.delete_category if kind == "category" else catalog.delete_department)(p, item)
        return go("/app/admin")
    categories, departments = catalog.all_entries(p)
    members = {m.user_id: m for m in staff.list_staff(p).items}
    return page(
        request, "admin.html", categories=categories, departments=departments, staff=members
    )

"""Categories (with sub-categories) and departments."""

from __future__ import annotations

from helpdesk import store
from helpdesk.models import (
    CategoryList,
    CategoryRef,
    CategoryResponse,
    DepartmentList,
    DepartmentResponse,
)


def active_categories() -> CategoryList:
    """Active top-level categories in display order, each with its active sub-categories."""
    categories, _ = store.list_catalog()
    active = sorted((c for c in categories if c.active), key=lambda c: (c.position, c.name))
    return CategoryList(
        items=[
            CategoryResponse(
                id=c.id,
                name=c.name,
                position=c.position,
                sub_categories=[
                    CategoryRef(id=s.id, name=s.name) for s in active if s.parent_id == c.id
                ],
            )
            for c in active
            if c.parent_id is None
        ]
    )


def active_departments() -> DepartmentList:
    _, departments = store.list_catalog()
    active = sorted((d for d in departments if d.active), key=lambda d: (d.position, d.name))
    return DepartmentList(items=[DepartmentResponse.of(d) for d in active])

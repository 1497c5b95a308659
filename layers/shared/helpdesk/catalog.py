"""Categories (with sub-categories) and departments."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TypeVar

from helpdesk.domain import Category, Department
from helpdesk.errors import (
    AgentUnknownError,
    CategoryInUseError,
    CategoryNotFoundError,
    DepartmentInUseError,
    DepartmentNotFoundError,
    InvalidCategoryError,
)
from helpdesk.ids import new_id
from helpdesk.models.catalog import (
    CatalogEntry,
    CatalogUpdateRequest,
    CategoryCreateRequest,
    CategoryList,
    CategoryResponse,
    DepartmentCreateRequest,
    DepartmentEntry,
    DepartmentList,
    DepartmentResponse,
)
from helpdesk.models.common import CategoryRef
from helpdesk.principal import Principal
from helpdesk.store import catalog as store_catalog
from helpdesk.store import keys as store_keys
from helpdesk.store import lists as store_lists
from helpdesk.store import people as store_people

E = TypeVar("E", Category, Department)

# ---------------------------------------------------------------- names for list items

# How long a container keeps the catalog's names for list items: a rename shows in other
# containers' lists within this many seconds (at once in the container that renamed).
NAMES_TTL_SECONDS = 10.0
_names: tuple[float, dict[str, str]] | None = None


def names() -> dict[str, str]:
    """Category, sub-category and department names by id (inactive ones too: an old ticket
    keeps its label), from one catalog Query per container per NAMES_TTL_SECONDS."""
    global _names
    now = time.monotonic()
    if _names is None or now - _names[0] >= NAMES_TTL_SECONDS:
        categories, departments = store_catalog.list_catalog()
        found = {c.id: c.name for c in categories} | {d.id: d.name for d in departments}
        _names = (now, found)
    return _names[1]


def clear_names() -> None:
    global _names
    _names = None


def _in_order(entries: Iterable[E]) -> list[E]:
    """Display order: by position, then by name."""
    return sorted(entries, key=lambda e: (e.position, e.name))


def active_categories() -> CategoryList:
    """Active top-level categories in display order, each with its active sub-categories."""
    categories, _ = store_catalog.list_catalog()
    active = _in_order(c for c in categories if c.active)
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


def active_departments(p: Principal | None = None) -> DepartmentList:
    """Active departments in order; staff callers see each one's agents too."""
    _, departments = store_catalog.list_catalog()
    active = _in_order(d for d in departments if d.active)
    staff = p is not None and p.is_staff
    return DepartmentList(items=[DepartmentResponse.of(d, staff=staff) for d in active])


# ---------------------------------------------------------------- admin


def _entry(c: Category | Department) -> CatalogEntry:
    return CatalogEntry(
        id=c.id,
        name=c.name,
        position=c.position,
        active=c.active,
        parent_id=getattr(c, "parent_id", None),
    )


def _department_entry(d: Department) -> DepartmentEntry:
    return DepartmentEntry(**_entry(d).model_dump(), agent_ids=list(d.agent_ids))


def all_entries(p: Principal) -> tuple[list[CatalogEntry], list[DepartmentEntry]]:
    """Every category (each top-level one followed by its sub-categories) and department,
    inactive ones included, in display order: the admin's view, one Query."""
    p.require_admin()
    categories, departments = store_catalog.list_catalog()
    order = _in_order(categories)
    cats = [
        _entry(e)
        for top in order
        if top.parent_id is None
        for e in [top, *(s for s in order if s.parent_id == top.id)]
    ]
    deps = [_department_entry(d) for d in _in_order(departments)]
    return cats, deps


def create_category(p: Principal, req: CategoryCreateRequest) -> CatalogEntry:
    """A new (sub-)category; a sub-category's parent must be an existing top-level category."""
    p.require_admin()
    if req.parent_id is not None:
        parent = store_catalog.get_category(req.parent_id)
        if parent is None or parent.parent_id is not None:
            raise InvalidCategoryError(f"Unknown parent category {req.parent_id}")
    cat = Category(id=new_id("cat"), name=req.name, position=req.position, parent_id=req.parent_id)
    store_catalog.put_category(cat)
    return _entry(cat)


def update_category(p: Principal, category_id: str, req: CatalogUpdateRequest) -> CatalogEntry:
    """Rename, reorder, (de)activate."""
    p.require_admin()
    cat = store_catalog.get_category(category_id)
    if cat is None:
        raise CategoryNotFoundError()
    cat = cat.model_copy(
        update={k: getattr(req, k) for k in req.model_fields_set if getattr(req, k) is not None}
    )
    store_catalog.put_category(cat)
    return _entry(cat)


def delete_category(p: Principal, category_id: str) -> None:
    """Delete an unused category; one in use (tickets or sub-categories) is 409: deactivate it."""
    p.require_admin()
    cat = store_catalog.get_category(category_id)
    if cat is None:
        raise CategoryNotFoundError()
    categories, _ = store_catalog.list_catalog()
    if any(c.parent_id == category_id for c in categories):
        raise CategoryInUseError("It has sub-categories")
    q = store_keys.QUEUE
    key = (
        store_keys.by_sub_category(q, category_id)
        if cat.parent_id
        else store_keys.by_category(q, category_id)
    )
    if store_lists.count([key]) > 0:
        raise CategoryInUseError()
    store_catalog.delete_category(category_id)


def _check_agents(agent_ids: list[str]) -> None:
    """A department's agents are active staff in the directory (one BatchGetItem)."""
    if not agent_ids:
        return
    found = store_people.get_staff_many(agent_ids)
    unknown = [a for a in agent_ids if a not in found or not found[a].on_duty]
    if unknown:
        raise AgentUnknownError(
            f"Not active staff members: {', '.join(unknown)}", extra={"agent_ids": unknown}
        )


def create_department(p: Principal, req: DepartmentCreateRequest) -> DepartmentEntry:
    p.require_admin()
    _check_agents(req.agent_ids)
    dep = Department(
        id=new_id("dep"), name=req.name, position=req.position, agent_ids=req.agent_ids
    )
    store_catalog.put_department(dep)
    return _department_entry(dep)


def update_department(
    p: Principal, department_id: str, req: CatalogUpdateRequest
) -> DepartmentEntry:
    """Rename, reorder, (de)activate; a `DepartmentUpdateRequest` may replace the agents
    (each must be active staff now; agents deactivated since stay listed until replaced)."""
    p.require_admin()
    dep = store_catalog.get_department(department_id)
    if dep is None:
        raise DepartmentNotFoundError()
    change = {k: getattr(req, k) for k in req.model_fields_set if getattr(req, k) is not None}
    if "agent_ids" in change:
        _check_agents(change["agent_ids"])
    dep = dep.model_copy(update=change)
    store_catalog.put_department(dep)
    return _department_entry(dep)


def delete_department(p: Principal, department_id: str) -> None:
    """Delete an unused department; one with tickets is 409: deactivate it."""
    p.require_admin()
    if store_catalog.get_department(department_id) is None:
        raise DepartmentNotFoundError()
    if store_lists.count([store_keys.by_department(store_keys.QUEUE, department_id)]) > 0:
        raise DepartmentInUseError()
    store_catalog.delete_department(department_id)

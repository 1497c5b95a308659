"""Categories and departments: the public lists and the admin's changes."""

from typing import Annotated

from pydantic import AfterValidator, Field

from helpdesk.domain import BaseModel, Department
from helpdesk.models.common import CategoryRef, Id, Name, RequestBody

MAX_DEPARTMENT_AGENTS = 50


def _unique(ids: list[str]) -> list[str]:
    if len(set(ids)) != len(ids):
        raise ValueError("agent_ids must not repeat")
    return ids


AgentIds = Annotated[
    list[Id],
    Field(
        max_length=MAX_DEPARTMENT_AGENTS,
        json_schema_extra={"uniqueItems": True},
        description=(
            "The department's agents: user ids of active staff members (the staff directory,"
            " `GET /admin/staff`). An unassigned ticket's customer messages are mailed to them."
        ),
    ),
    AfterValidator(_unique),
]


class CategoryResponse(BaseModel):
    id: str
    name: str
    position: int
    sub_categories: list[CategoryRef]


class CategoryList(BaseModel):
    items: list[CategoryResponse]


class DepartmentResponse(BaseModel):
    """A department as everyone sees it; its agents only for staff (staff ids stay with staff)."""

    id: str
    name: str
    position: int
    agent_ids: list[str] | None = Field(
        default=None,
        description="Staff callers only (null for customers): the department's agents, who "
        "get an unassigned ticket's customer mail",
    )

    @classmethod
    def of(cls, d: Department, *, staff: bool = False) -> "DepartmentResponse":
        agents = list(d.agent_ids) if staff else None
        return cls(id=d.id, name=d.name, position=d.position, agent_ids=agents)


class DepartmentList(BaseModel):
    items: list[DepartmentResponse]


class CategoryCreateRequest(RequestBody):
    name: Name
    position: int = Field(default=0, ge=0, le=10_000)
    parent_id: Id | None = Field(default=None, description="Makes this a sub-category")


class DepartmentCreateRequest(RequestBody):
    name: Name
    position: int = Field(default=0, ge=0, le=10_000)
    agent_ids: AgentIds = Field(default_factory=list)


class CatalogUpdateRequest(RequestBody):
    """Rename, reorder, or (de)activate a category (a department: `DepartmentUpdateRequest`)."""

    name: Name | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None


class DepartmentUpdateRequest(CatalogUpdateRequest):
    """Rename, reorder, (de)activate a department, or replace its agents (`[]`: none)."""

    agent_ids: AgentIds | None = None


class CatalogEntry(BaseModel):
    id: str
    name: str
    position: int
    active: bool
    parent_id: str | None = None


class DepartmentEntry(CatalogEntry):
    """A department as the admin sees it: with its agents."""

    agent_ids: list[str] = Field(default_factory=list)

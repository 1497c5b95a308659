"""Categories and departments: the public lists and the admin's changes."""

from pydantic import Field

from helpdesk.domain import BaseModel, Department
from helpdesk.models.common import CategoryRef, Id, Name, RequestBody


class CategoryResponse(BaseModel):
    id: str
    name: str
    position: int
    sub_categories: list[CategoryRef]


class CategoryList(BaseModel):
    items: list[CategoryResponse]


class DepartmentResponse(BaseModel):
    id: str
    name: str
    position: int

    @classmethod
    def of(cls, d: Department) -> "DepartmentResponse":
        return cls(id=d.id, name=d.name, position=d.position)


class DepartmentList(BaseModel):
    items: list[DepartmentResponse]


class CategoryCreateRequest(RequestBody):
    name: Name
    position: int = Field(default=0, ge=0, le=10_000)
    parent_id: Id | None = Field(default=None, description="Makes this a sub-category")


class DepartmentCreateRequest(RequestBody):
    name: Name
    position: int = Field(default=0, ge=0, le=10_000)


class CatalogUpdateRequest(RequestBody):
    """Rename, reorder, or (de)activate a category or department."""

    name: Name | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None


class CatalogEntry(BaseModel):
    id: str
    name: str
    position: int
    active: bool
    parent_id: str | None = None

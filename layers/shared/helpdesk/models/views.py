"""Saved views: their definitions, the list of them and their counts (docs/api.md, "Views")."""

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from helpdesk.domain import BaseModel, Priority, Status
from helpdesk.models.common import Id, RequestBody
from helpdesk.models.staff import Tag

Assignee = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-|:.@]+$"),
]
ViewName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class ViewFilterModel(RequestBody):
    """A conjunction: every condition given must hold (none given: every ticket)."""

    statuses: list[Status] = Field(default_factory=list, max_length=5)
    priorities: list[Priority] = Field(default_factory=list, max_length=4)
    assignee: Assignee | None = Field(
        default=None, description="`me` (each reader his own), `none` (unassigned) or a user id"
    )
    department_id: Id | None = None
    category_id: Id | None = None
    sub_category_id: Id | None = None
    tag: Tag | None = None
    guest: bool | None = Field(default=None, description="Guest requesters only, or none")
    unread: bool = Field(default=False, description="Customer messages no agent has read")
    organization_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


ViewSortField = Literal["activity", "created", "updated"]
ViewOrder = Literal["asc", "desc"]


class ViewCreateRequest(RequestBody):
    name: ViewName
    filter: ViewFilterModel = Field(default_factory=ViewFilterModel)
    sort: ViewSortField = "activity"
    order: ViewOrder = "desc"
    shared: bool = Field(
        default=False, description="Shared with all staff (admins only), else personal"
    )
    position: int = Field(default=0, ge=0, le=10_000, description="Sidebar order, ascending")


class ViewUpdateRequest(RequestBody):
    name: ViewName | None = None
    filter: ViewFilterModel | None = None
    sort: ViewSortField | None = None
    order: ViewOrder | None = None
    shared: bool | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)


class ViewResponse(BaseModel):
    id: str
    name: str
    filter: ViewFilterModel
    sort: ViewSortField
    order: ViewOrder
    shared: bool
    owner_id: str | None = Field(description="The owner of a personal view; null when shared")
    position: int
    state: Literal["building", "ready"] = Field(
        description="`building`: its list is being filled in the background (its count and "
        "total are null until `ready`)"
    )
    default: bool = Field(description="One of the defaults a new install starts with")
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, data: dict[str, Any]) -> "ViewResponse":
        return cls(
            id=data["id"],
            name=data["name"],
            filter=ViewFilterModel.model_validate(
                {k: v for k, v in (data.get("filter") or {}).items() if v not in (None, [])}
            ),
            sort=data.get("sort", "activity"),
            order=data.get("order", "desc"),
            shared=bool(data.get("shared")),
            owner_id=None if data.get("shared") else data.get("owner_id"),
            position=int(data.get("position", 0)),
            state="ready" if data.get("state") == "ready" else "building",
            default=bool(data.get("default")),
            created_at=data["created_at"],
            updated_at=data["updated_at"],
        )


class ViewList(BaseModel):
    items: list[ViewResponse]


class ViewCount(BaseModel):
    id: str
    count: int | None = Field(
        description="How many tickets it holds (for you); null while building"
    )
    state: Literal["building", "ready"]


class ViewCounts(BaseModel):
    items: list[ViewCount]

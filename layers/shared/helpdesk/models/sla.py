"""SLA policies (issue 23): match conditions and targets per priority."""

from typing import Annotated

from pydantic import Field, StringConstraints

from helpdesk.domain import BaseModel, Priority
from helpdesk.models.common import Name, RequestBody
from helpdesk.models.schedules import ScheduleId

Minutes = Annotated[int, Field(ge=1, le=366 * 24 * 60, description="Minutes in the schedule")]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]
WarningMinutes = Annotated[
    int,
    Field(
        ge=0,
        le=7 * 24 * 60,
        description="sla.warning this many schedule minutes before a due time (0: none); "
        "only while the schedule is open",
    ),
]


class SlaTarget(RequestBody):
    minutes: Minutes
    schedule: ScheduleId = Field(
        default="calendar",
        description="A business-hours schedule id; `calendar`: around the clock",
    )


class SlaTargets(RequestBody):
    first_reply: SlaTarget | None = Field(
        default=None, description="From creation to the first public staff reply"
    )
    next_reply: SlaTarget | None = Field(
        default=None,
        description="From the oldest unanswered customer message to the next public staff reply",
    )
    resolution: SlaTarget | None = Field(
        default=None, description="From creation (or reopening) to resolved or closed"
    )


class SlaConditions(RequestBody):
    """Every condition given must match (a list: any of its values); none: every ticket."""

    priority: list[Priority] = Field(default_factory=list, max_length=4)
    category: list[Ref] = Field(default_factory=list, max_length=50)
    department: list[Ref] = Field(default_factory=list, max_length=50)
    organization: list[Ref] = Field(default_factory=list, max_length=50)
    guest: bool | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=50, description="Any of them")


class SlaPolicyCreateRequest(RequestBody):
    name: Name
    position: int | None = Field(
        default=None, ge=0, le=10_000, description="Order: the first matching policy applies"
    )
    conditions: SlaConditions = Field(default_factory=SlaConditions)
    targets: dict[Priority, SlaTargets] = Field(min_length=1)
    warning_minutes: WarningMinutes = 30


class SlaPolicyUpdateRequest(RequestBody):
    name: Name | None = None
    position: int | None = Field(default=None, ge=0, le=10_000)
    conditions: SlaConditions | None = None
    targets: dict[Priority, SlaTargets] | None = Field(default=None, min_length=1)
    warning_minutes: WarningMinutes | None = None


class SlaPolicy(BaseModel):
    id: str
    name: str
    position: int
    conditions: SlaConditions
    targets: dict[Priority, SlaTargets]
    warning_minutes: int = 0
    created_at: str
    updated_at: str
    updated_by: str


class SlaPolicyList(BaseModel):
    policies: list[SlaPolicy] = Field(description="In order: the first that matches applies")


class SlaShare(BaseModel):
    """How many tickets' metric met its target, among those decided (met or missed)."""

    met: int
    missed: int
    open: int = Field(description="Running, not yet due: not counted in the share")
    share: float | None = Field(description="met / (met + missed); null when none is decided")


class SlaReportGroup(BaseModel):
    key: str = Field(description="The priority, or the assignee's user id (`unassigned`)")
    first_reply: SlaShare
    next_reply: SlaShare
    resolution: SlaShare


class SlaReport(BaseModel):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    tickets: int = Field(description="Tickets created in [from, to) with an SLA target")
    truncated: bool = Field(description="More tickets were created than a report reads")
    overall: SlaReportGroup
    by_priority: list[SlaReportGroup]
    by_agent: list[SlaReportGroup]

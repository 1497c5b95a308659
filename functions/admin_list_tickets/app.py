"""GET /admin/tickets: the staff queue (filters, sorts, cursor, total)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Query

from helpdesk import desk
from helpdesk.domain import Priority
from helpdesk.errors import (
    ForbiddenError,
    InvalidCursorError,
    ViewNotFoundError,
    ViewWithFiltersError,
)
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.staff import StaffTicketList
from helpdesk.models.tickets import parse_statuses

app = make_resolver()
Text = Annotated[str | None, Query(max_length=254)]


@app.get(
    "/admin/tickets",
    summary="The staff queue",
    tags=["staff"],
    responses=problem_responses(
        ForbiddenError, InvalidCursorError, ViewNotFoundError, ViewWithFiltersError
    ),
)
def admin_list_tickets(
    status: Annotated[
        str | None, Query(description="One or more statuses, comma-separated")
    ] = None,
    priority: Annotated[Priority | None, Query()] = None,
    category_id: Text = None,
    sub_category_id: Text = None,
    department_id: Text = None,
    assignee: Annotated[
        str | None, Query(max_length=64, description="user id, me, or none")
    ] = None,
    requester: Annotated[str | None, Query(max_length=254, description="user id or email")] = None,
    organization_id: Text = None,
    tag: Text = None,
    number: Annotated[int | None, Query(ge=1)] = None,
    unread: Annotated[bool, Query(description="Customer messages no agent has read")] = False,
    updated_since: Annotated[str | None, Query(max_length=40, description="ISO time")] = None,
    external_ref: Annotated[
        str | None, Query(max_length=170, description="<name>:<value>, e.g. jira:OPS-123")
    ] = None,
    deleted: Annotated[bool, Query(description="Soft-deleted tickets (admin restore)")] = False,
    guest: Annotated[
        bool | None, Query(description="Guest requesters' tickets only (true), or none (false)")
    ] = None,
    view: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="A saved view's id: its page (with limit and cursor only)",
        ),
    ] = None,
    sla: Annotated[
        str | None,
        Query(
            pattern=r"^(breached|due_within:\d{1,6})$",
            description="Service levels: breached, or due_within:<minutes> (soonest due first)",
        ),
    ] = None,
    sort: Annotated[
        Literal["activity", "created", "updated", "due"],
        Query(description="due: the nearest SLA due time first (only tickets with one)"),
    ] = "activity",
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
    limit: Annotated[int, Query(ge=1, le=500, description="Staff: up to 500")] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> StaffTicketList:
    filters = desk.QueueFilters(
        statuses=parse_statuses(status),
        priority=priority,
        category_id=category_id,
        sub_category_id=sub_category_id,
        department_id=department_id,
        assignee=assignee,
        requester=requester,
        organization_id=organization_id,
        tag=tag,
        number=number,
        unread=unread,
        updated_since=updated_since,
        deleted=deleted,
        external_ref=external_ref,
        guest=guest,
        view=view,
    )
    if sla is not None or sort == "due":
        return desk.sla_queue(current_principal(app), filters, sla=sla, limit=limit, cursor=cursor)
    return desk.queue(
        current_principal(app), filters, limit=limit, cursor=cursor, sort=sort, order=order
    )


lambda_handler = entrypoint(app)

"""Staff pages: the queue (combinable filters, the saved views in a sidebar), a new ticket for a customer, and the staff
thread (notes, fields, history). `desk`, `catalog` and the staff models are imported when a
page first runs: a customer's cold start skips them (tests/unit/test_import_cost.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from console.base import checked, go, page, refusal
from helpdesk.domain import Channel, Priority, Status
from helpdesk.errors import HelpdeskError, ValidationFailedError

# the queue's text filters and their longest value, as GET /admin/tickets takes them
TEXT_FILTERS = {
    "assignee": 64,  # me, none or a user id
    "department_id": 254,
    "category_id": 254,
    "tag": 254,
    "requester": 254,  # user id or e-mail
    "organization_id": 254,
    "external_ref": 170,  # <name>:<value>
}
SORTS = ("activity", "created", "updated", "due")
# the service-level filter's choices (desk.SLA_FILTER takes any `due_within:<minutes>`)
SLA_CHOICES = ("breached", "due_within:60", "due_within:240", "due_within:1440")
ORDERS = ("desc", "asc")
PAGE = 25


class QueueQuery:
    """The queue page's query string: the filters (any combination, as the API takes them),
    the sort and the cursor, and the same query again for the next page's link."""

    def __init__(self, request: Request) -> None:
        params = request.query_params
        self.values = {
            name: value
            for name in (
                *TEXT_FILTERS,
                *("priority", "number", "guest", "view", "sla", "sort", "order"),
            )
            if (value := params.get(name, "").strip())
        }
        # repeated (checkboxes) or comma-separated (as the API): one list of statuses
        self.statuses = [
            s.strip() for raw in params.getlist("status") for s in raw.split(",") if s.strip()
        ]
        self.unread = params.get("unread") in ("1", "true", "on")
        self.cursor = params.get("cursor") or None

    def keep(self) -> str:
        """The filters and sort as a query string (without the cursor): the next page's."""
        pairs = [("status", s) for s in self.statuses] + list(self.values.items())
        return urlencode(pairs + ([("unread", "1")] if self.unread else []))

    @property
    def filtered(self) -> bool:
        return bool(self.statuses or self.unread or set(self.values) - {"sort", "order"})

    def filters(self) -> Any:
        """`desk.QueueFilters`; a value the API's parameters would refuse is a 422."""
        from helpdesk import desk

        v = self.values
        for name, longest in TEXT_FILTERS.items():
            if len(v.get(name, "")) > longest:
                raise ValidationFailedError(f"{name}: at most {longest} characters")
        statuses = []
        for s in self.statuses:
            if s not in {x.value for x in Status}:
                allowed = ", ".join(x.value for x in Status)
                raise ValidationFailedError(f"status must be one or more of: {allowed}")
            statuses.append(Status(s))
        if "priority" in v and v["priority"] not in {x.value for x in Priority}:
            raise ValidationFailedError("priority: not a known value")
        number = v.get("number")
        if number is not None and not (number.isdigit() and int(number) >= 1):
            raise ValidationFailedError("number: a ticket number (1 or more)")
        if v.get("sort", "activity") not in SORTS:
            raise ValidationFailedError(f"sort: one of {', '.join(SORTS)}")
        if v.get("order", "desc") not in ORDERS:
            raise ValidationFailedError("order: asc or desc")
        if v.get("guest", "true") not in ("true", "false"):
            raise ValidationFailedError("guest: true or false")
        if len(v.get("view", "")) > 64:
            raise ValidationFailedError("view: at most 64 characters")
        if v.get("sla", SLA_CHOICES[0]) not in SLA_CHOICES:
            raise ValidationFailedError(f"sla: one of {', '.join(SLA_CHOICES)}")
        return desk.QueueFilters(
            statuses=tuple(statuses),
            priority=v.get("priority"),
            category_id=v.get("category_id"),
            department_id=v.get("department_id"),
            assignee=v.get("assignee"),
            requester=v.get("requester"),
            organization_id=v.get("organization_id"),
            tag=v.get("tag"),
            number=int(number) if number else None,
            unread=self.unread,
            external_ref=v.get("external_ref"),
            guest=None if "guest" not in v else v["guest"] == "true",
            view=v.get("view"),
        )


async def queue(request: Request) -> Response:
    from helpdesk import catalog, desk, views

    p, _ = await checked(request)
    p.require_staff()  # a customer gets the 403 page, not a queue form
    q = QueueQuery(request)
    result, error, status = None, None, 200
    try:
        filters, sort = q.filters(), q.values.get("sort", "activity")
        if "sla" in q.values or sort == "due":  # the due list, soonest first (issue 23)
            result = desk.sla_queue(
                p, filters, sla=q.values.get("sla"), limit=PAGE, cursor=q.cursor
            )
        else:
            result = desk.queue(
                p,
                filters,
                limit=PAGE,
                cursor=q.cursor,
                sort=sort,  # type: ignore[arg-type]
                order=q.values.get("order", "desc"),  # type: ignore[arg-type]
            )
    except (HelpdeskError, ValidationError) as exc:
        if isinstance(exc, HelpdeskError) and exc.status >= 500:
            raise  # ours, not the filters': the logged 500 page
        # a combination the layer refuses: its message above the form the agent can fix
        code, status, title, detail = refusal(exc)
        error = {"code": code, "title": title, "detail": detail}
    # the saved views with their counts (one Query, one BatchGetItem), linking to ?view=
    sidebar = views.sidebar(p)
    return page(
        request,
        "queue.html",
        status,
        sidebar=sidebar,
        view=next((v for v, _ in sidebar if v.id == q.values.get("view")), None),
        result=result,
        error=error,
        q=q.values,
        checked_statuses=set(q.statuses),
        unread=q.unread,
        filtered=q.filtered,
        keep=q.keep(),
        statuses=list(Status),
        priorities=list(Priority),
        departments=catalog.active_departments().items,
        categories=catalog.active_categories().items,
    )


def _split(value: str) -> list[str]:
    return [x.strip() for x in value.replace(";", ",").split(",") if x.strip()]


def _intake(form: dict[str, str]) -> dict[str, Any]:
    """The new-ticket form's fields as a StaffCreateTicketRequest's body (as the API's)."""
    body: dict[str, Any] = {
        "subject": form.get("subject", ""),
        "message": form.get("message", ""),
        "channel": form.get("channel") or Channel.PHONE.value,
        "priority": form.get("priority") or Priority.NORMAL.value,
        "tags": _split(form.get("tags", "")),
        "cc": _split(form.get("cc", "")),
    }
    for name in ("category_id", "department_id", "assignee_id", "requester_id"):
        if value := form.get(name, "").strip():
            body[name] = value
    email, name = form.get("requester_email", "").strip(), form.get("requester_name", "").strip()
    if email or name:
        body["requester"] = {"email": email, "name": name}
    return body


async def new_for_customer(request: Request) -> Response:
    """A ticket opened on a customer's behalf (`desk.create_for`, as POST /admin/tickets)."""
    from helpdesk import catalog, desk
    from helpdesk.models.staff import StaffCreateTicketRequest

    p, form = await checked(request)
    p.require_staff()
    error, status = None, 200
    if request.method == "POST":
        try:
            req = StaffCreateTicketRequest.model_validate(_intake(form))
            created = desk.create_for(p, req)
        except (HelpdeskError, ValidationError) as exc:
            if isinstance(exc, HelpdeskError) and exc.status >= 500:
                raise
            code, status, title, detail = refusal(exc)
            error = {"code": code, "title": title, "detail": detail}
        else:
            return go(f"/app/queue/{created.id}")
    return page(
        request,
        "staff_new_ticket.html",
        status,
        form=form,
        error=error,
        channels=list(Channel),
        priorities=list(Priority),
        categories=catalog.active_categories().items,
        departments=catalog.active_departments().items,
    )


def _changes(form: dict[str, str]) -> dict[str, Any]:
    """The staff ticket form's fields as a StaffUpdateRequest's ("-": leave it)."""
    fields: dict[str, Any] = {
        k: form[k] or None
        for k in ("status", "priority", "category_id", "department_id", "assignee_id")
        if k in form and form[k] != "-"
    }
    fields = {k: v for k, v in fields.items() if v is not None or k == "assignee_id"}
    if "tags" in form:
        fields["tags"] = [t.strip() for t in form["tags"].split(",") if t.strip()]
    if "locked" in form:
        fields["locked"] = form["locked"] == "true"
    return fields


async def staff_ticket(request: Request) -> Response:
    from helpdesk import catalog, desk
    from helpdesk.models.staff import StaffReplyRequest, StaffUpdateRequest

    p, form = await checked(request)
    tid = request.path_params["ticket_id"]
    if request.method == "POST":
        action = form.get("action")
        if action in ("reply", "note"):
            desk.reply(
                p,
                tid,
                StaffReplyRequest(
                    message=form.get("message", ""),
                    internal=action == "note",
                    next_status=form.get("next_status") or None,
                ),
            )
        elif action == "update":
            change = StaffUpdateRequest.model_validate(_changes(form))
            desk.update(p, tid, change, form.get("etag"))
        return go(f"/app/queue/{tid}")
    shown = desk.get_ticket(p, tid)
    history = desk.events(p, tid, limit=50, cursor=None)
    return page(
        request,
        "staff_ticket.html",
        t=shown,
        events=history.items,
        statuses=list(Status),
        categories=catalog.active_categories().items,
        departments=catalog.active_departments().items,
    )

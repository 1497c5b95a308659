"""Staff pages: the queue and the staff thread (notes, fields, history). `desk`, `catalog`
and the staff models are imported when a page first runs: a customer's cold start skips
them (tests/unit/test_import_cost.py)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from console.base import checked, choice, go, page, pick
from helpdesk.domain import Status


async def queue(request: Request) -> Response:
    from helpdesk import catalog, desk

    p, _ = await checked(request)
    q = pick(request, "status", "priority", "assignee", "department_id", "tag")
    f = desk.QueueFilters(
        statuses=(choice(Status, "status", q["status"]),) if "status" in q else (),
        priority=q.get("priority"),
        assignee=q.get("assignee"),
        department_id=q.get("department_id"),
        tag=q.get("tag"),
    )
    result = desk.queue(p, f, limit=25, cursor=request.query_params.get("cursor") or None)
    return page(
        request,
        "queue.html",
        result=result,
        q=q,
        statuses=list(Status),
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

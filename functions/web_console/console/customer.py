"""A customer's pages: my tickets, a new ticket, the thread; uploads and downloads (these two
for anyone signed in). The same layer calls as the API's customer routes."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from console.base import checked, choice, go, ids, page, problem_page
from helpdesk import attachments, tickets
from helpdesk.domain import Status
from helpdesk.errors import AttachmentNotFoundError
from helpdesk.ids import ID_MAX_LENGTH, ID_PATTERN
from helpdesk.models.attachments import CreateAttachmentRequest
from helpdesk.models.tickets import CreateTicketRequest, RatingRequest, ReplyRequest

# the API's id rule: anything else is no file (a 404 page, never a store error)
ID = re.compile(ID_PATTERN)
SCOPES = ("mine", "organization")  # GET /tickets?scope=


async def my_tickets(request: Request) -> Response:
    p, _ = await checked(request)
    status = request.query_params.get("status") or None
    scope = request.query_params.get("scope") or "mine"
    if scope not in SCOPES:
        return problem_page(
            request, "VALIDATION_FAILED", 422, "Validation failed", "scope: mine or organization"
        )
    # the layer refuses the organization view (403) to anyone but an org manager, as the API
    filters = tickets.ListFilters(
        statuses=(choice(Status, "status", status),) if status else (),
        organization=scope == "organization",
    )
    result = tickets.list_tickets(
        p, filters, limit=20, cursor=request.query_params.get("cursor") or None
    )
    return page(
        request,
        "tickets.html",
        result=result,
        status=status or "",
        scope=scope,
        statuses=list(Status),
    )


async def new_ticket(request: Request) -> Response:
    from helpdesk import catalog  # pages that list categories or departments import it

    p, form = await checked(request)
    cats = catalog.active_categories().items
    if request.method == "GET":
        return page(request, "new_ticket.html", categories=cats, form={})
    req = CreateTicketRequest(
        subject=form.get("subject", ""),
        message=form.get("message", ""),
        category_id=form.get("category_id") or None,
        priority=form.get("priority") or "normal",
        attachment_ids=ids(form.get("attachment_ids", "")),
    )
    ticket = tickets.create_ticket(p, req)
    return go(f"/app/tickets/{ticket.id}")


async def ticket(request: Request) -> Response:
    p, form = await checked(request)
    tid = request.path_params["ticket_id"]
    if p.is_staff:
        return go(f"/app/queue/{tid}")
    if request.method == "POST":
        action = form.get("action")
        if action == "reply":
            tickets.reply(
                p,
                tid,
                ReplyRequest(
                    message=form.get("message", ""),
                    attachment_ids=ids(form.get("attachment_ids", "")),
                ),
            )
        elif action == "close":
            tickets.close(p, tid)
        elif action == "reopen":
            tickets.reopen(p, tid)
        elif action == "rate":
            tickets.rate(
                p,
                tid,
                RatingRequest(rating=form.get("rating", "0"), comment=form.get("comment") or None),
            )
        return go(f"/app/tickets/{tid}")
    shown = tickets.get_ticket(p, tid)
    tickets.mark_read(p, tid)
    return page(request, "ticket.html", t=shown)


async def upload(request: Request) -> Response:
    """JSON for app.js: a presigned POST the browser sends the file to, straight to S3."""
    p, form = await checked(request)
    req = CreateAttachmentRequest(
        file_name=form.get("file_name", ""),
        content_type=form.get("content_type", ""),
        size=form.get("size", "0"),
    )
    return JSONResponse(attachments.request_upload(p, req).model_dump(mode="json"), 201)


async def download(request: Request) -> Response:
    # the layer call GET /attachments/{id} makes: its visibility rule, its presigned URL
    p, _ = await checked(request)
    attachment_id = request.path_params["attachment_id"]
    if len(attachment_id) > ID_MAX_LENGTH or not ID.fullmatch(attachment_id):
        raise AttachmentNotFoundError()
    return RedirectResponse(attachments.describe(p, attachment_id).download_url, 303)

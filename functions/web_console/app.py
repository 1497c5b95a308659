"""GET /app, ANY /app/{proxy+}: the web console (Starlette + Jinja2 behind mangum).

Pages call the same layer services as the API functions, so every rule is the same code.
The module imports what the customer pages use; the staff, admin and new-ticket pages import
`desk`, `catalog` and their request models when they first run (a customer's cold start
skips them: docs/benchmarks.md, tests/unit/test_import_cost.py).
"""

from __future__ import annotations

import helpdesk.coldstart  # first: no garbage collection while importing

# isort: split

import hmac
import logging
import os
import re
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from mangum import Mangum
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from helpdesk import attachments, hosted_ui, tickets
from helpdesk import websession as session
from helpdesk.domain import Status
from helpdesk.errors import AttachmentNotFoundError, HelpdeskError
from helpdesk.ids import ID_MAX_LENGTH, ID_PATTERN
from helpdesk.models.attachments import CreateAttachmentRequest
from helpdesk.models.tickets import CreateTicketRequest, RatingRequest, ReplyRequest
from helpdesk.principal import Principal, Role
from helpdesk.settings import console_settings

log = logging.getLogger("web_console")
HERE = Path(__file__).resolve().parent
UPLOAD_ORIGIN = os.environ.get("AWS_ENDPOINT_URL", "https://*.amazonaws.com")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    f"connect-src 'self' {UPLOAD_ORIGIN}; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

# autoescape everywhere (not only *.html): every value a user typed renders as text
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, auto_reload=False
    )
)
Handler = Callable[[Request], Awaitable[Response]]
# the API's id rule: anything else is no file (a 404 page, never a store error)
ID = re.compile(ID_PATTERN)
SCOPES = ("mine", "organization")  # GET /tickets?scope=


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Handler) -> Response:
        try:
            response = await call_next(request)
        except Exception as exc:  # noqa: BLE001 - a page, never a stack trace or a blank screen
            response = await on_error(request, exc)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith("/app/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


class LongCacheStatic(StaticFiles):
    async def get_response(self, path: str, scope: Any) -> Response:
        response = await super().get_response(path, scope)
        # file names carry no hash, so the ?v= query in base.html changes on each release
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def go(path: str) -> Response:
    return RedirectResponse(console_settings().base_path + path, 303)


def current(request: Request) -> dict[str, Any] | None:
    secret = console_settings().secret
    return session.read(secret, request.cookies.get(session.COOKIE)) if secret else None


def page(request: Request, name: str, http_status: int = 200, **ctx: Any) -> Response:
    data = current(request)
    p = session.principal(data) if data else None
    ctx |= {
        "me": p,
        "csrf": data["csrf"] if data else "",
        "dev_signin": console_settings().dev_signin,
        "base": console_settings().base_path,
    }
    return templates.TemplateResponse(request, name, ctx, status_code=http_status)


def problem_page(request: Request, code: str, status: int, title: str, detail: str) -> Response:
    return page(request, "error.html", status, code=code, title=title, detail=detail)


async def checked(request: Request) -> tuple[Principal, dict[str, str]]:
    """The signed-in principal and the posted form, with the CSRF token verified."""
    data = current(request)
    if data is None:
        raise SignInRequired()
    form = {k: str(v) for k, v in (await request.form()).multi_items() if isinstance(v, str)}
    if request.method == "POST":
        sent = form.get("csrf") or request.headers.get("x-csrf-token", "")
        if not hmac.compare_digest(sent, str(data["csrf"])):
            raise CsrfRefused()
    return session.principal(data), form


class SignInRequired(Exception):
    pass


class CsrfRefused(HelpdeskError):
    code, status, title = "CSRF_TOKEN_INVALID", 403, "The form expired or was not sent by this site"


def ids(form_value: str) -> list[str]:
    return [i for i in form_value.split(",") if i.strip()]


def pick(request: Request, *names: str) -> dict[str, str]:
    return {n: v for n in names if (v := request.query_params.get(n, "").strip())}


# ------------------------------------------------------------------ sign-in


async def home(request: Request) -> Response:
    data = current(request)
    if data is None:
        return go("/app/signin")
    p = session.principal(data)
    return go("/app/queue" if p.is_staff else "/app/tickets")


def with_session(response: Response, p: Principal) -> Response:
    cfg = console_settings()
    response.set_cookie(
        session.COOKIE,
        session.issue(cfg.secret, p),
        max_age=session.MAX_AGE,
        path=console_settings().base_path + "/app",
        httponly=True,
        secure=not cfg.dev_signin,  # the local runner is plain http on 127.0.0.1
        samesite="lax",
    )
    return response


async def signin(request: Request) -> Response:
    cfg = console_settings()
    if not cfg.dev_signin:
        if not (cfg.console_auth_domain and cfg.audience and cfg.secret):
            return problem_page(
                request, "SIGNIN_UNAVAILABLE", 501, "Sign-in", "Sign-in is not configured."
            )
        url, cookie = hosted_ui.start(cfg, callback_url(request))
        response = RedirectResponse(url, 303)
        response.set_cookie(
            hosted_ui.COOKIE,
            cookie,
            max_age=600,
            path=console_settings().base_path + "/app",
            httponly=True,
            secure=True,
        )
        return response
    if request.method == "GET":
        return page(request, "signin.html")
    form = await request.form()
    user = str(form.get("user", "")).strip()
    role = str(form.get("role", "customer"))
    if not user or not user.isalnum() or role not in Role.__members__.values():
        return page(request, "signin.html", 400, error="Pick a user name (letters and digits).")
    org = str(form.get("org", "")).strip() or None
    p = Principal(
        user_id=user,
        name=user.capitalize(),
        email=f"{user}@example.com",
        roles=frozenset({Role(role)}),
        org_id=org,
    )
    return with_session(go("/app"), p)


def callback_url(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{console_settings().base_path}/app/callback"


async def callback(request: Request) -> Response:
    """The hosted UI's redirect: check state, exchange the code (PKCE), verify the ID token."""
    cfg = console_settings()
    try:
        p = hosted_ui.finish(
            cfg,
            request.cookies.get(hosted_ui.COOKIE, ""),
            request.query_params.get("state", ""),
            request.query_params.get("code", ""),
            callback_url(request),
        )
    except hosted_ui.SignInFailed as ex:
        return problem_page(request, "SIGNIN_FAILED", 401, "Sign-in failed", str(ex))
    response = with_session(go("/app"), p)
    response.delete_cookie(hosted_ui.COOKIE, path=console_settings().base_path + "/app")
    return response


async def signout(request: Request) -> Response:
    await checked(request)
    response = go("/app/signin")
    response.delete_cookie(session.COOKIE, path=console_settings().base_path + "/app")
    return response


# ------------------------------------------------------------------ customer


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
        statuses=(Status(status),) if status else (), organization=scope == "organization"
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


# ------------------------------------------------------------------ agent


async def queue(request: Request) -> Response:
    from helpdesk import catalog, desk  # staff pages only: customers' cold starts skip the desk

    p, _ = await checked(request)
    q = pick(request, "status", "priority", "assignee", "department_id", "tag")
    f = desk.QueueFilters(
        statuses=(Status(q["status"]),) if "status" in q else (),
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
            desk.update(p, tid, StaffUpdateRequest.model_validate(fields), form.get("etag"))
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


# ------------------------------------------------------------------ admin


async def admin(request: Request) -> Response:
    from helpdesk import catalog
    from helpdesk.models.catalog import (
        CatalogUpdateRequest,
        CategoryCreateRequest,
        DepartmentCreateRequest,
    )

    p, form = await checked(request)
    p.require_admin()
    if request.method == "POST":
        kind, action = form.get("kind"), form.get("action")
        item = form.get("id", "")
        if action == "create":
            if kind == "category":
                catalog.create_category(p, CategoryCreateRequest(name=form.get("name", "")))
            else:
                catalog.create_department(p, DepartmentCreateRequest(name=form.get("name", "")))
        elif action in ("rename", "deactivate", "activate"):
            change = CatalogUpdateRequest(
                name=form.get("name") or None if action == "rename" else None,
                active=None if action == "rename" else action == "activate",
            )
            update = catalog.update_category if kind == "category" else catalog.update_department
            update(p, item, change)
        elif action == "delete":
            (catalog.delete_category if kind == "category" else catalog.delete_department)(p, item)
        return go("/app/admin")
    categories, departments = catalog.all_entries(p)
    return page(request, "admin.html", categories=categories, departments=departments)


# ------------------------------------------------------------------ errors


async def on_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInRequired):
        return go("/app/signin")
    if isinstance(exc, HelpdeskError):
        return problem_page(request, exc.code, exc.status, exc.title, exc.detail)
    if isinstance(exc, ValidationError):
        detail = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        return problem_page(request, "VALIDATION_FAILED", 422, "Validation failed", detail)
    if isinstance(exc, ValueError):
        return problem_page(request, "BAD_REQUEST", 400, "Bad request", str(exc))
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_page(request, "INTERNAL_ERROR", 500, "Internal error", "Please try again.")


async def not_found(request: Request, exc: Exception) -> Response:
    return problem_page(request, "ROUTE_NOT_FOUND", 404, "Not found", "No such page.")


def create_app() -> Starlette:
    methods = ["GET", "POST"]
    return Starlette(
        routes=[
            Route("/app", home),
            Route("/app/signin", signin, methods=methods),
            Route("/app/signout", signout, methods=["POST"]),
            Route("/app/callback", callback),
            Route("/app/tickets", my_tickets),
            Route("/app/tickets/new", new_ticket, methods=methods),
            Route("/app/tickets/{ticket_id}", ticket, methods=methods),
            Route("/app/attachments", upload, methods=["POST"]),
            Route("/app/attachments/{attachment_id}", download),
            Route("/app/queue", queue),
            Route("/app/queue/{ticket_id}", staff_ticket, methods=methods),
            Route("/app/admin", admin, methods=methods),
            Mount("/app/static", LongCacheStatic(directory=HERE / "static"), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            HelpdeskError: on_error,
            ValidationError: on_error,
            ValueError: on_error,
            SignInRequired: on_error,
            404: not_found,
            405: not_found,
        },
    )


app = create_app()


@cache
def _adapter() -> Mangum:
    # settings are read on the first event, not at import; the stage prefix is stripped here
    return Mangum(app, lifespan="off", api_gateway_base_path=console_settings().base_path or "/")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _adapter()(event, context)


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

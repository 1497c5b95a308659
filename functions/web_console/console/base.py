"""What every page shares: templates, the signed-in session, CSRF, headers, error pages."""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import jinja2
import jinja2.runtime
import markupsafe
from aws_lambda_powertools import Logger
from pydantic import ValidationError
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from console.times import time_tag
from helpdesk import clock, signing
from helpdesk import websession as session
from helpdesk.errors import HelpdeskError, ValidationFailedError
from helpdesk.principal import Principal
from helpdesk.settings import console_settings

# the layer's logger: lambda_handler (app.py) puts the request's correlation id on it
logger = Logger(service="helpdesk")
HERE = Path(__file__).resolve().parent.parent
UPLOAD_ORIGIN = os.environ.get("AWS_ENDPOINT_URL", "https://*.amazonaws.com")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    f"connect-src 'self' {UPLOAD_ORIGIN}; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
STATIC = "/app/static/"

# autoescape everywhere (not only *.html): every value a user typed renders as text
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, auto_reload=False
    )
)


@jinja2.pass_context
def ago(ctx: jinja2.runtime.Context, stamp: str | None) -> markupsafe.Markup:
    """`{{ t.created_at|ago }}`: "5 min ago" from the request's now, the exact time on hover."""
    return time_tag(stamp, ctx.get("now") or clock.now())


templates.env.filters["ago"] = ago
Handler = Callable[[Request], Awaitable[Response]]
E = TypeVar("E")


class SignInRequired(Exception):
    pass


class CsrfRefused(HelpdeskError):
    code, status, title = "CSRF_TOKEN_INVALID", 403, "The form expired or was not sent by this site"


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Handler) -> Response:
        try:
            if not request.url.path.startswith(STATIC):
                signing.keys()  # no usable signing key: no page at all (KeyRefused, a 500)
            response = await call_next(request)
        except Exception as exc:  # a page, never a stack trace or a blank screen
            response = await on_error(request, exc)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        if not request.url.path.startswith(STATIC):
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


def cookie_path() -> str:
    return console_settings().base_path + "/app"


def current(request: Request) -> dict[str, Any] | None:
    """The request's verified session, read once per request."""
    if not hasattr(request.state, "session"):
        request.state.session = session.read(request.cookies.get(session.COOKIE))
    data: dict[str, Any] | None = request.state.session
    return data


def signed_in(data: dict[str, Any]) -> Principal:
    """The session's principal; a staff one is checked against the staff directory on every
    request (one GetItem), so a deactivated member's session loses staff roles at once."""
    p = session.principal(data)
    if p.is_staff:
        from helpdesk import staff  # staff sessions only: the customer pages skip it

        p = staff.jwt_principal(p)
    return p


def page(request: Request, name: str, http_status: int = 200, **ctx: Any) -> Response:
    try:
        data = current(request)
    except signing.KeyRefused:
        data = None  # the error page of a console without a key: nobody is signed in
    ctx |= {
        # display only (every page that acts checks `signed_in`): no directory read here,
        # so the error pages render when the table does not answer
        "me": session.principal(data) if data else None,
        "csrf": data["csrf"] if data else "",
        "dev_signin": console_settings().dev_signin,
        "base": console_settings().base_path,
        "now": clock.now(),  # every relative time on the page counts from this one instant
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
    return signed_in(data), form


def ids(form_value: str) -> list[str]:
    return [i for i in form_value.split(",") if i.strip()]


def choice(kind: type[E], field: str, value: str) -> E:
    """`value` as the enum `kind` (a query parameter); anything else is a 422 page."""
    try:
        return kind(value)  # type: ignore[call-arg]
    except ValueError:
        raise ValidationFailedError(f"{field}: not a known value") from None


def refusal(exc: HelpdeskError | ValidationError) -> tuple[str, int, str, str]:
    """A refused input's code, status, title and detail, as the error page shows them (a form
    page shows them above the form it keeps)."""
    if isinstance(exc, ValidationError):
        detail = "; ".join(
            f"{'.'.join(str(x) for x in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        return "VALIDATION_FAILED", 422, "Validation failed", detail
    return exc.code, exc.status, exc.title, exc.detail


async def on_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInRequired):
        return go("/app/signin")
    if isinstance(exc, signing.KeyRefused):
        # the operator reads why in the log; the page says only that it is not configured
        logger.error("console refused: no usable signing key", extra={"reason": exc.detail})
        return problem_page(
            request, exc.code, exc.status, exc.title, "The console is not configured."
        )
    if isinstance(exc, HelpdeskError):
        if exc.status >= 500:
            logger.exception("internal error", extra={"code": exc.code})
        else:
            logger.info("page refused", extra={"code": exc.code, "status": exc.status})
        return problem_page(request, exc.code, exc.status, exc.title, exc.detail)
    if isinstance(exc, ValidationError):
        return problem_page(request, *refusal(exc))
    # our bug (a ValueError included): logged with its trace, a 500 page without it
    logger.exception("unexpected error", extra={"method": request.method, "path": request.url.path})
    return problem_page(request, "INTERNAL_ERROR", 500, "Internal error", "Please try again.")


async def not_found(request: Request, exc: Exception) -> Response:
    return problem_page(request, "ROUTE_NOT_FOUND", 404, "Not found", "No such page.")

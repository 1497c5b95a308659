"""`/app`, sign-in (the local runner's development page, or the Cognito hosted UI with
PKCE), its callback, and sign-out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console.base import checked, cookie_path, current, go, page, problem_page, signed_in
from helpdesk import hosted_ui
from helpdesk import websession as session
from helpdesk.principal import Principal, Role
from helpdesk.settings import console_settings


async def home(request: Request) -> Response:
    data = current(request)
    if data is None:
        return go("/app/signin")
    p = signed_in(data)
    return go("/app/queue" if p.is_staff else "/app/tickets")


def with_session(response: Response, p: Principal) -> Response:
    response.set_cookie(
        session.COOKIE,
        session.issue(p),
        max_age=session.MAX_AGE,
        path=cookie_path(),
        httponly=True,
        secure=not console_settings().dev_signin,  # the local runner is plain http on 127.0.0.1
        samesite="lax",
    )
    return response


async def signin(request: Request) -> Response:
    cfg = console_settings()
    if not cfg.dev_signin:
        if not (cfg.console_auth_domain and cfg.audience):
            return problem_page(
                request, "SIGNIN_UNAVAILABLE", 501, "Sign-in", "Sign-in is not configured."
            )
        url, cookie = hosted_ui.start(cfg, callback_url(request))
        response = RedirectResponse(url, 303)
        response.set_cookie(
            hosted_ui.COOKIE,
            cookie,
            max_age=hosted_ui.MAX_AGE,
            path=cookie_path(),
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
    return f"{request.url.scheme}://{request.url.netloc}{cookie_path()}/callback"


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
    response.delete_cookie(hosted_ui.COOKIE, path=cookie_path())
    return response


async def signout(request: Request) -> Response:
    await checked(request)
    response = go("/app/signin")
    response.delete_cookie(session.COOKIE, path=cookie_path())
    return response

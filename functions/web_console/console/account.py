"""The Settings page (anyone signed in): the caller's e-mail notifications, the layer calls
of `GET/PUT /me/notifications` (`helpdesk.mailprefs`). A customer sees the kinds of mail
requesters get; staff see those and the staff kinds. The layer modules it needs are
imported on the page's first run (a customer's cold start skips them)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from console.base import checked, go, page


async def settings(request: Request) -> Response:
    from helpdesk import mailprefs
    from helpdesk.models.notifications import UpdateNotificationPreferences
    from helpdesk.notify_kinds import CUSTOMER_KINDS, KINDS, LABELS

    p, form = await checked(request)
    shown = KINDS if p.is_staff else CUSTOMER_KINDS
    if request.method == "POST":
        # a checkbox left unticked is not posted: every kind shown is set, on or off
        wanted = {kind: form.get(f"kind_{kind}") == "on" for kind in shown}
        mailprefs.update(p, UpdateNotificationPreferences.model_validate({"kinds": wanted}))
        return go("/app/settings?saved=1")
    prefs = mailprefs.get(p)
    on = {str(kind): wanted for kind, wanted in prefs.kinds.items()}
    kinds = [(kind, LABELS[kind], on.get(kind, True)) for kind in shown]
    return page(
        request,
        "settings.html",
        email=prefs.email,
        kinds=kinds,
        saved=request.query_params.get("saved") == "1",
    )

"""The admin's webhooks page: every subscription with its state and last deliveries; create
(the secret shown once, on the answer to the create), enable / disable, ping, redeliver
(the layer's `webhooks` calls of the /admin/webhooks routes)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from console.base import checked, go, page

LAST_DELIVERIES = 5


async def webhooks_page(request: Request) -> Response:
    from helpdesk import webhooks
    from helpdesk.models.webhooks import WebhookCreateRequest, WebhookUpdateRequest

    p, form = await checked(request)
    p.require_admin()
    created = None
    if request.method == "POST":
        action, hook = form.get("action"), form.get("id", "")
        if action == "create":
            events = [e.strip() for e in form.get("events", "*").split(",") if e.strip()]
            body = WebhookCreateRequest(
                url=form.get("url", ""), events=events, description=form.get("description", "")
            )
            created = webhooks.create(p, body)  # shown below, this once
        elif action in ("enable", "disable"):
            webhooks.update(p, hook, WebhookUpdateRequest(enabled=action == "enable"))
        elif action == "ping":
            webhooks.ping(p, hook)
        elif action == "redeliver":
            webhooks.redeliver(p, hook, form.get("delivery_id", ""))
        if created is None:
            return go("/app/webhooks")
    subs = webhooks.list_all(p).items
    recent = {
        s.id: webhooks.deliveries(p, s.id, limit=LAST_DELIVERIES, cursor=None).items for s in subs
    }
    return page(request, "webhooks.html", subs=subs, recent=recent, created=created)

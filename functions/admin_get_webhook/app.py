"""GET /admin/webhooks/{webhook_id}: one subscription and its state (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import webhooks
from helpdesk.errors import ForbiddenError, WebhookNotFoundError
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.models.webhooks import Webhook

app = make_resolver()


@app.get(
    "/admin/webhooks/<webhook_id>",
    summary="Get a webhook subscription",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, WebhookNotFoundError),
)
def admin_get_webhook(webhook_id: ResourceId) -> Webhook:
    return webhooks.get(current_principal(app), webhook_id)


lambda_handler = entrypoint(app)

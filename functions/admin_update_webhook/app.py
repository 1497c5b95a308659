"""PATCH /admin/webhooks/{webhook_id}: change the url, events or description; enable or disable (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import webhooks
from helpdesk.errors import (
    ForbiddenError,
    WebhookEventUnknownError,
    WebhookNotFoundError,
    WebhookUrlNotAllowedError,
)
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.models.webhooks import Webhook, WebhookUpdateRequest

app = make_resolver()


@app.patch(
    "/admin/webhooks/<webhook_id>",
    summary="Update, enable or disable a webhook subscription",
    tags=["admin"],
    responses=problem_responses(
        ForbiddenError, WebhookNotFoundError, WebhookUrlNotAllowedError, WebhookEventUnknownError
    ),
)
def admin_update_webhook(webhook_id: ResourceId, body: WebhookUpdateRequest) -> Webhook:
    return webhooks.update(current_principal(app), webhook_id, body)


lambda_handler = entrypoint(app)

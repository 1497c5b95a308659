"""POST /admin/webhooks/{webhook_id}/rotate-secret: a new signing secret (shown once); the old one also signs for 24 h (admin)."""

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
from helpdesk.models.webhooks import WebhookWithSecret

app = make_resolver()


@app.post(
    "/admin/webhooks/<webhook_id>/rotate-secret",
    summary="Rotate a webhook's signing secret",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, WebhookNotFoundError),
)
def admin_rotate_webhook_secret(webhook_id: ResourceId) -> WebhookWithSecret:
    return webhooks.rotate_secret(current_principal(app), webhook_id)


lambda_handler = entrypoint(app)

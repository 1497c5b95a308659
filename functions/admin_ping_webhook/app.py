"""POST /admin/webhooks/{webhook_id}/ping: queue a webhook.ping delivery (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import webhooks
from helpdesk.errors import ForbiddenError, WebhookDisabledError, WebhookNotFoundError
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.webhooks import PingResult

app = make_resolver()


@app.post(
    "/admin/webhooks/<webhook_id>/ping",
    summary="Send a webhook.ping",
    tags=["admin"],
    status_code=202,
    responses=problem_responses(
        ForbiddenError, WebhookNotFoundError, WebhookDisabledError, success=202
    ),
)
def admin_ping_webhook(webhook_id: ResourceId) -> Response[PingResult]:
    return json_response(webhooks.ping(current_principal(app), webhook_id), status=202)


lambda_handler = entrypoint(app)

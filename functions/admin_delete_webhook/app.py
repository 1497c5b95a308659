"""DELETE /admin/webhooks/{webhook_id}: unsubscribe (its queued deliveries are cancelled) (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import webhooks
from helpdesk.errors import ForbiddenError, WebhookNotFoundError
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)

app = make_resolver()


@app.delete(
    "/admin/webhooks/<webhook_id>",
    summary="Delete a webhook subscription",
    tags=["admin"],
    responses={
        **problem_responses(ForbiddenError, WebhookNotFoundError, success=204),
        204: {"description": "Deleted"},
    },
)
def admin_delete_webhook(webhook_id: ResourceId) -> Response[None]:
    webhooks.delete(current_principal(app), webhook_id)
    return Response(status_code=204, body=None)


lambda_handler = entrypoint(app)

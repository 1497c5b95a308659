"""POST /admin/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver: send a delivery again, same webhook-id (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import webhooks
from helpdesk.errors import (
    ForbiddenError,
    WebhookDeliveryNotFoundError,
    WebhookDisabledError,
    WebhookNotFoundError,
)
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.webhooks import Delivery

app = make_resolver()


@app.post(
    "/admin/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
    summary="Redeliver a delivery",
    tags=["admin"],
    status_code=202,
    responses=problem_responses(
        ForbiddenError,
        WebhookNotFoundError,
        WebhookDeliveryNotFoundError,
        WebhookDisabledError,
        success=202,
    ),
)
def admin_redeliver_webhook(webhook_id: ResourceId, delivery_id: ResourceId) -> Response[Delivery]:
    return json_response(
        webhooks.redeliver(current_principal(app), webhook_id, delivery_id), status=202
    )


lambda_handler = entrypoint(app)

"""GET /admin/webhooks/{webhook_id}/deliveries: the delivery log, newest first (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from helpdesk import webhooks
from helpdesk.errors import ForbiddenError, InvalidCursorError, WebhookNotFoundError
from helpdesk.http import (
    ResourceId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)
from helpdesk.models.webhooks import DeliveryPage

app = make_resolver()


@app.get(
    "/admin/webhooks/<webhook_id>/deliveries",
    summary="A webhook's delivery log",
    tags=["admin"],
    responses=problem_responses(ForbiddenError, WebhookNotFoundError, InvalidCursorError),
)
def admin_list_webhook_deliveries(
    webhook_id: ResourceId,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> DeliveryPage:
    return webhooks.deliveries(current_principal(app), webhook_id, limit=limit, cursor=cursor)


lambda_handler = entrypoint(app)

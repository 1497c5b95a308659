"""POST /admin/webhooks: subscribe a URL to change types; the signing secret is in this answer only (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import webhooks
from helpdesk.errors import (
    ForbiddenError,
    WebhookEventUnknownError,
    WebhookLimitReachedError,
    WebhookUrlNotAllowedError,
)
from helpdesk.http import (
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.webhooks import WebhookCreateRequest, WebhookWithSecret

app = make_resolver()


@app.post(
    "/admin/webhooks",
    summary="Create a webhook subscription (its secret is shown once)",
    tags=["admin"],
    status_code=201,
    responses=problem_responses(
        ForbiddenError,
        WebhookUrlNotAllowedError,
        WebhookEventUnknownError,
        WebhookLimitReachedError,
        success=201,
    ),
)
def admin_create_webhook(body: WebhookCreateRequest) -> Response[WebhookWithSecret]:
    return json_response(webhooks.create(current_principal(app), body), status=201)


lambda_handler = entrypoint(app)

"""GET /admin/webhooks: every webhook subscription and its state (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import webhooks
from helpdesk.errors import ForbiddenError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.webhooks import WebhookList

app = make_resolver()


@app.get(
    "/admin/webhooks",
    summary="List webhook subscriptions",
    tags=["admin"],
    responses=problem_responses(ForbiddenError),
)
def admin_list_webhooks() -> WebhookList:
    return webhooks.list_all(current_principal(app))


lambda_handler = entrypoint(app)

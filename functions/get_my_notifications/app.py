"""GET /me/notifications: which kinds of mail I get."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import mailprefs
from helpdesk.http import current_principal, entrypoint, make_resolver
from helpdesk.models.notifications import NotificationPreferences

app = make_resolver()


@app.get("/me/notifications", summary="My e-mail notification settings", tags=["account"])
def get_my_notifications() -> NotificationPreferences:
    return mailprefs.get(current_principal(app))


lambda_handler = entrypoint(app)

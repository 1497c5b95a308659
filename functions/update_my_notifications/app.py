"""PUT /me/notifications: turn kinds of mail on or off."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import mailprefs
from helpdesk.errors import ValidationFailedError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.notifications import NotificationPreferences, UpdateNotificationPreferences

app = make_resolver()


@app.put(
    "/me/notifications",
    summary="Turn kinds of e-mail notifications on or off",
    tags=["account"],
    responses=problem_responses(ValidationFailedError),
)
def update_my_notifications(body: UpdateNotificationPreferences) -> NotificationPreferences:
    return mailprefs.update(current_principal(app), body)


lambda_handler = entrypoint(app)

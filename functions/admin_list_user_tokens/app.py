"""GET /admin/users/{user_id}/tokens: any user's API tokens, never their secrets (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import tokens
from helpdesk.errors import ForbiddenError
from helpdesk.http import UserId, current_principal, entrypoint, make_resolver, problem_responses
from helpdesk.models.account import OwnedApiTokenList

app = make_resolver()


@app.get(
    "/admin/users/<user_id>/tokens",
    summary="List a user's API tokens (admin)",
    tags=["admin"],
    responses=problem_responses(ForbiddenError),
)
def admin_list_user_tokens(user_id: UserId) -> OwnedApiTokenList:
    return tokens.list_user_tokens(current_principal(app), user_id)


lambda_handler = entrypoint(app)

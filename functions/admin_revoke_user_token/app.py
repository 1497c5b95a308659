"""DELETE /admin/users/{user_id}/tokens/{token_id}: revoke any user's API token (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import tokens
from helpdesk.errors import ApiTokenNotFoundError, ForbiddenError
from helpdesk.http import (
    TokenId,
    UserId,
    current_principal,
    entrypoint,
    make_resolver,
    problem_responses,
)

app = make_resolver()


@app.delete(
    "/admin/users/<user_id>/tokens/<token_id>",
    summary="Revoke a user's API token (admin)",
    tags=["admin"],
    responses={
        **problem_responses(ForbiddenError, ApiTokenNotFoundError, success=204),
        204: {"description": "Revoked"},
    },
)
def admin_revoke_user_token(user_id: UserId, token_id: TokenId) -> Response[None]:
    tokens.revoke_user_token(current_principal(app), user_id, token_id)
    return Response(status_code=204, body=None)


lambda_handler = entrypoint(app)

"""DELETE /me/tokens/{token_id}: revoke one of the caller's API tokens."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import tokens
from helpdesk.errors import ApiTokenNotFoundError
from helpdesk.http import TokenId, current_principal, entrypoint, make_resolver, problem_responses

app = make_resolver()


@app.delete(
    "/me/tokens/<token_id>",
    summary="Revoke an API token",
    tags=["account"],
    responses={
        **problem_responses(ApiTokenNotFoundError, success=204),
        204: {"description": "Revoked"},
    },
)
def revoke_api_token(token_id: TokenId) -> Response[None]:
    tokens.revoke_token(current_principal(app), token_id)
    return Response(status_code=204, body=None)


lambda_handler = entrypoint(app)

"""POST /me/tokens: make a personal API token (its secret is shown once)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from aws_lambda_powertools.event_handler import Response

from helpdesk import tokens
from helpdesk.errors import (
    TokenLifetimeTooLongError,
    TokenLimitReachedError,
    TokenNotAllowedError,
    ValidationFailedError,
)
from helpdesk.http import (
    current_principal,
    entrypoint,
    json_response,
    make_resolver,
    problem_responses,
)
from helpdesk.models.account import CreateApiTokenRequest, CreatedApiTokenResponse

app = make_resolver()


@app.post(
    "/me/tokens",
    summary="Create a personal API token",
    tags=["account"],
    status_code=201,
    responses=problem_responses(
        TokenNotAllowedError,
        TokenLimitReachedError,
        ValidationFailedError,
        TokenLifetimeTooLongError,
        success=201,
    ),
)
def create_api_token(body: CreateApiTokenRequest) -> Response[CreatedApiTokenResponse]:
    created = tokens.create_token(current_principal(app), body)
    return json_response(created, status=201, headers={"Cache-Control": "no-store"})


lambda_handler = entrypoint(app)

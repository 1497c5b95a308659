"""GET /me/tokens: the caller's personal API tokens (prefixes, never secrets)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk import tokens
from helpdesk.http import current_principal, entrypoint, make_resolver
from helpdesk.models.account import ApiTokenList

app = make_resolver()


@app.get("/me/tokens", summary="List my API tokens", tags=["account"])
def list_api_tokens() -> ApiTokenList:
    return tokens.list_tokens(current_principal(app))


lambda_handler = entrypoint(app)

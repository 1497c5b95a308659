"""GET /me: who am I."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from helpdesk.http import current_principal, entrypoint, make_resolver
from helpdesk.models.account import MeResponse

app = make_resolver()


@app.get("/me", summary="Who am I", tags=["account"])
def get_me() -> MeResponse:
    return MeResponse.of(current_principal(app))


lambda_handler = entrypoint(app)

"""DELETE /admin/suppressions/{email}: mail may go to the address again (admin)."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from helpdesk import suppressions
from helpdesk.errors import ForbiddenError, SuppressionNotFoundError
from helpdesk.http import current_principal, entrypoint, make_resolver, problem_responses

app = make_resolver()

Email = Annotated[
    str, Path(min_length=3, max_length=254, description="The suppressed address (any case)")
]


@app.delete(
    "/admin/suppressions/<email>",
    summary="Lift a suppression (here and in SES's account-level list)",
    tags=["admin"],
    responses={
        **problem_responses(ForbiddenError, SuppressionNotFoundError, success=204),
        204: {"description": "Lifted: mail goes to the address again"},
    },
)
def admin_delete_suppression(email: Email) -> Response[None]:
    suppressions.remove(current_principal(app), email)
    return Response(status_code=204, body=None)


lambda_handler = entrypoint(app)

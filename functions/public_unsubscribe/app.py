"""POST /public/unsubscribe/{token}: the one-click unsubscribe link of a mail (RFC 8058),
without signing in; the signed token names the address and the kind of mail."""

import helpdesk.coldstart  # noqa: F401 - first: no garbage collection while importing

# isort: split

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from helpdesk import mailprefs
from helpdesk.errors import UnsubscribeLinkInvalidError
from helpdesk.http import entrypoint, json_response, make_resolver, problem_responses
from helpdesk.models.notifications import Unsubscribed

app = make_resolver()

UnsubscribeToken = Annotated[
    str, Path(min_length=1, max_length=1000, description="The signed token of the mail's link")
]


@app.post(
    "/public/unsubscribe/<token>",
    responses=problem_responses(UnsubscribeLinkInvalidError),
    summary="Stop a kind of mail (one-click unsubscribe)",
    tags=["public"],
)
def public_unsubscribe(token: UnsubscribeToken) -> Response[Unsubscribed]:
    return json_response(mailprefs.unsubscribe(token), headers={"Cache-Control": "no-store"})


lambda_handler = entrypoint(app, public=True, ignore_body=True)

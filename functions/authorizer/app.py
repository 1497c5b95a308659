"""The HTTP API Lambda authorizer (simple responses): bearer JWT -> principal context.

It never answers isAuthorized=false: a refusal would be API Gateway's plain
403, so it passes the reason (auth_error) and the layer answers 401 as
problem+json (503 when the issuer's keys could not be fetched: the token may be
good). Every handler refuses a request without an identity.
"""

import helpdesk.coldstart  # first: no garbage collection while importing

# isort: split

from typing import Any

from aws_lambda_powertools import Logger

from helpdesk import telemetry
from helpdesk.auth import ISSUER_UNAVAILABLE, authorize

logger = Logger(service="helpdesk-authorizer")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        result = authorize(event)
        code = result["context"].get("auth_error")
        if code == ISSUER_UNAVAILABLE:
            logger.error("the issuer's keys could not be fetched")
        elif code:
            logger.info("token refused", extra={"code": code})
        return result
    finally:
        telemetry.flush(context)  # ColdStart


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

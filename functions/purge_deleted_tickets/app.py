"""The table's stream: when DynamoDB TTL removes a soft-deleted ticket, purge the rest of it."""

import helpdesk.coldstart  # first: no garbage collection while importing

# isort: split

from typing import Any

from aws_lambda_powertools import Logger

from helpdesk.housekeeping import purge_from_stream

logger = Logger(service="helpdesk-purge")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    purged = purge_from_stream(event.get("Records", []))
    logger.info("purged deleted tickets", extra=purged)
    return purged


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

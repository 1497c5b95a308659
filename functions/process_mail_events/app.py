"""The mail events queue: SES's bounce and complaint events for the configuration set
(through its SNS topic, delivered raw), one per SQS message.

Each message is handled on its own (Powertools `BatchProcessor`) by
`helpdesk.suppressions.record`: a permanent bounce or a complaint suppresses the address
(exactly once per address). A message that fails (the table unavailable, or not SES's
JSON) is reported in `batchItemFailures`; SQS gives it back after the visibility timeout
and, after 3 receives, it is in the dead-letter queue (alarmed): nothing is dropped.
"""

import helpdesk.coldstart  # first: no garbage collection while importing

# isort: split

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from helpdesk import suppressions, telemetry

logger = Logger(service="helpdesk-mail-events")
processor = BatchProcessor(event_type=EventType.SQS)


def handle(record: SQSRecord) -> str:
    try:
        done = suppressions.record(record.body)
    except suppressions.MailEventUnreadable as ex:
        logger.error(
            "mail event unreadable; left for the dead-letter queue",
            extra={"reason": str(ex), "message_id": record.message_id},
        )
        raise
    logger.info("mail event", extra={"event": done.event, "suppressed": len(done.suppressed)})
    return done.event


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    try:
        return process_partial_response(
            event=event, record_handler=handle, processor=processor, context=context
        )
    finally:
        telemetry.flush(context)  # ColdStart


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

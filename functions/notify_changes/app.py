"""The table stream's change-feed records -> e-mail notifications (docs/design.md, "Mail").

The mapping delivers FEED inserts only (FilterCriteria). Each record is handled on its own
(Powertools `BatchProcessor`): its mails are decided by `helpdesk.notify` and each is sent
exactly once (claimed before SES is called). A record that fails (SES throttling past its
retries, an SES or table error) is reported in `batchItemFailures`; Lambda retries it
(bisecting the batch) within the template's bounds, then sends its position to the notify
failure queue. A retried record re-sends none of the mails its earlier attempt sent.
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
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from helpdesk import telemetry
from helpdesk.notify import Notifier
from helpdesk.store.feed import is_feed_image

logger = Logger(service="helpdesk-notify")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    notifier = Notifier(remaining_ms=context.get_remaining_time_in_millis)

    def notify(record: DynamoDBRecord) -> None:
        image = record.raw_event.get("dynamodb", {}).get("NewImage")
        if record.raw_event.get("eventName") != "INSERT" or not is_feed_image(image):
            return
        try:
            notifier.handle(image)
        except Exception:
            sequence = record.dynamodb.sequence_number if record.dynamodb else None
            logger.exception(
                "notification failed; record reported for retry", extra={"sequence": sequence}
            )
            raise

    try:
        return process_partial_response(
            event=event, record_handler=notify, processor=processor, context=context
        )
    finally:
        telemetry.flush(context)  # ColdStart


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

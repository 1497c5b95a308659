"""The table stream's change-feed inserts and TTL removals: webhooks, mail, purges.

One mapping for every stream consumer but the list index (DynamoDB Streams serves two
readers per shard; docs/design.md, "Table stream"). Each record goes to its owners
(`helpdesk.consumers`) on its own (Powertools `BatchProcessor`): a record that fails is
reported in `batchItemFailures`; Lambda retries from it (bisecting the batch) within the
template's bounds, then sends its position to the change failure queue (docs/design.md,
"Operations"). A retried record queues no delivery, sends no mail and purges nothing twice.
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
from helpdesk.consumers import Consumers

logger = Logger(service="helpdesk-changes")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    consumers = Consumers(remaining_ms=context.get_remaining_time_in_millis)

    def consume(record: DynamoDBRecord) -> dict[str, Any]:
        sequence = record.dynamodb.sequence_number if record.dynamodb else None
        try:
            done = consumers.consume(record.raw_event)
        except Exception:
            key = record.raw_event.get("dynamodb", {}).get("Keys", {})
            logger.exception(
                "record failed; reported for retry",
                extra={
                    "sequence": sequence,
                    "key": [key.get("PK", {}).get("S"), key.get("SK", {}).get("S")],
                },
            )
            raise
        if done.get("tickets"):
            logger.info("purged deleted ticket", extra={**done, "sequence": sequence})
        return done

    try:
        return process_partial_response(
            event=event, record_handler=consume, processor=processor, context=context
        )
    finally:
        telemetry.flush(context)  # ColdStart


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

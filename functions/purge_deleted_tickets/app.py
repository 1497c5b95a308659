"""The table's stream: when DynamoDB TTL removes a soft-deleted ticket, purge the rest of it.

Each record is purged on its own (Powertools `BatchProcessor`): a record that fails is
reported in `batchItemFailures`, the others count as done. Lambda then retries from the
failed record (bisecting the batch) within the template's bounds, and at the end sends
the record's position to the purge failure queue (docs/design.md, "Operations").
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
from helpdesk.housekeeping import purge_from_stream

logger = Logger(service="helpdesk-purge")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def purge(record: DynamoDBRecord) -> dict[str, int]:
    """One stream record: purge its ticket if it is a TTL removal of a deleted one."""
    sequence = record.dynamodb.sequence_number if record.dynamodb else None
    try:
        purged = purge_from_stream([record.raw_event])
    except Exception:
        key = record.raw_event.get("dynamodb", {}).get("Keys", {}).get("PK", {}).get("S")
        logger.exception(
            "purge failed; record reported for retry", extra={"sequence": sequence, "key": key}
        )
        raise
    if purged["tickets"]:
        logger.info("purged deleted ticket", extra={**purged, "sequence": sequence})
    return purged


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    try:
        return process_partial_response(
            event=event, record_handler=purge, processor=processor, context=context
        )
    finally:
        telemetry.flush(context)  # ColdStart


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

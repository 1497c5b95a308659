"""The table's stream: keep every ticket's list entries and counters where its new image belongs.

Each record is applied on its own (Powertools `BatchProcessor`); one that fails is reported
in `batchItemFailures`, and the batch's later records of the same ticket are reported too
without being tried, so Lambda retries them in order (bisecting the batch) within the
template's bounds, then sends the position to the index failure queue (docs/design.md,
"Operations"). Applying a record twice, or an old one after a newer, changes nothing.
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
from helpdesk.listindex import Indexer

logger = Logger(service="helpdesk-index")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    indexer = Indexer()

    def index(record: DynamoDBRecord) -> None:
        sequence = record.dynamodb.sequence_number if record.dynamodb else None
        try:
            indexer.index(record.raw_event)
        except Exception:
            key = record.raw_event.get("dynamodb", {}).get("Keys", {}).get("PK", {}).get("S")
            logger.exception(
                "indexing failed; record reported for retry",
                extra={"sequence": sequence, "key": key},
            )
            raise

    try:
        return process_partial_response(
            event=event, record_handler=index, processor=processor, context=context
        )
    finally:
        telemetry.flush(context)  # ColdStart


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

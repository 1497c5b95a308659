"""The table's stream, change-feed inserts only: one delivery per matching webhook and item.

Each record is dispatched on its own (Powertools `BatchProcessor`); a failed one is
reported in `batchItemFailures` and retried within the template's bounds, then its position
goes to the dispatch failure queue (docs/design.md, "Operations"). Dispatching a record
twice creates no delivery twice (a conditional put per subscription and item).
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
from helpdesk.webhooks import Dispatcher

logger = Logger(service="helpdesk-webhooks")
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    dispatcher = Dispatcher()

    def dispatch(record: DynamoDBRecord) -> None:
        change = record.raw_event.get("dynamodb") or {}
        try:
            dispatcher.dispatch(change.get("NewImage"))
        except Exception:
            logger.exception(
                "dispatch failed; record reported for retry",
                extra={"key": change.get("Keys", {}).get("SK", {}).get("S")},
            )
            raise

    try:
        return process_partial_response(
            event=event, record_handler=dispatch, processor=processor, context=context
        )
    finally:
        telemetry.flush(context)  # ColdStart


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

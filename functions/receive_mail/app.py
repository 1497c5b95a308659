"""The inbound mail queue: each message is S3's notice of one mail SES stored (inbound/).

Each SQS message is handled on its own (Powertools `BatchProcessor`): its stored mails go
through `helpdesk.inbound.receive` (parse, drop or route, exactly once per Message-ID). A
message that fails (the table or S3 unavailable) is reported in `batchItemFailures`; SQS
gives it back after the visibility timeout and, after 5 receives, it is in the dead-letter
queue (alarmed). Malformed mail never fails: it is dropped with a reason, in the log.
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

from helpdesk import inbound, telemetry

logger = Logger(service="helpdesk-inbound")
processor = BatchProcessor(event_type=EventType.SQS)


def receive(record: SQSRecord) -> list[str]:
    outcomes = []
    for key in inbound.stored_keys(record.body):
        try:
            got = inbound.receive(key)
        except Exception:
            logger.exception("mail not received; message left for SQS to retry", extra={"key": key})
            raise
        logger.info("mail received", extra={"key": key, **got._asdict()})
        outcomes.append(got.status)
    return outcomes


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    try:
        return process_partial_response(
            event=event, record_handler=receive, processor=processor, context=context
        )
    finally:
        telemetry.flush(context)  # ColdStart


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

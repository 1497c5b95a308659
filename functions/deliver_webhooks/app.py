"""The webhook delivery queue: each message is one attempt to POST one delivery.

A batch's messages are delivered concurrently (one thread each), so that a slow receiver
(up to the 10 s timeout) delays no other message of the batch; the event source mapping
runs several batches at once (ScalingConfig), so it delays no other batch either. A message
whose attempt could not be recorded is reported in `batchItemFailures`: SQS gives it back
after the visibility timeout (same webhook-id), and after maxReceiveCount receives it goes
to the dead-letter queue (docs/design.md, "Webhooks"). Not Powertools' `BatchProcessor`:
it processes records one after another (its async variant wants asyncio, our I/O is
blocking sockets).
"""

import helpdesk.coldstart  # first: no garbage collection while importing

# isort: split

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools import Logger

from helpdesk import telemetry
from helpdesk.store import codec
from helpdesk.webhooks import deliver

logger = Logger(service="helpdesk-webhooks")


def _one(record: dict[str, Any]) -> str | None:
    """The message id if it failed, else None."""
    try:
        outcome = deliver(json.loads(record["body"]))
        logger.info("webhook message", extra={"outcome": outcome})
        return None
    except Exception:
        logger.exception("delivery failed; message left for SQS to retry")
        return str(record["messageId"])


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    codec.client()  # one client, made before the threads share it
    try:
        with ThreadPoolExecutor(max_workers=max(1, len(records))) as pool:
            failed = [m for m in pool.map(_one, records) if m]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
    finally:
        telemetry.flush(context)  # ColdStart


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

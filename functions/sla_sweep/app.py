"""Every minute (an EventBridge rate rule; the local runner: its rate and `POST
/_local/schedules/SlaSweepFunction/run`): fire `sla.warning` and `sla.breached` for the
tickets that are due (helpdesk.slasweep). Idempotent: a run twice, late, or at the same time
as another fires nothing twice; a failed run is simply done by the next one.
"""

import helpdesk.coldstart  # first: no garbage collection while importing

# isort: split

from typing import Any

from aws_lambda_powertools import Logger

from helpdesk import slasweep, telemetry

logger = Logger(service="helpdesk-sla")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    try:
        return slasweep.run()._asdict()
    finally:
        telemetry.flush(context)


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

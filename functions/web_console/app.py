"""GET /app, ANY /app/{proxy+}: the web console (Starlette + Jinja2 behind mangum).

The Lambda entry (template: `Handler: app.lambda_handler`, `CodeUri: functions/web_console/`,
so the `console` package next to this file is packaged with it). Pages, by area, are in
`console/`; they call the same layer services as the API functions, so every rule is the
same code. The customer pages' modules load here; the staff, admin and new-ticket pages
import `desk`, `catalog` and their request models when they first run (a customer's cold
start skips them: docs/benchmarks.md, tests/unit/test_import_cost.py).
"""

from __future__ import annotations

import helpdesk.coldstart  # first: no garbage collection while importing

# isort: split

from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

from console.base import logger
from console.routes import create_app
from helpdesk import telemetry
from helpdesk.settings import console_settings

app = create_app()


@cache
def _adapter() -> Mangum:
    # settings are read on the first event, not at import; the stage prefix is stripped here
    return Mangum(app, lifespan="off", api_gateway_base_path=console_settings().base_path or "/")


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = _adapter()(event, context)
        return result
    finally:
        telemetry.flush(context)  # the pages call the services that record metrics


helpdesk.coldstart.resume()  # the handler is built: the init phase is over

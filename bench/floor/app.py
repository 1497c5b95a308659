"""The house-style floor cold starts are also compared with: the bare handler (boto3 and
json) plus Powertools' HTTP resolver with pydantic validation, its Logger and one pydantic
model, and nothing of ours."""

from typing import Any

import boto3  # noqa: F401
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from pydantic import BaseModel

logger = Logger(service="floor")
app = APIGatewayHttpResolver(enable_validation=True)


class Pong(BaseModel):
    ok: bool


@app.get("/ping")
def ping() -> Pong:
    return Pong(ok=True)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)

"""Shared fixtures: fake AWS credentials everywhere, moto tables built from template.yaml."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
TABLE = "helpdesk-test"
BUCKET = "helpdesk-test-attachments"
REGION = "us-east-1"

# Fake credentials before anything imports boto3: tests never reach AWS.
for _var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
    os.environ.pop(_var, None)
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION=REGION,
    AWS_REGION=REGION,
    TABLE_NAME=TABLE,
    BUCKET_NAME=BUCKET,
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
)


def _clear_caches() -> None:
    from helpdesk import settings, store

    store.client.cache_clear()
    store.idempotency_persistence.cache_clear()
    for name in dir(settings):
        fn = getattr(settings, name)
        if hasattr(fn, "cache_clear"):
            fn.cache_clear()


@pytest.fixture
def aws() -> Iterator[None]:
    """moto's in-process AWS with the template's table and bucket."""
    from moto import mock_aws

    from local.backend import create_resources
    from local.template import app

    with mock_aws():
        _clear_caches()
        create_resources(app(), endpoint=None, region=REGION, table_name=TABLE, bucket_name=BUCKET)
        yield
    _clear_caches()


@pytest.fixture
def catalog(aws: None) -> None:
    from local.seed import seed_catalog

    seed_catalog()


_loaded: dict[str, ModuleType] = {}


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py under a unique module name (two app.py never collide)."""
    if name not in _loaded:
        path = ROOT / "functions" / name / "app.py"
        spec = importlib.util.spec_from_file_location(f"fn_{name}", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        _loaded[name] = module
    return _loaded[name]


class FakeContext:
    function_name = "test"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


def invoke(name: str, event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = load_function(name).lambda_handler(event, FakeContext())
    return result


def body_of(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


class CallLog:
    """Every AWS API call made through botocore while active: (service, operation, params)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []

    def operations(self, service: str = "dynamodb") -> list[str]:
        return [op for svc, op, _ in self.calls if svc == service]

    def clear(self) -> None:
        self.calls.clear()
        self.responses.clear()


@pytest.fixture
def aws_calls(aws: None) -> Iterator[CallLog]:
    """Count DynamoDB/S3 calls (botocore event hooks on the layer's clients)."""
    from helpdesk import store

    log = CallLog()

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        log.calls.append((model.service_model.service_name, model.name, params))

    def after(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        log.responses.append((model.name, parsed))

    client = store.client()
    client.meta.events.register("provide-client-params.dynamodb.*", before)
    client.meta.events.register("after-call.dynamodb.*", after)
    yield log
    client.meta.events.unregister("provide-client-params.dynamodb.*", before)
    client.meta.events.unregister("after-call.dynamodb.*", after)

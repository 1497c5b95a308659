"""Shared fixtures: fake AWS credentials everywhere, moto tables built from template.yaml."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from helpdesk.domain import Ticket
    from local.pump import Pump

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
    CONSOLE_SIGNING_KEY_ID="helpdesk-local/ConsoleSigningKey",  # created by create_resources
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_METRICS_DISABLED="true",  # tests/handlers/test_telemetry.py turns them on
    POWERTOOLS_LOG_LEVEL="WARNING",
    FEED_HOLDBACK_SECONDS="0",  # the change feed shows a change at once (its own test sets it)
)


def _clear_caches() -> None:
    from helpdesk import catalog, settings, signing
    from helpdesk.store import codec as store_codec
    from helpdesk.store import idempotency as store_idempotency
    from helpdesk.store import views as store_views

    catalog.clear_names()
    store_views.clear()
    signing.clear()
    store_codec.client.cache_clear()
    store_idempotency.idempotency_persistence.cache_clear()
    for name in dir(settings):
        fn = getattr(settings, name)
        if hasattr(fn, "cache_clear"):
            fn.cache_clear()


# The lead's switch: when True, `call()` settles the pump after each invocation (stream
# records and queue messages the call wrote are delivered before it returns), as the
# runner's `sync` mode does after each HTTP request. Off: tests drain explicitly.
DRAIN_AFTER_CALL = True

_pump: Pump | None = None
_refs: dict[str, str] = {}  # what `!Ref`/`!GetAtt` give for the mocked backend's resources


def _mocked_aws() -> Iterator[None]:
    from moto import mock_aws

    from local.backend import create_resources, patch_moto
    from local.runner import parameter_refs
    from local.template import app

    global _pump, _refs
    patch_moto()
    with mock_aws():
        _clear_caches()
        _pump = None
        params = parameter_refs(app(), 0)  # template defaults, HELPDESK_PARAM_<Name> overrides
        _refs = params | create_resources(
            app(), endpoint=None, region=REGION, table_name=TABLE, bucket_name=BUCKET, refs=params
        )
        os.environ["WEBHOOK_QUEUE_URL"] = _refs["WebhookDeliveryQueue"]  # the template's Ref
        os.environ["INBOUND_BUCKET"] = _refs["InboundMailBucket"]  # where SES stores mail
        yield
        _pump = None
    _clear_caches()


def invoke_mapped(function: str, event: dict[str, Any]) -> Any:
    """An event source mapping's invocation in-process: the template's function's handler,
    imported like `invoke()` does, with a FakeContext; a function error raises."""
    from local.template import app

    fn = app().functions[function]
    module = load_function(Path(fn.code_uri).name)
    with acting_as(function):
        return getattr(module, fn.handler.rsplit(".", 1)[1])(event, FakeContext())


def pump() -> Pump:
    """The in-process pump of the current moto backend (made on first use): the runner's
    delivery of stream records and queue messages, with `invoke_mapped`."""
    global _pump
    if _pump is None:
        from local.backend import local_session
        from local.pump import Pump
        from local.template import app

        tables = dict.fromkeys(app().resources("AWS::DynamoDB::Table"), TABLE)
        _pump = Pump(
            app(),
            _refs | tables,
            invoke_mapped,
            tables,
            region=REGION,
            session=local_session(REGION),
        )
    return _pump


def drain_streams(timeout: float = 10.0) -> dict[str, Any]:
    """Deliver every pending stream record and queue message to its function (in-process),
    waiting at most `timeout` seconds: per function, what was delivered."""
    return pump().drain(timeout)


@pytest.fixture
def drain(aws: None) -> Callable[..., dict[str, Any]]:
    """`drain_streams` on the test's moto backend: write, `drain()`, assert."""
    return drain_streams


@pytest.fixture
def aws() -> Iterator[None]:
    """moto's in-process AWS with the template's table and bucket."""
    yield from _mocked_aws()


@pytest.fixture(scope="module")
def module_aws() -> Iterator[None]:
    """Like `aws`, shared by a module's tests (for data that is slow to write)."""
    yield from _mocked_aws()


@pytest.fixture
def catalog(aws: None) -> None:
    from local.seed import seed_catalog

    seed_catalog()


_loaded: dict[str, ModuleType] = {}
_loading = threading.RLock()  # the pump invokes SQS batches on threads


def load_function(name: str) -> ModuleType:
    """Import functions/<name>/app.py under a unique module name (two app.py never collide)."""
    with _loading:
        return _load_function(name)


def _load_function(name: str) -> ModuleType:
    if name not in _loaded:
        path = ROOT / "functions" / name / "app.py"
        # Lambda's code root is on sys.path (the console's `console` package is next to app.py)
        if str(path.parent) not in sys.path:
            sys.path.append(str(path.parent))
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
    with acting_as(_logical_ids()[name]):
        result: dict[str, Any] = load_function(name).lambda_handler(event, FakeContext())
    return result


# ---------------------------------------------------------------- IAM, as the tests run
# Every DynamoDB call a function makes in-process (`invoke`, `invoke_mapped`) must be an
# action its template role grants: tests/template/test_least_privilege.py checks the other
# way (no grant the code cannot use), from the code; this catches a call the role would
# refuse in AWS (AccessDenied), which moto does not check.

_acting = threading.local()  # the pump invokes SQS batches on threads
_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}


def _logical_ids() -> dict[str, str]:
    """functions/<dir> -> the template's logical id (cached)."""
    global _dirs
    if _dirs is None:
        from local.template import app

        _dirs = {Path(fn.code_uri).name: lid for lid, fn in app().functions.items()}
    return _dirs


_dirs: dict[str, str] | None = None
_grants: dict[str, frozenset[str]] = {}


def _granted(logical_id: str) -> frozenset[str]:
    if logical_id not in _grants:
        from local.template import app

        fn = app().functions[logical_id]
        _grants[logical_id] = frozenset(str(a) for st in fn.statements for a in st["Action"])
    return _grants[logical_id]


def _dynamodb_actions(operation: str, params: dict[str, Any]) -> set[str]:
    if operation == "TransactWriteItems":
        out = set()
        for item in params.get("TransactItems", []):
            for kind in item:
                out.add(f"dynamodb:{_TRANSACT.get(kind, 'ConditionCheckItem')}")
        return out
    if operation == "TransactGetItems":
        return {"dynamodb:GetItem"}
    return {f"dynamodb:{operation}"}


@contextmanager
def acting_as(logical_id: str) -> Iterator[None]:
    stack = getattr(_acting, "stack", None)
    if stack is None:
        stack = _acting.stack = []
    stack.append(logical_id)
    try:
        yield
    finally:
        stack.pop()


def _checked_api_call() -> None:
    from botocore.client import BaseClient

    original = getattr(BaseClient, "_make_api_call")  # noqa: B009 - botocore's private hook
    if getattr(original, "iam_checked", False):
        return

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        stack = getattr(_acting, "stack", None)
        if stack and self.meta.service_model.service_name == "dynamodb":
            missing = _dynamodb_actions(operation_name, api_params) - _granted(stack[-1])
            if missing:
                raise AssertionError(
                    f"{stack[-1]} calls {operation_name}: template.yaml does not grant "
                    f"{sorted(missing)} (AWS would answer AccessDenied)"
                )
        return original(self, operation_name, api_params)

    _make_api_call.iam_checked = True  # type: ignore[attr-defined]
    setattr(BaseClient, "_make_api_call", _make_api_call)  # noqa: B010


_checked_api_call()


def body_of(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


class CallLog:
    """Every AWS API call made through botocore while active: (service, operation, params)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []
        # the stream functions' calls after the request (the list indexer): (operation, params)
        self.after: list[tuple[str, dict[str, Any]]] = []

    def operations(self, service: str = "dynamodb") -> list[str]:
        return [op for svc, op, _ in self.calls if svc == service]

    def clear(self) -> None:
        self.calls.clear()
        self.responses.clear()
        self.after.clear()


@pytest.fixture
def aws_calls(aws: None) -> Iterator[CallLog]:
    """Count DynamoDB/S3 calls (botocore event hooks on the layer's clients)."""
    yield from _call_log()


def _call_log() -> Iterator[CallLog]:
    from helpdesk.store import codec as store_codec

    log = CallLog()

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        if not _draining[0]:  # the request's calls, not the stream functions' after it
            log.calls.append((model.service_model.service_name, model.name, params))
        else:
            log.after.append((model.name, params))

    def after(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if not _draining[0]:
            log.responses.append((model.name, parsed))

    client = store_codec.client()
    client.meta.events.register("provide-client-params.dynamodb.*", before)
    client.meta.events.register("after-call.dynamodb.*", after)
    yield log
    client.meta.events.unregister("provide-client-params.dynamodb.*", before)
    client.meta.events.unregister("after-call.dynamodb.*", after)


def make_event(
    name: str,
    *,
    user: str = "alice",
    roles: str = "customer",
    org: str = "",
    path: dict[str, str] | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """events/<name>.json with another caller, path parameters, body, query or headers."""
    event = load_event(name)
    event["requestContext"]["authorizer"] = {
        "lambda": {
            "user_id": user,
            "name": user.capitalize(),
            "email": f"{user}@example.com",
            "roles": roles,
            "org_id": org,
        }
    }
    if path:
        event["pathParameters"] = path
        raw = event["routeKey"].split(" ", 1)[1]
        for key, value in path.items():
            raw = raw.replace("{" + key + "}", value)
        event["rawPath"] = event["requestContext"]["http"]["path"] = raw
    if body is not None:
        event["body"] = json.dumps(body)
        event["headers"]["content-type"] = "application/json"
    if query is not None:
        event["queryStringParameters"] = query
        event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in query.items())
    if headers:
        event["headers"].update({k.lower(): v for k, v in headers.items()})
    return event


def settle() -> dict[str, Any]:
    """Deliver what the stream and queues hold now (the list indexer, the purge), outside the
    call log (a request's calls are its own; the indexer's come after its response). An
    indexer failure fails the test: it would otherwise only show as a list missing a ticket."""
    _draining[0] = True
    try:
        report = pump().settle()
    finally:
        _draining[0] = False
    failed = report.get("IndexListsFunction", {}).get("failures", 0)
    assert not failed, f"the list indexer failed: {report}"
    return report


_draining = [False]


def call(name: str, **kwargs: Any) -> tuple[int, Any, dict[str, str]]:
    """Invoke functions/<name> with `make_event(name, **kwargs)`: (status, JSON body, headers).
    With DRAIN_AFTER_CALL, the stream's functions then run (as in AWS, after the response)."""
    result = invoke(name, make_event(name, **kwargs))
    if DRAIN_AFTER_CALL:
        settle()
    body = json.loads(result["body"]) if result.get("body") else None
    return (
        result["statusCode"],
        body,
        {k.lower(): v for k, v in (result.get("headers") or {}).items()},
    )


def bulk_tickets(n: int, *, start: int = 0, spread: int = 97) -> None:
    with _quiet_stream():
        _bulk_tickets(n, start=start, spread=spread)


@contextmanager
def _quiet_stream() -> Iterator[None]:
    """moto's table keeps no stream records meanwhile: a bulk load writes each ticket's index
    record itself (at its version, so the list indexer would skip every record), and
    delivering thousands of records in process takes minutes."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(TABLE)
    shard, table.stream_shard = table.stream_shard, None
    try:
        yield
    finally:
        table.stream_shard = shard


def _bulk_tickets(n: int, *, start: int, spread: int) -> None:
    """Write `n` tickets exactly as the store and its list indexer would (ticket, entries, index
    record, counters), quickly:
    batched puts instead of one transaction each (moto's transactions are slow)."""
    from helpdesk.clock import now_iso
    from helpdesk.domain import Priority, Status, Ticket

    statuses, priorities = list(Status), list(Priority)
    tickets = []
    for i in range(start, start + n):
        now = now_iso()
        tickets.append(
            Ticket(
                id=f"tkt_bulk{i:08d}",
                number=500000 + i,
                subject=f"bulk {i}",
                requester_id=f"bulk{i % spread}",
                org_id=f"org{i % 11}",
                status=statuses[i % len(statuses)],
                priority=priorities[i % 3],
                assignee_id=f"agent{i % 13}" if i % 4 else None,
                department_id=f"dep{i % 7}",
                category_id=f"cat{i % 5}",
                tags=[f"tag{i % 9}"],
                created_at=now,
                updated_at=now,
                last_activity_at=now,
                message_count=1,
                staff_unread_count=i % 2,
                version=1,
            )
        )
    load_tickets(tickets)


def load_tickets(tickets: Iterable[Ticket], *, numbers: bool = False) -> None:
    """Write `tickets` exactly as the store and its list indexer would (ticket, entries, index
    record, counters; `numbers`: the number lookups) in batched puts, the stream kept quiet."""
    with _quiet_stream():
        _load_tickets(tickets, numbers)


def _load_tickets(tickets: Iterable[Ticket], numbers: bool = False) -> None:
    from helpdesk.store import codec as store_codec
    from helpdesk.store import keys as store_keys
    from helpdesk.store import lists as store_lists
    from helpdesk.store import tickets as store_tickets

    client = store_codec.client()
    batch: list[Any] = []
    counters: dict[str, int] = {}
    for t in tickets:
        for w in store_tickets.ticket_writes(None, t):
            batch.append({"PutRequest": {"Item": w["Put"]["Item"]}})
        batch += [{"PutRequest": {"Item": i}} for i in store_lists.fresh_items(t)]
        if numbers:
            lookup = {**store_keys.number(t.number).fields(), "ticket_id": t.id}
            batch.append({"PutRequest": {"Item": store_codec.item(lookup)}})
        for lk in store_lists.listkeys(t):
            counters[lk] = counters.get(lk, 0) + 1
        while len(batch) >= 25:
            client.batch_write_item(RequestItems={TABLE: batch[:25]})
            batch = batch[25:]
    if batch:
        client.batch_write_item(RequestItems={TABLE: batch})
    for lk, count in counters.items():
        client.update_item(
            TableName=TABLE,
            Key=store_keys.counter(lk).av(),
            UpdateExpression="ADD n :d",
            ExpressionAttributeValues={":d": {"N": str(count)}},
        )


@pytest.fixture
def module_aws_calls(module_aws: None) -> Iterator[CallLog]:
    """`aws_calls` on the module's shared backend."""
    yield from _call_log()


def set_console_keys(current: str, *previous: str) -> None:
    """Put the console's signing keys into the (moto) secret the template creates, as an
    operator's rotation would, and drop the function's cached copy."""
    import boto3

    from helpdesk import signing

    value: dict[str, Any] = {"current": current}
    if previous:
        value["previous"] = list(previous)
    boto3.client("secretsmanager").put_secret_value(
        SecretId=os.environ["CONSOLE_SIGNING_KEY_ID"], SecretString=json.dumps(value)
    )
    signing.clear()

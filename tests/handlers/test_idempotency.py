"""`Idempotency-Key` on Powertools' terms (helpdesk.idempotency), through the handlers on moto:
a key whose first request still runs is 409 at once, answers replay, and each operation's
idempotent function is built once per sandbox."""

from __future__ import annotations

import importlib.util
import sys
import time
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT, TABLE, call, load_function, make_event

pytestmark = pytest.mark.usefixtures("catalog")

BODY = {"subject": "Printer", "message": "Help"}


def second_sandbox(name: str) -> ModuleType:
    """functions/<name>/app.py loaded again, apart: a second Lambda sandbox of one function."""
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"fn_{name}_second_sandbox", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def idempotency_records() -> list[dict[str, Any]]:
    import boto3

    items: list[dict[str, Any]] = boto3.client("dynamodb").query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "IDEMPOTENCY"}},
    )["Items"]
    return items


def test_a_key_whose_first_request_is_running_is_409_at_once_then_replays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk import tickets
    from tests.conftest import FakeContext, body_of

    # Given a create whose work, while it runs, lets a second sandbox take the same key
    other = second_sandbox("create_ticket")
    seen: dict[str, Any] = {}
    real_create = tickets.create_ticket

    def slow_create(*args: Any, **kwargs: Any) -> Any:
        event = make_event("create_ticket", user="mia", body=BODY, headers={"Idempotency-Key": "k"})
        started = time.monotonic()
        seen["racer"] = other.lambda_handler(event, FakeContext())
        seen["racer_seconds"] = time.monotonic() - started
        seen["records"] = idempotency_records()
        return real_create(*args, **kwargs)

    monkeypatch.setattr(tickets, "create_ticket", slow_create)
    key = {"Idempotency-Key": "k"}
    status, first, headers = call("create_ticket", user="mia", body=BODY, headers=key)
    assert status == 201, first

    # Then the racer got 409 IDEMPOTENCY_IN_PROGRESS with Retry-After, without waiting
    racer = seen["racer"]
    assert racer["statusCode"] == 409
    assert racer["headers"]["Content-Type"] == "application/problem+json"
    assert racer["headers"]["Retry-After"] == "1"
    assert body_of(racer)["code"] == "IDEMPOTENCY_IN_PROGRESS"
    assert seen["racer_seconds"] < 1.0
    # And the in-progress record carried the invocation's deadline: the entrypoint
    # registered the Lambda context, so a record left by a timed-out invocation expires
    (record,) = seen["records"]
    assert record["status"]["S"] == "INPROGRESS" and "in_progress_expiration" in record

    # When the client retries after Retry-After / Then the first answer, one ticket
    monkeypatch.setattr(tickets, "create_ticket", real_create)
    status, again, again_headers = call("create_ticket", user="mia", body=BODY, headers=key)
    assert (status, again["id"], again_headers["location"]) == (
        201,
        first["id"],
        headers["location"],
    )
    assert again == first
    assert call("list_tickets", user="mia")[1]["total"] == 1


def test_each_operation_builds_its_idempotent_function_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import aws_lambda_powertools.utilities.idempotency as powertools_idempotency

    # Given a fresh sandbox of create_ticket, counting Powertools' idempotent_function builds
    fn = load_function("create_ticket")
    monkeypatch.setattr(fn.IDEMPOTENT, "_once", None)
    built: list[Any] = []
    real = powertools_idempotency.idempotent_function

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(powertools_idempotency, "idempotent_function", counting)
    # When three keyed requests come (two keys, one retry)
    for key in ("a", "b", "a"):
        status, _, _ = call(
            "create_ticket", user="mia", body=BODY, headers={"Idempotency-Key": key}
        )
        assert status == 201
        if key == "a" and len(built) == 1:
            first = fn.IDEMPOTENT._once
    # Then the function was built once, with the operation as its key prefix, and kept
    assert len(built) == 1 and built[0]["key_prefix"] == "helpdesk.create_ticket"
    assert fn.IDEMPOTENT._once is first
    assert call("list_tickets", user="mia")[1]["total"] == 2


def test_a_request_without_a_key_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    fn = load_function("create_ticket")
    monkeypatch.setattr(fn.IDEMPOTENT, "_once", None)
    assert call("create_ticket", user="mia", body=BODY)[0] == 201
    assert fn.IDEMPOTENT._once is None and idempotency_records() == []


def test_reply_keys_are_scoped_to_the_ticket_and_replay_the_first_answer() -> None:
    a = call("create_ticket", user="mia", body=BODY)[1]
    b = call("create_ticket", user="mia", body=BODY)[1]
    key = {"Idempotency-Key": "reply-1"}

    def reply(ticket: dict[str, Any], message: str = "more") -> tuple[int, Any, dict[str, str]]:
        return call(
            "reply_ticket",
            user="mia",
            path={"ticket_id": ticket["id"]},
            body={"message": message},
            headers=key,
        )

    on_a, on_b = reply(a), reply(b)
    assert on_a[0] == on_b[0] == 201 and on_a[1]["message"]["id"] != on_b[1]["message"]["id"]
    assert reply(a) == on_a  # the first answer, body and headers
    status, problem, _ = reply(a, "another body")
    assert (status, problem["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    _, thread, _ = call("get_ticket", user="mia", path={"ticket_id": a["id"]})
    assert len(thread["messages"]) == 2


def test_routes_that_take_a_key_declare_an_operation_and_an_idempotent_entrypoint() -> None:
    # a route documenting Idempotency-Key must honour it, and have its context registered
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        text = app.read_text()
        takes_key = "IdempotencyKey" in text
        assert (
            takes_key == ("Operation(" in text) == ("entrypoint(app, idempotent=True)" in text)
        ), app

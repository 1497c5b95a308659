"""Metrics as EMF on stdout: what a create and a staff reply publish, once per invocation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_lambda_powertools.metrics.provider import cold_start

from tests import conftest
from tests.conftest import call, settle

pytestmark = pytest.mark.usefixtures("catalog")

AGENT = {"user": "agnes", "roles": "agent"}


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import telemetry

    telemetry.flush()  # drop what earlier tests recorded calling services without a handler
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    # the stream's functions (the list indexer) print their own documents: run them only
    # where a test asks (`settle`)
    monkeypatch.setattr(conftest, "DRAIN_AFTER_CALL", False)


def _one(value: Any) -> Any:
    # Powertools writes values as lists (EMF allows either); one value per metric here
    if isinstance(value, list):
        (value,) = value
    return value


def emf(out: str) -> list[dict[str, Any]]:
    """The EMF documents printed: {"dimensions": {...}, "metrics": {name: (unit, value)}}."""
    docs = []
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        doc = json.loads(line)
        if "_aws" not in doc:
            continue  # a log line
        (directive,) = doc["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "Helpdesk"
        (dimension_names,) = directive["Dimensions"]
        docs.append(
            {
                "dimensions": {d: doc[d] for d in dimension_names},
                "metrics": {
                    m["Name"]: (m["Unit"], _one(doc[m["Name"]])) for m in directive["Metrics"]
                },
            }
        )
    return docs


def test_a_create_publishes_tickets_created_and_the_cold_start(
    metrics_on: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a fresh instance
    monkeypatch.setattr(cold_start, "is_cold_start", True)
    capsys.readouterr()
    # When a customer opens a ticket
    status, _, _ = call("create_ticket", user="carl", body={"subject": "S", "message": "M"})
    assert status == 201
    # Then one document per dimension set, with the service dimension on each
    docs = emf(capsys.readouterr().out)
    assert {
        "dimensions": {"service": "helpdesk"},
        "metrics": {"TicketsCreated": ("Count", 1.0)},
    } in docs
    assert {
        "dimensions": {"service": "helpdesk", "function_name": "test"},
        "metrics": {"ColdStart": ("Count", 1.0)},
    } in docs
    assert len(docs) == 2
    # And the list indexer, from the stream, counts the entries it wrote (the customer's own
    # entry was written with the ticket)
    settle()
    docs = emf(capsys.readouterr().out)
    (indexed,) = [d for d in docs if "ListEntriesWritten" in d["metrics"]]
    assert indexed["dimensions"] == {"service": "helpdesk"}
    assert indexed["metrics"]["ListEntriesWritten"][1] >= 5
    # and the notifier counts the mail it sent (the acknowledgement)
    (mailed,) = [d for d in docs if "MailSent" in d["metrics"]]
    assert mailed["metrics"]["MailSent"] == ("Count", 1.0)
    assert len(docs) == 2
    # And the next invocation is warm: no ColdStart, nothing for a read
    call("list_tickets", user="carl")
    assert emf(capsys.readouterr().out) == []


def test_a_staff_reply_publishes_replies_by_side_and_the_first_response_once(
    metrics_on: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cold_start, "is_cold_start", False)
    _, ticket, _ = call("create_ticket", user="carl", body={"subject": "S", "message": "M"})
    path = {"ticket_id": ticket["id"]}
    capsys.readouterr()
    # When an agent answers for the first time
    status, _, _ = call("admin_reply_ticket", **AGENT, path=path, body={"message": "On it"})
    assert status == 201
    # Then a staff reply (by side) and the first-response time (seconds since it opened)
    replies, first = emf(capsys.readouterr().out)
    assert replies == {
        "dimensions": {"service": "helpdesk", "side": "staff"},
        "metrics": {"Replies": ("Count", 1.0)},
    }
    assert first["dimensions"] == {"service": "helpdesk"}
    unit, seconds = first["metrics"]["FirstResponseSeconds"]
    assert unit == "Seconds" and 0 <= seconds < 60
    # And the customer's answer, the second staff reply and a note: replies only
    call("reply_ticket", user="carl", path=path, body={"message": "thanks"})
    assert emf(capsys.readouterr().out) == [
        {
            "dimensions": {"service": "helpdesk", "side": "customer"},
            "metrics": {"Replies": ("Count", 1.0)},
        }
    ]
    call("admin_reply_ticket", **AGENT, path=path, body={"message": "Done"})
    assert emf(capsys.readouterr().out) == [replies]
    call("admin_reply_ticket", **AGENT, path=path, body={"message": "n", "internal": True})
    assert emf(capsys.readouterr().out) == []


def test_a_replayed_create_counts_a_replay_not_a_ticket(
    metrics_on: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cold_start, "is_cold_start", False)
    body = {"subject": "S", "message": "M"}
    headers = {"Idempotency-Key": "k-telemetry-1"}
    call("create_ticket", user="carl", body=body, headers=headers)
    capsys.readouterr()
    status, _, _ = call("create_ticket", user="carl", body=body, headers=headers)
    assert status == 201
    assert emf(capsys.readouterr().out) == [
        {"dimensions": {"service": "helpdesk"}, "metrics": {"IdempotentReplays": ("Count", 1.0)}}
    ]


def test_rate_limited_writes_are_counted(
    metrics_on: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cold_start, "is_cold_start", False)
    monkeypatch.setenv("WRITE_LIMIT", "1")
    from helpdesk import settings

    settings.rate_limit_settings.cache_clear()
    try:
        call("create_ticket", user="rita", body={"subject": "S", "message": "M"})
        capsys.readouterr()
        status, _, _ = call("create_ticket", user="rita", body={"subject": "S", "message": "M"})
    finally:
        settings.rate_limit_settings.cache_clear()
    assert status == 429
    assert emf(capsys.readouterr().out) == [
        {"dimensions": {"service": "helpdesk"}, "metrics": {"RateLimited": ("Count", 1.0)}}
    ]


def test_disabled_metrics_print_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    # The tests and the local runner run with POWERTOOLS_METRICS_DISABLED=true
    capsys.readouterr()
    call("create_ticket", user="carl", body={"subject": "S", "message": "M"})
    assert emf(capsys.readouterr().out) == []

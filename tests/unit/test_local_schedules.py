"""The runner's scheduled functions (local.schedules): the rates come from the template, the
event is EventBridge's, the ticker runs each at its rate."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from local.schedules import Ticker, rates, scheduled_event
from local.template import app


def test_the_template_rate_rules_are_the_schedules() -> None:
    assert rates(app()) == {"SlaSweepFunction": 60}


def test_the_event_is_eventbridges_scheduled_event() -> None:
    event = scheduled_event("SlaSweepFunction", datetime(2027, 1, 11, 8, 16, 5, 123, tzinfo=UTC))
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["time"] == "2027-01-11T08:16:05Z" and event["detail"] == {}
    assert event["resources"][0].startswith("arn:aws:events:us-east-1:123456789012:rule/")


def test_the_ticker_runs_each_function_at_its_rate_and_survives_an_error() -> None:
    ran: list[str] = []
    done = threading.Event()

    def run(name: str) -> None:
        ran.append(name)
        if len(ran) >= 2:
            done.set()
        raise RuntimeError("the function failed")  # logged; the ticker goes on

    ticker = Ticker({"Fast": 0.5, "Never": None}, run)
    ticker.start()
    try:
        assert done.wait(5)
    finally:
        ticker.stop()
    assert set(ran) == {"Fast"}

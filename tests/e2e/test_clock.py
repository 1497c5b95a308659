"""The runner's clock (`PUT/GET/DELETE /_local/clock`): every function sees the set time,
advancing from there, until it is returned to real time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_a_set_clock_is_what_the_functions_see_until_it_is_deleted(runner: Runner) -> None:
    local = httpx.Client(base_url=runner.url, timeout=30)
    try:
        # Given the clock set to a Friday afternoon in Berlin
        answer = local.put("/_local/clock", json={"now": "2027-01-08T16:30:00+01:00"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["set"] is True
        # When a customer opens a ticket (the API function) and the list indexer runs (stream)
        user = f"u{uuid.uuid4().hex[:10]}"
        with runner.client(user) as api:
            ticket = api.post("/tickets", json={"subject": "Clock", "message": "Hi"}).json()
            listed = api.get("/tickets").json()["items"]
        # Then both see the set time, advancing from it
        created = datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00"))
        assert datetime(2027, 1, 8, 15, 30, tzinfo=UTC) <= created
        assert (created - datetime(2027, 1, 8, 15, 30, tzinfo=UTC)).total_seconds() < 60
        assert [t["id"] for t in listed] == [ticket["id"]]
        now = datetime.fromisoformat(local.get("/_local/clock").json()["now"])
        assert now.year == 2027
        # And DELETE returns every function to real time
        assert local.delete("/_local/clock").json()["set"] is False
        with runner.client(user) as api:
            reply = api.post(f"/tickets/{ticket['id']}/messages", json={"message": "again"})
        assert reply.status_code == 201, reply.text
        assert reply.json()["message"]["created_at"].startswith(str(datetime.now(UTC).year))
    finally:
        local.delete("/_local/clock")


def test_a_bad_clock_is_a_clear_400(runner: Runner) -> None:
    local = httpx.Client(base_url=runner.url, timeout=30)
    for body in ({}, {"now": "tomorrow"}, {"now": "2027-01-08T16:30:00"}):
        answer = local.put("/_local/clock", json=body)
        assert answer.status_code == 400 and answer.json()["code"] == "VALIDATION_FAILED", body
    assert local.get("/_local/clock").json()["set"] is False

"""Stream delivery through the runner: a TTL expiry (`POST /_local/ttl/expire`) reaches the
purge function as the template maps it; `/_local/` routes are the runner's, not the API's."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import Runner, start_runner
from tests.e2e.test_housekeeping import scan

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PURGE = "ProcessChangesFunction"


def _deleted_ticket(runner: Runner) -> dict[str, Any]:
    user = f"u{uuid.uuid4().hex[:10]}"
    with runner.client(user) as api:
        ticket = api.post("/tickets", json={"subject": "Printer", "message": "Help"}).json()
    with runner.client(f"ad{uuid.uuid4().hex[:6]}", "admin") as admin:
        assert admin.delete(f"/admin/tickets/{ticket['id']}").status_code == 200
    return dict(ticket)


def test_a_ttl_expiry_is_purged_through_the_stream(runner: Runner) -> None:
    # Given a deleted ticket
    ticket = _deleted_ticket(runner)
    before = httpx.get(f"{runner.url}/_local/streams").json()
    assert before["mode"] == "sync"
    # When DynamoDB TTL removes it (as the dev route does) and the pump is drained
    local = httpx.Client(base_url=runner.url, timeout=30)
    resp = local.post("/_local/ttl/expire", json={"ticket_id": ticket["id"]})
    assert resp.status_code == 200, resp.text
    drained = local.post("/_local/streams/drain", json={"timeout": 20})
    assert drained.status_code == 200, drained.text
    # Then the change consumers got the record (and then the `ticket.purged` feed record
    # the purge appended) and nothing of the ticket is left (but its change-feed records:
    # ids only, kept by design)
    assert not [i for i in scan(runner) if ticket["id"] in json.dumps(i) and i["PK"]["S"] != "FEED"]
    after = local.get("/_local/streams").json()["functions"][PURGE]
    assert after["delivered"] == before["functions"][PURGE]["delivered"] + 2
    assert after["failures"] == before["functions"][PURGE]["failures"]
    assert after["sources"] == [{"event": "Changes", "type": "DynamoDB", "source": "TicketsTable"}]
    # and expiring it again is refused: it is gone
    again = local.post("/_local/ttl/expire", json={"ticket_id": ticket["id"]})
    assert again.status_code == 404
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["code"] == "NOT_EXPIRABLE"


def test_local_routes_answer_problems_and_are_not_in_the_api(runner: Runner) -> None:
    assert httpx.get(f"{runner.url}/_local/nothing").json()["code"] == "LOCAL_ROUTE_NOT_FOUND"
    bad = httpx.post(f"{runner.url}/_local/ttl/expire", json={"nope": 1})
    assert (bad.status_code, bad.json()["code"]) == (400, "VALIDATION_FAILED")
    spec = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert not [p for p in spec["paths"] if p.startswith("/_local")]
    assert "/_local" not in (ROOT / "template.yaml").read_text()


def test_async_mode_delivers_in_the_background(tmp_path: Path) -> None:
    with start_runner(tmp_path, pump="async", WriteLimit="100000") as runner:
        local = httpx.Client(base_url=runner.url, timeout=30)
        assert local.get("/_local/streams").json()["mode"] == "async"
        lags = []
        for n in (1, 2, 3):  # the first delivery starts the function's worker; then warm
            ticket = _deleted_ticket(runner)
            if n > 1:  # the ticket's own feed records delivered first (warm from here on)
                assert local.post("/_local/streams/drain").status_code == 200
            done = local.get("/_local/streams").json()["functions"][PURGE]["delivered"]
            local.post("/_local/ttl/expire", json={"ticket_id": ticket["id"]}).raise_for_status()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                status = local.get("/_local/streams").json()["functions"][PURGE]
                if status["delivered"] > done:
                    break
                time.sleep(0.01)
            assert status["delivered"] > done, status
            lags.append(status["last_lag_ms"])
        print(f"async delivery lag (ms, write -> invocation): {lags}")
        assert None not in lags, lags
        # the first includes starting the function's worker process (and, in this runner,
        # the other stream functions' workers that start beside it): seconds on a busy
        # machine (2.6 s seen with the suite on 2 workers); warm ones are the poll interval
        assert lags[0] < 10_000 and all(lag < 2000 for lag in lags[1:]), lags
        assert local.post("/_local/streams/drain").status_code == 200
        # (but its change-feed records: ids only, kept by design)
        assert not [
            i for i in scan(runner) if ticket["id"] in json.dumps(i) and i["PK"]["S"] != "FEED"
        ]

"""Races through the local runner: concurrent replies and concurrent idempotent creates."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.e2e.conftest import Runner, start_runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# Racers queue behind the runner's 4 instances and retry on version conflicts, and the
# embedded moto copies the whole (session-shared) table per transaction: allow for it.
RACE_TIMEOUT = 180


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """A runner of its own: the session's table grows with every e2e test, and moto copies
    all of it in each transaction, which pushed serialized racers past the 10 s timeout."""
    state = tmp_path_factory.mktemp("runner-state")
    with start_runner(state, WriteLimit="100000") as started:  # 20 replies from one caller
        yield started


def racer(runner: Runner, user: str) -> httpx.Client:
    token = runner.token(user)
    return httpx.Client(
        base_url=runner.url, headers={"Authorization": f"Bearer {token}"}, timeout=RACE_TIMEOUT
    )


def test_twenty_concurrent_replies_all_land_with_exact_counters(runner: Runner, user: str) -> None:
    # Given a ticket with its first message
    with runner.client(user) as api:
        ticket = api.post("/tickets", json={"subject": "Race", "message": "m0"}).json()
    path = f"/tickets/{ticket['id']}/messages"

    def reply(i: int) -> httpx.Response:
        with racer(runner, user) as api:
            return api.post(path, json={"message": f"m{i}"})

    # When 20 replies race
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(reply, range(1, 21)))
    # Then all land (no 500s), and the thread and counters are exact
    assert [r.status_code for r in responses] == [201] * 20, [
        r.text for r in responses if r.status_code != 201
    ]
    with runner.client(user) as api:
        got = api.get(f"/tickets/{ticket['id']}").json()
        listed = api.get("/tickets").json()
    assert got["message_count"] == 21 and len(got["messages"]) == 21
    assert sorted(m["body"] for m in got["messages"]) == sorted(f"m{i}" for i in range(21))
    assert got["customer_unread_count"] == 0
    assert listed["total"] == 1 and listed["items"][0]["message_count"] == 21
    with runner.client("agnes", "agent") as staff:
        view = staff.get(f"/admin/tickets/{ticket['id']}").json()
    assert view["staff_unread_count"] == 21


def test_ten_concurrent_creates_with_one_key_make_one_ticket(runner: Runner, user: str) -> None:
    # Given one Idempotency-Key and body, and clients that honour 409 + Retry-After
    in_progress: list[httpx.Response] = []

    def create(_: int) -> httpx.Response:
        with racer(runner, user) as api:
            while True:
                r = api.post(
                    "/tickets",
                    json={"subject": "Once", "message": "only once"},
                    headers={"Idempotency-Key": "race-1"},
                )
                if r.status_code != 409:
                    return r
                in_progress.append(r)
                time.sleep(int(r.headers["Retry-After"]))

    # When ten creates race
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(create, range(10)))
    # Then a racer that came while the first ran was told so at once (409 with Retry-After,
    # docs/api.md "Idempotency"), and every racer ends with the first answer
    assert all(r.json()["code"] == "IDEMPOTENCY_IN_PROGRESS" for r in in_progress)
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    with runner.client(user) as api:
        listed = api.get("/tickets").json()
    assert listed["total"] == 1 and len(listed["items"]) == 1

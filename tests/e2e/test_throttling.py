"""Per-caller write limits end to end, on a runner with a small limit and a short window."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Runner, start_runner
from tests.e2e.test_foundation import assert_problem

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

LIMIT, WINDOW = 3, 6


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    state = tmp_path_factory.mktemp("tight-runner")
    with start_runner(state, WriteLimit=str(LIMIT), WriteWindowSeconds=str(WINDOW)) as started:
        yield started


def _start_of_window() -> None:
    # Fixed windows are aligned to the epoch: start a burst just after a boundary.
    time.sleep(WINDOW - time.time() % WINDOW + 0.05)


def test_a_burst_past_the_limit_is_429_and_recovers_after_the_window(
    tight: Runner, user: str
) -> None:
    body = {"subject": "Burst", "message": "again"}
    with tight.client(user + "w") as warm:
        # Warm the functions first, so the burst fits in one window on a slow machine.
        assert warm.post("/tickets", json=body).status_code == 201
        warm.post(
            "/attachments", json={"file_name": "a.txt", "content_type": "text/plain", "size": 3}
        )
    with tight.client(user) as api:
        # Given a caller who has used up the window
        _start_of_window()
        for _ in range(LIMIT):
            assert api.post("/tickets", json=body).status_code == 201
        # When they write once more
        refused = api.post("/tickets", json=body)
        # Then it is 429 with the documented headers
        assert_problem(refused, 429, "RATE_LIMITED")
        assert 1 <= int(refused.headers["retry-after"]) <= WINDOW
        assert refused.headers["ratelimit-limit"] == str(LIMIT)
        assert refused.headers["ratelimit-remaining"] == "0"
        # And replies and uploads count against the same limit
        assert (
            api.post(
                "/attachments", json={"file_name": "a.txt", "content_type": "text/plain", "size": 3}
            ).status_code
            == 429
        )
        # And reads are not limited
        assert api.get("/tickets").status_code == 200
        # And after the window the caller may write again
        time.sleep(int(refused.headers["retry-after"]) + 0.1)
        assert api.post("/tickets", json=body).status_code == 201

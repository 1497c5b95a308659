"""store.retry.on_conflict: the one retry of optimistic-concurrency conflicts."""

from __future__ import annotations

import time

import pytest

from helpdesk.errors import ConcurrentUpdateError
from helpdesk.store import retry


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def test_a_conflict_runs_the_attempt_again_and_its_value_comes_back(pauses: list[float]) -> None:
    # Given an attempt that loses two races, then writes
    runs: list[int] = []

    def attempt() -> str:
        runs.append(1)
        if len(runs) < 3:
            raise ConcurrentUpdateError()
        return "written"

    # Then its value is returned after three runs and two jittered, growing-bound pauses
    assert retry.on_conflict(attempt, operation="test") == "written"
    assert len(runs) == 3
    assert len(pauses) == 2
    assert 0 <= pauses[0] <= retry.BASE_DELAY_SECONDS
    assert 0 <= pauses[1] <= retry.BASE_DELAY_SECONDS * 2


def test_attempts_are_bounded_then_409_with_retry_after(pauses: list[float]) -> None:
    runs: list[int] = []

    def attempt() -> None:
        runs.append(1)
        raise ConcurrentUpdateError()

    with pytest.raises(ConcurrentUpdateError) as caught:
        retry.on_conflict(attempt, operation="test", attempts=4)
    assert len(runs) == 4
    assert len(pauses) == 3  # no pause after the last attempt
    assert caught.value.headers == {"Retry-After": "1"}


def test_other_errors_are_not_retried(pauses: list[float]) -> None:
    def attempt() -> None:
        raise ValueError("not a conflict")

    with pytest.raises(ValueError):
        retry.on_conflict(attempt, operation="test")
    assert pauses == []

"""The runner's throttles, without workers: the instance queue's deadline and the token bucket."""

from __future__ import annotations

import time
from typing import Any

import pytest

from local.runner import Pool, Throttled, TokenBucket


def test_a_request_that_finds_no_free_instance_in_time_is_throttled() -> None:
    # Given a function whose every instance is busy
    fn: Any = type("Fn", (), {"logical_id": "BusyFunction"})()
    pool = Pool(fn, {}, size=1, queue_seconds=0.05)
    pool.count = 1
    # When another request waits for one
    started = time.monotonic()
    with pytest.raises(Throttled):
        pool._acquire()
    # Then it gives up after the queue time, not never
    assert 0.04 <= time.monotonic() - started < 1


def test_the_bucket_allows_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=10, burst=3)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    time.sleep(0.15)
    assert bucket.take()

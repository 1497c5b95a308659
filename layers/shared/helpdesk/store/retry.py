"""One retry for optimistic-concurrency conflicts.

A versioned write (`store.tickets.save_ticket`, `save_tickets`, a new ticket's
counters) that lost a race raises `ConcurrentUpdateError`; `on_conflict` runs the
whole attempt again (read, decide, write) after a jittered, doubling pause, a
bounded number of times, then answers 409 with `Retry-After`. Every conflict is
one log line here (the place for a metric too).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from aws_lambda_powertools import Logger

from helpdesk.errors import ConcurrentUpdateError

T = TypeVar("T")

MAX_ATTEMPTS = 10
BASE_DELAY_SECONDS = 0.02

logger = Logger(service="helpdesk")


def on_conflict(attempt: Callable[[], T], *, operation: str, attempts: int = MAX_ATTEMPTS) -> T:
    """`attempt()`, run again on ConcurrentUpdateError, at most `attempts` times in all.

    Between runs: a pause drawn from [0, 20 ms * 2^n] (full jitter). After the
    last conflict: ConcurrentUpdateError with `Retry-After: 1`.
    """
    for n in range(attempts):
        try:
            return attempt()
        except ConcurrentUpdateError:
            logger.info("write conflict", extra={"operation": operation, "attempt": n + 1})
            if n + 1 < attempts:
                time.sleep(random.uniform(0, BASE_DELAY_SECONDS * 2**n))
    raise ConcurrentUpdateError(headers={"Retry-After": "1"})

"""Per-caller write limits: a fixed-window counter per caller in DynamoDB.

API Gateway's stage throttling protects the service as a whole; these limits
keep one caller (a runaway script, a leaked token) from flooding the desk.
Every create, reply and upload counts against the caller's window; past the
limit the answer is 429 RATE_LIMITED with Retry-After and RateLimit headers.
"""

from __future__ import annotations

import math

from helpdesk import clock, telemetry
from helpdesk.errors import RateLimitedError
from helpdesk.principal import Principal
from helpdesk.settings import rate_limit_settings
from helpdesk.store import keys as store_keys
from helpdesk.store import ratelimits as store_ratelimits


def check(bucket: str, limit: int, window_seconds: int) -> None:
    """Count one hit on `bucket`; RateLimitedError if it is past `limit` in this window."""
    now = clock.now().timestamp()
    window = int(now // window_seconds)
    resets_at = (window + 1) * window_seconds
    hits = store_ratelimits.hit_counter(bucket, window, resets_at + window_seconds)
    if hits > limit:
        retry_after = max(1, math.ceil(resets_at - now))
        telemetry.count("RateLimited")
        raise RateLimitedError(
            f"At most {limit} requests per {window_seconds} s; retry in {retry_after} s",
            headers={
                "Retry-After": str(retry_after),
                "RateLimit-Limit": str(limit),
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(retry_after),
                "RateLimit-Policy": f"{limit};w={window_seconds}",
            },
        )


def check_write(p: Principal) -> None:
    """Count a write (create, reply, upload) by `p` against their per-caller limit."""
    settings = rate_limit_settings()
    check(store_keys.write_bucket(p.user_id), settings.write_limit, settings.write_window_seconds)

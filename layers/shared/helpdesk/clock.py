"""Time, in one place, so tests can move it (time-machine patches `datetime`), and so can
the local runner (`PUT /_local/clock`: its worker calls `set_offset`; nothing else does, so
deployed functions always read the real clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def set_offset(seconds: float) -> None:
    """Shift `now()` by `seconds` (the local runner's worker, for its set clock only)."""
    global _offset
    _offset = timedelta(seconds=seconds)


def iso(ts: datetime) -> str:
    """Sortable UTC timestamp with microseconds: 2026-11-24T19:03:51.123456Z."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(now())


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def seconds_between(start: str, end: str) -> int:
    return int((parse(end) - parse(start)).total_seconds())

"""Time, in one place, so tests can move it (time-machine patches `datetime`)."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    """Sortable UTC timestamp with microseconds: 2026-11-24T19:03:51.123456Z."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(now())


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def seconds_between(start: str, end: str) -> int:
    return int((parse(end) - parse(start)).total_seconds())

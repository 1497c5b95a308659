"""Relative times for the pages ("5 min ago", "yesterday"), computed on the server from the
request's now (`helpdesk.clock`, so the local runner's set clock moves them too), with the
exact time on hover: `<time datetime="..." title="...">` (the `ago` filter in base.py).
Calendar days are UTC days: the console knows no reader's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse(stamp: str) -> datetime | None:
    """A stored ISO stamp as an aware UTC datetime; None if it is not one."""
    try:
        ts = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _n(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def relative(ts: datetime, now: datetime) -> str:
    """`ts` as a reader says it, seen from `now` (both aware)."""
    seconds = (now - ts).total_seconds()
    if seconds < 0:  # a clock a little ahead of ours, or a scheduled time
        ahead = -seconds
        if ahead < 60:
            return "just now"
        if ahead < 3600:
            return f"in {int(ahead // 60)} min"
        if ahead < 86400:
            return f"in {_n(int(ahead // 3600), 'hour')}"
        return f"in {_n(int(ahead // 86400), 'day')}"
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{_n(int(seconds // 3600), 'hour')} ago"
    days = (now.date() - ts.date()).days
    if days <= 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    if ts.year == now.year:
        return f"{ts.day} {MONTHS[ts.month - 1]}"
    return f"{ts.day} {MONTHS[ts.month - 1]} {ts.year}"


def exact(ts: datetime) -> str:
    """The machine-readable time (seconds, UTC): a valid HTML `datetime` value."""
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def time_tag(stamp: str | None, now: datetime) -> Markup:
    """`<time datetime title>relative</time>`; an empty stamp is a dash, and a value that is
    no time is shown as it is (escaped), never an error page."""
    if not stamp:
        return Markup("—")
    ts = parse(stamp)
    if ts is None:
        return escape(stamp)
    at = exact(ts)
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(at, relative(ts, now))

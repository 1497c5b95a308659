"""The SLA report (issue 23): `GET /admin/reports/sla?from=&to=`: of the tickets created in
the period (the whole queue's creation-ordered entries: a Query of that range, never a Scan),
the share meeting each target, overall, per priority and per agent (the assignee), and the
tickets behind it as CSV.

A metric counts once per ticket, its current cycle: met (fulfilled within its target),
missed (fulfilled late, or running past its due time), or open (running, not due yet: left
out of the share).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from helpdesk import sla, slaclock
from helpdesk.clock import iso, now, parse
from helpdesk.domain import Ticket
from helpdesk.errors import BadRequestError
from helpdesk.models.sla import SlaReport, SlaReportGroup, SlaShare
from helpdesk.principal import Principal
from helpdesk.store import lists as store_lists

MAX_TICKETS = 5_000
CSV_COLUMNS = (
    "ticket_id",
    "number",
    "priority",
    "status",
    "assignee_id",
    "created_at",
    "policy_id",
    *(f"{m}_{c}" for m in sla.METRICS for c in ("target_minutes", "due_at", "outcome")),
)


def _period(start: str, end: str) -> tuple[str, str]:
    try:
        a, b = parse(start), parse(end)
    except ValueError as ex:
        raise BadRequestError("from and to are ISO 8601 times") from ex
    if a.tzinfo is None or b.tzinfo is None or b <= a:
        raise BadRequestError("from and to need an offset, and to must be after from")
    return iso(a), iso(b)


def outcome(m: dict[str, Any], schedules: dict[str, Any], at: datetime) -> str:
    """met, missed or open, for one metric of the SLA state."""
    if m.get("stopped_at"):
        return "met" if m.get("met") else "missed"
    return "missed" if sla.time_left(m, schedules, at) <= 0 else "open"


def _rows(tickets: Iterable[Ticket], at: datetime) -> list[dict[str, Any]]:
    rows = []
    schedules = slaclock.config()[1]
    for t in tickets:
        metrics = (t.sla or {}).get("metrics") or {}
        targeted = {n: m for n, m in metrics.items() if m.get("target") is not None}
        if not targeted:
            continue
        row: dict[str, Any] = {
            "ticket_id": t.id,
            "number": t.number,
            "priority": str(t.priority),
            "status": str(t.status),
            "assignee_id": t.assignee_id or "unassigned",
            "created_at": t.created_at,
            "policy_id": (t.sla or {}).get("policy_id") or "",
        }
        for name in sla.METRICS:
            m = targeted.get(name)
            row[f"{name}_target_minutes"] = m["target"] if m else ""
            row[f"{name}_due_at"] = (m.get("due_at") or "") if m else ""
            row[f"{name}_outcome"] = outcome(m, schedules, at) if m else ""
        rows.append(row)
    return rows


def _group(key: str, rows: list[dict[str, Any]]) -> SlaReportGroup:
    shares: dict[str, SlaShare] = {}
    for name in sla.METRICS:
        outcomes = [r[f"{name}_outcome"] for r in rows]
        met, missed, running = (outcomes.count(o) for o in ("met", "missed", "open"))
        decided = met + missed
        shares[name] = SlaShare(
            met=met,
            missed=missed,
            open=running,
            share=round(met / decided, 4) if decided else None,
        )
    return SlaReportGroup(key=key, **shares)


def _read(p: Principal, start: str, end: str) -> tuple[str, str, list[dict[str, Any]], bool]:
    p.require_staff()
    start, end = _period(start, end)
    tickets, more = store_lists.queue_created_between(start, end, MAX_TICKETS)
    return start, end, _rows(tickets, now()), more


def report(p: Principal, start: str, end: str) -> SlaReport:
    """The shares meeting each target (staff)."""
    start, end, rows, more = _read(p, start, end)
    by_priority = sorted({r["priority"] for r in rows})
    by_agent = sorted({r["assignee_id"] for r in rows})
    return SlaReport.model_validate(
        {
            "from": start,
            "to": end,
            "tickets": len(rows),
            "truncated": more,
            "overall": _group("all", rows),
            "by_priority": [
                _group(k, [r for r in rows if r["priority"] == k]) for k in by_priority
            ],
            "by_agent": [_group(k, [r for r in rows if r["assignee_id"] == k]) for k in by_agent],
        }
    )


def report_csv(p: Principal, start: str, end: str) -> str:
    """The tickets behind the report, one row each (RFC 4180, a header row)."""
    _, _, rows, _ = _read(p, start, end)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()

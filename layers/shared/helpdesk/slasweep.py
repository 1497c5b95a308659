"""The SLA sweep (issue 23): `SlaSweepFunction` runs every minute (an EventBridge rate
rule) and fires `sla.warning` and `sla.breached` for the tickets that are due.

It reads only the due tickets: the SLA_NEXT due list (`store.lists.sla_to_act`: entries up
to now, kept by the list indexer at each ticket's next warning or due time), never a Scan.
Each ticket is then changed through `tickets.mutate` (read, decide, write conditioned on the
version read): the events fire at the sweep's own time (never back-dated), once per metric
and cycle (the state records the cycle each event fired for, in the same write), never for
a fulfilled metric (a reply that won the race changed the version: the sweep reads again
and finds nothing due), and a warning only while its schedule is open. Two sweeps at once,
or one late, fire nothing twice: the loser of the version race reads the winner's marks.
The events are the ticket's history and its change-feed record, so webhooks and the mail
notifier see them like any other change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from aws_lambda_powertools import Logger

from helpdesk import business_hours, sla, slaclock, telemetry
from helpdesk.clock import iso, now
from helpdesk.domain import Side, Ticket, TicketEvent
from helpdesk.errors import HelpdeskError
from helpdesk.lifecycle import Outcome
from helpdesk.store import lists as store_lists
from helpdesk.tickets import mutate

logger = Logger(service="helpdesk")

ACTOR = "sla"  # the events' actor: the service levels, not a person
EVENT_TYPES = {"sla.warning": "sla_warning", "sla.breached": "sla_breached"}
PAGE = 100
MAX_TICKETS = 2_000  # a run's bound; the next run (a minute later) goes on


class SweepReport(NamedTuple):
    read: int  # due-list entries read
    fired: int  # events fired
    warnings: int
    breaches: int
    queries: int  # Query calls on the due list


def run(at: datetime | None = None, max_tickets: int = MAX_TICKETS) -> SweepReport:
    """Fire what is due at `at` (now): one Query per 100 due entries, then per due ticket
    one read and, when something fires, one transaction."""
    at = at or now()
    _, schedules = slaclock.config()
    read = fired = warnings = breaches = queries = 0
    after: str | None = None
    while read < max_tickets:
        ids, after = store_lists.sla_to_act(iso(at), min(PAGE, max_tickets - read), after)
        queries += 1
        read += len(ids)
        for ticket_id in ids:
            for f in _fire(ticket_id, at, schedules):
                fired += 1
                warnings += f == "sla.warning"
                breaches += f == "sla.breached"
        if after is None:
            break
    telemetry.count("SlaWarnings", warnings)
    telemetry.count("SlaBreaches", breaches)
    logger.info("sla sweep", extra={"read": read, "fired": fired, "queries": queries})
    return SweepReport(read, fired, warnings, breaches, queries)


def _fire(
    ticket_id: str, at: datetime, schedules: Mapping[str, business_hours.Schedule]
) -> list[str]:
    """The events fired for one ticket (its types); none if nothing is due any more."""

    def change(t: Ticket) -> Outcome:
        if t.deleted_at is not None or not t.sla:
            return Outcome(t, [])
        firings = sla.due_firings(t.sla, schedules, at)
        if not firings:
            return Outcome(t, [])
        new = t.model_copy(deep=True)
        events = []
        for f in firings:
            new.event_seq += 1
            events.append(
                TicketEvent(
                    ticket_id=t.id,
                    seq=new.event_seq,
                    type=EVENT_TYPES[f.type],
                    actor_id=ACTOR,
                    actor_side=Side.STAFF,
                    at=iso(at),
                    data={
                        "metric": f.metric,
                        "cycle": f.cycle,
                        "due_at": f.due_at,
                        "target_minutes": f.target,
                        "schedule": f.schedule,
                        "policy_id": t.sla.get("policy_id"),
                    },
                )
            )
        # not updated_at: the ticket did not change, its service level did (the queue's
        # "recently updated" order stays the people's)
        new.sla = slaclock.compact(sla.mark_fired(t.sla, firings))
        new.version += 1
        return Outcome(new, events)

    try:
        out = mutate(ticket_id, change, may_change=lambda t: True)
    except HelpdeskError as ex:  # gone since the entry was read: nothing to fire
        logger.info("sla sweep: ticket skipped", extra={"ticket_id": ticket_id, "code": ex.code})
        return []
    return [e.type.replace("_", ".", 1) for e in out.events]

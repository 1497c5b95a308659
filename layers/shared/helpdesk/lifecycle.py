"""The ticket lifecycle: who may do what from which status, and what it does.

Pure functions over `Ticket`: each takes the current ticket and returns the
next one plus the events to append. Handlers and the store never decide a
transition; they call these. The table below is the whole status machine
(documented in docs/design.md and walked exhaustively by the unit tests).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NamedTuple

from helpdesk.clock import seconds_between
from helpdesk.domain import Message, Side, Status, Ticket, TicketEvent
from helpdesk.errors import (
    InvalidTransitionError,
    RatingNotAllowedError,
    TicketClosedError,
    TicketLockedError,
)


class Action(StrEnum):
    REPLY = "reply"
    NOTE = "note"
    CLOSE = "close"
    REOPEN = "reopen"
    READ = "read"
    RATE = "rate"
    SET_STATUS = "set_status"


_ALL = tuple(Status)

# (action, side) -> {from status: to status}. A missing from-status is refused.
# Customer replies hand the ticket back to staff (LeaderOS "User-Reply" -> open);
# a staff reply on an open ticket means it is being worked on (Collie's
# auto-transition, LeaderOS "Answered" -> in_progress).
TRANSITIONS: dict[tuple[Action, Side], dict[Status, Status]] = {
    (Action.REPLY, Side.CUSTOMER): {s: Status.OPEN for s in _ALL if s is not Status.CLOSED},
    (Action.REPLY, Side.STAFF): {
        Status.OPEN: Status.IN_PROGRESS,
        Status.IN_PROGRESS: Status.IN_PROGRESS,
        Status.WAITING: Status.WAITING,
        Status.RESOLVED: Status.RESOLVED,
    },
    (Action.NOTE, Side.STAFF): {s: s for s in _ALL},
    (Action.CLOSE, Side.CUSTOMER): dict.fromkeys(_ALL, Status.CLOSED),
    (Action.CLOSE, Side.STAFF): dict.fromkeys(_ALL, Status.CLOSED),
    (Action.REOPEN, Side.CUSTOMER): {
        Status.CLOSED: Status.OPEN,
        Status.RESOLVED: Status.OPEN,
        Status.OPEN: Status.OPEN,
        Status.IN_PROGRESS: Status.IN_PROGRESS,
        Status.WAITING: Status.WAITING,
    },
    (Action.READ, Side.CUSTOMER): {s: s for s in _ALL},
    (Action.READ, Side.STAFF): {s: s for s in _ALL},
    (Action.RATE, Side.CUSTOMER): {Status.RESOLVED: Status.RESOLVED, Status.CLOSED: Status.CLOSED},
}

RATING_CHANGE_WINDOW_SECONDS = 7 * 24 * 3600


class Outcome(NamedTuple):
    """What a change produced: the next ticket, its events, and the messages written with it."""

    ticket: Ticket
    events: list[TicketEvent]
    messages: tuple[Message, ...] = ()
    # the ticket's first response time when this change is its first response (a metric)
    first_response_seconds: int | None = None

    @property
    def changed(self) -> bool:
        return bool(self.events)


def allowed(action: Action, side: Side, status: Status) -> bool:
    return status in TRANSITIONS.get((action, side), {})


def target(action: Action, side: Side, status: Status) -> Status:
    """The status `action` leads to, or the domain error that refuses it."""
    table = TRANSITIONS.get((action, side))
    if table is None or status not in table:
        if action is Action.REPLY and status is Status.CLOSED:
            raise TicketClosedError("Closed tickets do not take replies; reopen it first")
        if action is Action.RATE:
            raise RatingNotAllowedError("Only resolved or closed tickets can be rated")
        raise InvalidTransitionError(f"Cannot {action.value} a ticket that is {status.value}")
    return table[status]


class _Change:
    """Collects field changes on a copy of the ticket and emits events for them."""

    def __init__(self, ticket: Ticket, actor_id: str, side: Side, now: str) -> None:
        self.before = ticket
        self.ticket = ticket.model_copy(deep=True)
        self.actor_id, self.side, self.now = actor_id, side, now
        self.events: list[TicketEvent] = []

    def set(self, **values: Any) -> dict[str, dict[str, Any]]:
        changes: dict[str, dict[str, Any]] = {}
        for name, value in values.items():
            old = getattr(self.ticket, name)
            if old != value:
                changes[name] = {"from": old, "to": value}
                setattr(self.ticket, name, value)
        return changes

    def event(
        self, type_: str, changes: dict[str, dict[str, Any]] | None = None, **data: Any
    ) -> None:
        self.ticket.event_seq += 1
        self.events.append(
            TicketEvent(
                ticket_id=self.ticket.id,
                seq=self.ticket.event_seq,
                type=type_,
                actor_id=self.actor_id,
                actor_side=self.side,
                at=self.now,
                changes=changes or {},
                data=data,
            )
        )

    def status_to(self, new: Status) -> None:
        old = self.ticket.status
        if new is old:
            return
        changes = self.set(status=new)
        if new is Status.CLOSED:
            changes |= self.set(closed_at=self.now, closed_by=self.actor_id)
        elif old is Status.CLOSED:
            changes |= self.set(closed_at=None, closed_by=None)
        if new in (Status.RESOLVED, Status.CLOSED) and self.ticket.resolution_seconds is None:
            self.ticket.resolved_at = self.now
            self.ticket.resolution_seconds = seconds_between(self.ticket.created_at, self.now)
        if new is Status.CLOSED:
            self.event("closed", changes)
        elif old in (Status.CLOSED, Status.RESOLVED) and new is Status.OPEN:
            self.event("reopened", changes)
        else:
            self.event("status_changed", changes)

    def done(self) -> Outcome:
        if self.events:
            self.ticket.updated_at = self.now
            self.ticket.version += 1
        return Outcome(self.ticket, self.events)


def open_ticket(ticket: Ticket, actor_id: str, now: str) -> Outcome:
    """A new ticket with its first (customer) message: the `created` event and counters."""
    ch = _Change(ticket, actor_id, Side.CUSTOMER, now)
    t = ch.ticket
    t.message_count, t.staff_unread_count, t.customer_unread_count = 1, 1, 0
    t.customer_last_replied_at = t.last_activity_at = t.customer_last_read_at = now
    t.waiting_since = now
    ch.event("created", number=t.number, subject=t.subject)
    out = ch.done()
    out.ticket.version = 1
    return out


def open_ticket_for(ticket: Ticket, staff_id: str, now: str, initial: Status) -> Outcome:
    """A ticket staff opens on the requester's behalf (phone, e-mail, ...): the first message
    is the requester's (as he told it), the `created` event is the staff member's and names
    the requester and the channel, then the initial status (its own event). The staff
    member has read it: nothing is unread."""
    ch = _Change(ticket, staff_id, Side.STAFF, now)
    t = ch.ticket
    t.message_count, t.staff_unread_count, t.customer_unread_count = 1, 0, 0
    t.customer_last_replied_at = t.last_activity_at = t.customer_last_read_at = now
    t.staff_last_read_at = t.waiting_since = now
    ch.event(
        "created",
        number=t.number,
        subject=t.subject,
        on_behalf_of=t.requester_id,
        channel=t.channel.value if t.channel else None,
    )
    ch.status_to(initial)
    out = ch.done()
    out.ticket.version = 1
    return out


def reply(
    ticket: Ticket,
    actor_id: str,
    side: Side,
    now: str,
    message_id: str,
    *,
    next_status: Status | None = None,
) -> Outcome:
    """A public message from `side`: status, counters, read state and response metrics."""
    new_status = target(Action.REPLY, side, ticket.status)
    ch = _Change(ticket, actor_id, side, now)
    t = ch.ticket
    t.message_count += 1
    t.last_activity_at = now
    if side is Side.CUSTOMER:
        t.customer_last_replied_at = now
        t.customer_unread_count, t.customer_last_read_at = 0, now
        t.staff_unread_count += 1
        if t.waiting_since is None:
            t.waiting_since = now
    else:
        t.staff_last_replied_at = now
        t.staff_unread_count, t.staff_last_read_at = 0, now
        t.customer_unread_count += 1
        if t.waiting_since is not None:
            t.interaction_count += 1
            t.longest_wait_seconds = max(
                t.longest_wait_seconds, seconds_between(t.waiting_since, now)
            )
            if t.first_response_seconds is None:
                t.first_response_seconds = seconds_between(t.created_at, now)
            t.waiting_since = None
    first_response = ticket.first_response_seconds is None and t.first_response_seconds is not None
    ch.event("replied", message_id=message_id, side=side.value)
    ch.status_to(new_status)
    if next_status is not None and side is Side.STAFF:
        ch.status_to(next_status)  # staff may move a ticket to any status
    out = ch.done()
    return out._replace(first_response_seconds=t.first_response_seconds) if first_response else out


def add_note(ticket: Ticket, actor_id: str, now: str, message_id: str) -> Outcome:
    """An internal note: never changes status or the customer's unread count."""
    target(Action.NOTE, Side.STAFF, ticket.status)
    ch = _Change(ticket, actor_id, Side.STAFF, now)
    ch.ticket.note_count += 1
    ch.event("note_added", message_id=message_id)
    return ch.done()


def close(ticket: Ticket, actor_id: str, side: Side, now: str) -> Outcome:
    """Close; closing a closed ticket changes nothing (and is not an error)."""
    ch = _Change(ticket, actor_id, side, now)
    ch.status_to(target(Action.CLOSE, side, ticket.status))
    return ch.done()


def reopen(ticket: Ticket, actor_id: str, side: Side, now: str) -> Outcome:
    """Reopen a closed or resolved ticket, unless staff locked it; a no-op on open tickets."""
    if (
        ticket.locked
        and side is Side.CUSTOMER
        and ticket.status in (Status.CLOSED, Status.RESOLVED)
    ):
        raise TicketLockedError()
    ch = _Change(ticket, actor_id, side, now)
    ch.status_to(target(Action.REOPEN, side, ticket.status))
    if ch.events and ch.ticket.waiting_since is None:
        ch.ticket.waiting_since = now
    return ch.done()


def mark_read(ticket: Ticket, actor_id: str, side: Side, now: str) -> Outcome:
    """Everything up to `now` is read by `side`; unread counts fall to zero."""
    target(Action.READ, side, ticket.status)
    ch = _Change(ticket, actor_id, side, now)
    if side is Side.CUSTOMER:
        changes = ch.set(customer_unread_count=0, customer_last_read_at=now)
    else:
        changes = ch.set(staff_unread_count=0, staff_last_read_at=now)
    ch.event(
        "read", {k: v for k, v in changes.items() if k.endswith("unread_count")}, side=side.value
    )
    return ch.done()


def soft_delete(ticket: Ticket, actor_id: str, now: str, purge_at: int) -> Outcome:
    """Hide the ticket (purged at `purge_at` unless restored); a no-op on a deleted ticket."""
    ch = _Change(ticket, actor_id, Side.STAFF, now)
    if ticket.deleted_at is None:
        ch.event("deleted", ch.set(deleted_at=now, deleted_by=actor_id, purge_at=purge_at))
    return ch.done()


def merge_source(ticket: Ticket, actor_id: str, now: str, target: Ticket) -> Outcome:
    """The merged ticket: closed, pointing at the target."""
    ch = _Change(ticket, actor_id, Side.STAFF, now)
    ch.event(
        "merged_into",
        ch.set(merged_into=target.id, merged_into_number=target.number),
        target_id=target.id,
        target_number=target.number,
    )
    ch.status_to(Status.CLOSED)
    return ch.done()


def merge_target(
    ticket: Ticket, actor_id: str, now: str, source: Ticket, messages: int, notes: int
) -> Outcome:
    """The receiving ticket: the source's messages and notes now count here too."""
    ch = _Change(ticket, actor_id, Side.STAFF, now)
    ch.ticket.message_count += messages
    ch.ticket.note_count += notes
    ch.event(
        "merged_from",
        source_id=source.id,
        source_number=source.number,
        messages=messages,
        notes=notes,
    )
    return ch.done()


def restore(ticket: Ticket, actor_id: str, now: str) -> Outcome:
    """Bring a deleted ticket back as it was; a no-op on a ticket that is not deleted."""
    ch = _Change(ticket, actor_id, Side.STAFF, now)
    if ticket.deleted_at is not None:
        ch.event("restored", ch.set(deleted_at=None, deleted_by=None, purge_at=None))
    return ch.done()


def anonymize(ticket: Ticket, actor_id: str, now: str, placeholder: str) -> Outcome:
    """Erase the requester's personal data from the ticket; status, counts and metrics stay.

    The event carries no before/after: the old values are what is being erased.
    """
    ch = _Change(ticket, actor_id, Side.STAFF, now)
    changed = ch.set(
        subject=placeholder,
        requester_name="",
        requester_email="",
        cc=[],
        rating_comment=None,
    )
    if changed:
        ch.event("requester_erased")
    return ch.done()


def rate(ticket: Ticket, actor_id: str, now: str, rating: int, comment: str | None) -> Outcome:
    """Rate a resolved or closed ticket; the rating may change for 7 days after the first."""
    target(Action.RATE, Side.CUSTOMER, ticket.status)
    if (
        ticket.first_rated_at
        and seconds_between(ticket.first_rated_at, now) > RATING_CHANGE_WINDOW_SECONDS
    ):
        raise RatingNotAllowedError("Ratings can be changed for 7 days only")
    ch = _Change(ticket, actor_id, Side.CUSTOMER, now)
    changes = ch.set(rating=rating, rating_comment=comment)
    ch.ticket.rated_at = now
    if ch.ticket.first_rated_at is None:
        ch.ticket.first_rated_at = now
    ch.event("rated", changes)
    return ch.done()


# Staff may move a ticket to any status; each field change is its own event.
_FIELD_EVENTS = {
    "priority": "priority_changed",
    "assignee_id": "assigned",
    "tags": "tags_changed",
    "manager_comment": "manager_comment_changed",
    "close_reason": "close_reason_changed",
    "external_refs": "external_refs_changed",
}


def staff_update(
    ticket: Ticket,
    actor_id: str,
    now: str,
    fields: dict[str, Any],
    *,
    forward_note: str | None = None,
) -> Outcome:
    """Apply a staff PATCH: one event per changed field; status last (after close reason).

    `fields` holds only what the request set (None clears, e.g. unassign). A department
    change is a forward (`forwarded` event with from/to and the note); `locked=True`
    force-closes the ticket unless the request names another status.
    """
    ch = _Change(ticket, actor_id, Side.STAFF, now)
    for name, event_type in _FIELD_EVENTS.items():
        if name in fields:
            changes = ch.set(**{name: fields[name]})
            if changes:
                ch.event(event_type, changes)
    if "category_id" in fields or "sub_category_id" in fields:
        changes = ch.set(
            category_id=fields.get("category_id", ch.ticket.category_id),
            sub_category_id=fields.get("sub_category_id", ch.ticket.sub_category_id),
        )
        if changes:
            ch.event("category_changed", changes)
    if "department_id" in fields:
        changes = ch.set(department_id=fields["department_id"])
        if changes:
            ch.event("forwarded", changes, note=forward_note)
    if "locked" in fields:
        changes = ch.set(locked=bool(fields["locked"]))
        if changes:
            ch.event("locked" if fields["locked"] else "unlocked", changes)
            if fields["locked"] and "status" not in fields:
                ch.status_to(Status.CLOSED)
    if fields.get("status") is not None:
        ch.status_to(Status(fields["status"]))
    return ch.done()

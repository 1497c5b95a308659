"""The status machine, walked over every (status, action, side) triple.

The expected table is written out here by hand from the issue and docs/design.md,
not derived from `lifecycle.TRANSITIONS`, so a change to the machine fails a test.
"""

from __future__ import annotations

import itertools

import pytest

from helpdesk import lifecycle
from helpdesk.domain import Side, Status, Ticket
from helpdesk.errors import (
    HelpdeskError,
    InvalidTransitionError,
    RatingNotAllowedError,
    TicketClosedError,
    TicketLockedError,
)
from helpdesk.lifecycle import Action

A = Action
S = Status
C, ST = Side.CUSTOMER, Side.STAFF
T0 = "2026-03-02T09:00:00.000000Z"
NOW = "2026-03-02T10:00:00.000000Z"

_OPENISH = (S.OPEN, S.IN_PROGRESS, S.WAITING)

_STAFF_REPLY: dict[Status, Status | type[HelpdeskError]] = {
    S.OPEN: S.IN_PROGRESS,
    S.IN_PROGRESS: S.IN_PROGRESS,
    S.WAITING: S.WAITING,
    S.RESOLVED: S.RESOLVED,
    S.CLOSED: TicketClosedError,
}

# (action, side, from) -> to status, or the error that refuses it.
EXPECTED: dict[tuple[Action, Side, Status], Status | type[HelpdeskError]] = {}
for _s in Status:
    EXPECTED |= {
        (A.REPLY, C, _s): TicketClosedError if _s is S.CLOSED else S.OPEN,
        (A.REPLY, ST, _s): _STAFF_REPLY[_s],
        (A.NOTE, C, _s): InvalidTransitionError,
        (A.NOTE, ST, _s): _s,
        (A.CLOSE, C, _s): S.CLOSED,
        (A.CLOSE, ST, _s): S.CLOSED,
        (A.REOPEN, C, _s): S.OPEN if _s in (S.CLOSED, S.RESOLVED) else _s,
        # staff move tickets with PATCH status, not with the customer's reopen
        (A.REOPEN, ST, _s): InvalidTransitionError,
        (A.READ, C, _s): _s,
        (A.READ, ST, _s): _s,
        (A.RATE, C, _s): _s if _s in (S.RESOLVED, S.CLOSED) else RatingNotAllowedError,
        (A.RATE, ST, _s): RatingNotAllowedError,
        # SET_STATUS is staff_update (any status to any); it has no table entry
        (A.SET_STATUS, C, _s): InvalidTransitionError,
        (A.SET_STATUS, ST, _s): InvalidTransitionError,
    }

TRIPLES = list(itertools.product(Action, Side, Status))


def test_the_expected_table_covers_every_triple() -> None:
    assert set(EXPECTED) == set(TRIPLES)


def ticket(status: Status, **extra: object) -> Ticket:
    return Ticket(
        id="tkt_1",
        number=1001,
        subject="s",
        requester_id="mia",
        status=status,
        created_at=T0,
        updated_at=T0,
        last_activity_at=T0,
        message_count=1,
        staff_unread_count=1,
        version=3,
        **extra,
    )


@pytest.mark.parametrize(("action", "side", "status"), TRIPLES)
def test_target_and_allowed(action: Action, side: Side, status: Status) -> None:
    # Given the expected outcome of the triple
    expected = EXPECTED[(action, side, status)]
    # When the machine is asked / Then it agrees with the hand-written table
    if isinstance(expected, Status):
        assert lifecycle.allowed(action, side, status)
        assert lifecycle.target(action, side, status) is expected
    else:
        assert not lifecycle.allowed(action, side, status)
        with pytest.raises(expected):
            lifecycle.target(action, side, status)


def _apply(action: Action, side: Side, t: Ticket) -> lifecycle.Outcome:
    if action is A.REPLY:
        return lifecycle.reply(t, "actor", side, NOW, "msg_1")
    if action is A.NOTE:
        if side is C:
            lifecycle.target(A.NOTE, C, t.status)  # customers have no note function
        return lifecycle.add_note(t, "actor", NOW, "msg_1")
    if action is A.CLOSE:
        return lifecycle.close(t, "actor", side, NOW)
    if action is A.REOPEN:
        return lifecycle.reopen(t, "actor", side, NOW)
    if action is A.READ:
        return lifecycle.mark_read(t, "actor", side, NOW)
    if action is A.RATE:
        if side is ST:
            lifecycle.target(A.RATE, ST, t.status)
        return lifecycle.rate(t, "actor", NOW, 4, None)
    lifecycle.target(A.SET_STATUS, side, t.status)
    raise AssertionError("unreachable: SET_STATUS has no table entry")


@pytest.mark.parametrize(("action", "side", "status"), TRIPLES)
def test_each_transition_function_follows_the_table(
    action: Action, side: Side, status: Status
) -> None:
    # Given a ticket in `status`
    before = ticket(status)
    expected = EXPECTED[(action, side, status)]
    if not isinstance(expected, Status):
        # When the action is refused / Then with the table's error, and nothing changes
        with pytest.raises(expected):
            _apply(action, side, before)
        return
    # When the action is applied
    out = _apply(action, side, before)
    # Then the status is the table's, the input is untouched, and every change is an event
    assert out.ticket.status is expected
    assert before.status is status and before.version == 3
    if out.changed:
        assert out.ticket.version == 4 and out.ticket.updated_at == NOW
        assert [e.seq for e in out.events] == list(range(1, len(out.events) + 1))
    else:
        assert out.ticket.version == 3
    if expected is not status:
        types = {e.type for e in out.events}
        assert types & {"closed", "reopened", "status_changed"}
    if expected is S.CLOSED and status is not S.CLOSED:
        assert (out.ticket.closed_at, out.ticket.closed_by) == (NOW, "actor")


@pytest.mark.parametrize("status", list(Status))
def test_close_and_reopen_are_idempotent(status: Status) -> None:
    # Given a closed ticket / When closed again / Then nothing changes and no event
    closed = lifecycle.close(ticket(status), "mia", C, NOW).ticket
    again = lifecycle.close(closed, "mia", C, NOW)
    assert not again.changed and again.ticket.status is S.CLOSED
    # Given an open ticket / When reopened / Then nothing changes
    if status in _OPENISH:
        assert not lifecycle.reopen(ticket(status), "mia", C, NOW).changed


@pytest.mark.parametrize("status", [S.CLOSED, S.RESOLVED])
def test_locked_tickets_cannot_be_reopened_by_the_customer(status: Status) -> None:
    with pytest.raises(TicketLockedError):
        lifecycle.reopen(ticket(status, locked=True), "mia", C, NOW)


@pytest.mark.parametrize(("old", "new"), list(itertools.product(Status, Status)))
def test_staff_may_set_any_status(old: Status, new: Status) -> None:
    # Given a ticket in `old` / When staff PATCH status `new`
    out = lifecycle.staff_update(ticket(old), "agnes", NOW, {"status": new})
    # Then it is `new`, with one event if it moved and none if not
    assert out.ticket.status is new
    assert len(out.events) == (0 if old is new else 1)


@pytest.mark.parametrize("side", list(Side))
def test_replies_move_the_counters_of_the_other_side(side: Side) -> None:
    # Given a ticket with one customer message, unread by staff
    t = ticket(S.WAITING, customer_unread_count=2)
    # When `side` replies
    out = lifecycle.reply(t, "x", side, NOW, "msg_2").ticket
    # Then the message count grows, the replier's unread falls to zero, the other side's grows
    assert out.message_count == 2
    if side is C:
        assert (out.customer_unread_count, out.staff_unread_count) == (0, 2)
    else:
        assert (out.customer_unread_count, out.staff_unread_count) == (3, 0)


def test_note_changes_no_status_and_no_unread_count() -> None:
    out = lifecycle.add_note(ticket(S.OPEN), "agnes", NOW, "msg_2").ticket
    assert (out.status, out.customer_unread_count, out.staff_unread_count) == (S.OPEN, 0, 1)
    assert (out.note_count, out.message_count) == (1, 1)


@pytest.mark.parametrize("side", list(Side))
def test_read_zeroes_only_the_readers_unread(side: Side) -> None:
    out = lifecycle.mark_read(ticket(S.OPEN, customer_unread_count=2), "x", side, NOW).ticket
    expected = (0, 1) if side is C else (2, 0)
    assert (out.customer_unread_count, out.staff_unread_count) == expected


def test_rating_may_change_for_seven_days_only() -> None:
    # Given a ticket first rated at T0
    rated = lifecycle.rate(ticket(S.RESOLVED), "mia", T0, 2, "slow").ticket
    # When changed 6 days later / Then it changes and keeps the first rating time
    changed = lifecycle.rate(rated, "mia", "2026-03-08T09:00:00.000000Z", 5, None).ticket
    assert (changed.rating, changed.rating_comment, changed.first_rated_at) == (5, None, T0)
    # When changed 8 days after the first rating / Then refused
    with pytest.raises(RatingNotAllowedError):
        lifecycle.rate(changed, "mia", "2026-03-10T09:00:00.000000Z", 1, None)

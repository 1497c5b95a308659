"""The one-click rating links of the "resolved" mail (docs/design.md, "Mail").

The requester's `ticket_resolved` mail links `/app/rate/<token>?score=N`, one link per score
of the rating scale. The token (`signing.rating_token`, salt `helpdesk.rating`) names the
ticket and its requester, signed with the console's keys and timestamped: it is good for
`MAX_AGE_SECONDS`, for that ticket only, and it is the credential (no sign-in). Opening the
link (`check`) writes nothing, since mail scanners fetch links; `rate` records the rating
as the requester through `tickets.rate`: the lifecycle's rules (resolved or closed only,
the 7-day change window) and the ticket's ownership check, as `POST /tickets/{id}/rating`.
"""

from __future__ import annotations

from helpdesk import lifecycle, signing, tickets
from helpdesk.clock import now_iso
from helpdesk.domain import RATING_MAX, Ticket
from helpdesk.errors import RatingLinkInvalidError
from helpdesk.models.tickets import RatingRequest, TicketSummary
from helpdesk.principal import Principal
from helpdesk.store import tickets as store_tickets

MAX_AGE_SECONDS = 30 * 86400  # a resolved mail's links work for 30 days


def open_link(token: str) -> tuple[Ticket, Principal]:
    """The ticket a rating token names and its requester (as the caller); a forged, altered
    or expired token, or one for a deleted (purged) ticket, another requester or an erased
    one: 404."""
    found = signing.loads(signing.RATING, token, MAX_AGE_SECONDS)
    value = found[0] if found else None
    if not isinstance(value, dict):
        raise RatingLinkInvalidError()
    ticket_id, requester_id = value.get("t"), value.get("u")
    if not (isinstance(ticket_id, str) and isinstance(requester_id, str) and ticket_id):
        raise RatingLinkInvalidError()
    ticket = store_tickets.get_ticket(ticket_id)
    if ticket is None or ticket.deleted_at is not None or ticket.requester_id != requester_id:
        raise RatingLinkInvalidError()
    # the address the mail went to must still be the ticket's: erasure blanks it, so an
    # erased requester's old links open nothing (links minted before "e" was signed in
    # carry none and expire within MAX_AGE_SECONDS)
    if "e" in value and (
        not ticket.requester_email or str(value["e"]) != ticket.requester_email.lower()
    ):
        raise RatingLinkInvalidError()
    # a guest's ticket too: its requester is the guest identity (guests.guest_user_id)
    requester = Principal(
        user_id=ticket.requester_id, name=ticket.requester_name, email=ticket.requester_email
    )
    return ticket, requester


def check(token: str) -> Ticket:
    """The ticket a link opens, if it may be rated now; writes nothing. A ticket that can no
    longer be rated raises the lifecycle's own error (RatingNotAllowedError)."""
    ticket, requester = open_link(token)
    lifecycle.rate(ticket, requester.user_id, now_iso(), RATING_MAX, None)  # a dry run
    return ticket


def rate(token: str, req: RatingRequest) -> TicketSummary:
    """Record (or change) the rating as the ticket's requester (`POST /tickets/{id}/rating`)."""
    ticket, requester = open_link(token)
    return tickets.rate(requester, ticket.id, req)

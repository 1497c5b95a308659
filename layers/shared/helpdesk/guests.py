"""The public contact form: tickets from people without an account.

A guest is identified by their e-mail (user id `guest_<sha256 of it>`); the
ticket is opened through `tickets` like any other, flagged `guest`. The
answer carries a private link secret; only its SHA-256 is stored, on an item
for that one ticket. A missing or wrong secret is a 404, like a ticket that
does not exist.
"""

from __future__ import annotations

import hmac
import secrets

from helpdesk import ratelimit, signing, tickets
from helpdesk.errors import SpamSuspectedError, TicketNotFoundError
from helpdesk.ids import digest
from helpdesk.models.public import PublicTicketCreated, PublicTicketRequest
from helpdesk.models.tickets import (
    CreateTicketRequest,
    MessageResponse,
    ReplyRequest,
    TicketResponse,
    TicketSummary,
)
from helpdesk.principal import Principal
from helpdesk.settings import public_form_settings
from helpdesk.store import guest_links as store_guest_links
from helpdesk.store import keys as store_keys
from helpdesk.store import tickets as store_tickets


def guest_user_id(email: str) -> str:
    """The guest identity for `email` (the same for every ticket from that address)."""
    return f"guest_{digest(email.strip().lower())[:32]}"


def create(req: PublicTicketRequest, source_ip: str) -> PublicTicketCreated:
    """Open a guest ticket; rate-limited per source IP and per e-mail address."""
    email = str(req.email).lower()
    # The form is unauthenticated: these keep one address or one sender from flooding the
    # desk. Counted before the honeypot so a robot is throttled as well as refused.
    limits = public_form_settings()
    window = limits.public_form_window_seconds
    ratelimit.check(store_keys.public_ip_bucket(source_ip), limits.public_form_ip_limit, window)
    ratelimit.check(
        store_keys.public_email_bucket(digest(email)), limits.public_form_email_limit, window
    )
    if req.website:
        raise SpamSuspectedError()
    p = Principal(
        user_id=guest_user_id(email), name=f"{req.first_name} {req.last_name}", email=email
    )
    body = req.message
    extra = [f"{k}: {v}" for k, v in (("Phone", req.phone), ("Company", req.company)) if v]
    if extra:
        # the form's contact details travel with the first message, where staff read them
        body = f"{body}\n\n---\n" + "\n".join(extra)
    secret = secrets.token_urlsafe(32)
    ticket = tickets.create_ticket(
        p,
        CreateTicketRequest(subject=req.subject, message=body, category_id=req.category_id),
        guest_link=store_guest_links.GuestLink(p.user_id, digest(secret), p.name, email),
    )
    return PublicTicketCreated(id=ticket.id, number=ticket.number, token=secret)


def _valid(ticket_id: str, link: store_guest_links.GuestLink, secret: str) -> bool:
    """The secret the form answered, or a mailed follow-up link's token."""
    if hmac.compare_digest(link.secret_hash, digest(secret)):
        return True
    if "." not in secret:  # not a signed token: no key read for a wrong secret
        return False
    signed = signing.unsign_short(signing.GUEST_LINK, secret)
    return signed is not None and hmac.compare_digest(
        signed, signing.guest_link_value(ticket_id, link.secret_hash)
    )


def _guest(ticket_id: str, secret: str | None) -> Principal:
    """The guest a valid link secret (or mailed link token) stands for (one GetItem: the
    link names the guest)."""
    link = store_guest_links.get_guest_link(ticket_id) if secret else None
    if link is None or secret is None or not _valid(ticket_id, link, secret):
        raise TicketNotFoundError()
    if link.email:
        return Principal(user_id=link.user_id, name=link.name, email=link.email)
    # a link written before links carried the guest's name and e-mail
    ticket = store_tickets.get_ticket(ticket_id)
    if ticket is None:
        raise TicketNotFoundError()
    return Principal(user_id=link.user_id, name=ticket.requester_name, email=ticket.requester_email)


def get(ticket_id: str, secret: str | None) -> TicketResponse:
    """The guest's ticket with its public thread (never internal notes)."""
    return tickets.get_ticket(_guest(ticket_id, secret), ticket_id)


def reply(
    ticket_id: str, secret: str | None, req: ReplyRequest
) -> tuple[MessageResponse, TicketSummary]:
    """A reply by the guest, as a customer reply (a closed ticket: TicketClosedError)."""
    return tickets.reply(_guest(ticket_id, secret), ticket_id, req)

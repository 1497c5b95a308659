"""E-mail notifications: who gets what for one change-feed record (docs/design.md, "Mail").

The table stream's FEED inserts (one per ticket change, ids only) come here one by one
(`ProcessChangesFunction`, through `helpdesk.consumers`). For each, `plan` decides the
mails from the record, its events, the ticket and its thread; `Notifier.deliver` sends
each exactly once:

- requester and the ticket's cc addresses: the acknowledgement of a new ticket, every public
  staff reply (its text and attachment names), a move to resolved or closed (the
  requester's with one signed one-click rating link per score), the merge of the ticket
  into another;
- staff: the assignee on a customer message, on being assigned and on an SLA warning or
  breach (issue 23); an unassigned ticket's customer message and SLA events go to its
  department's active agents, else to the queue address (`NotificationQueueAddress`), if any;
- never: internal notes (to anyone), mail to the change's own author, to a suppressed
  address, of a kind its recipient turned off, about a deleted (or purged) ticket.

One mail per recipient per record (a reply that also resolves is one mail: the reply).
Each mail is its own (per recipient: its own Reply-To token and unsubscribe link).
Exactly once: the notification record (ticket, recipient, event seq) is claimed with a
conditional put before SES is called; a claim that exists is never sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from aws_lambda_powertools import Logger

from helpdesk import mail, signing, telemetry
from helpdesk.clock import iso, now
from helpdesk.domain import RATING_SCALE, Department, Message, Side, Status, Ticket, TicketEvent
from helpdesk.ids import digest
from helpdesk.settings import mail_settings
from helpdesk.store import feed as store_feed
from helpdesk.store import guest_links as store_guest_links
from helpdesk.store import mail as store_mail
from helpdesk.store import people as store_people
from helpdesk.store import tickets as store_tickets

logger = Logger(service="helpdesk")

DONE = frozenset({Status.RESOLVED, Status.CLOSED})
# the event types that may call for mail (a record with none of them is skipped unread)
MAILED_TYPES = frozenset(
    {
        "created",
        "replied",
        "status_changed",
        "closed",
        "merged_into",
        "assigned",
        "sla_warning",
        "sla_breached",
    }
)
SLA_TYPES = frozenset({"sla_warning", "sla_breached"})


class Planned(NamedTuple):
    """One mail to send: its kind, the event it tells of, its recipient."""

    kind: str
    seq: int
    to: str
    role: str  # "customer" (requester, cc) or "staff"
    message: Message | None = None
    data: dict[str, Any] = {}


def _status_to(ev: TicketEvent) -> str | None:
    change = ev.changes.get("status")
    return str(change["to"]) if change else None


def _customers(ticket: Ticket) -> list[str]:
    out = [ticket.requester_email] if ticket.requester_email else []
    return out + [c for c in ticket.cc if c.lower() not in {o.lower() for o in out}]


Agents = Callable[[], list[str]]  # the addresses of the ticket's department's active agents


def _staff(ticket: Ticket, assignee: str | None, agents: Agents) -> list[str]:
    """Who hears of a customer's message: the assignee; on an unassigned ticket its
    department's active agents, else the queue address."""
    if ticket.assignee_id:
        return [assignee] if assignee else []
    found = agents() if ticket.department_id else []
    if found:
        return found
    queue = mail_settings().notification_queue_address
    return [queue] if queue else []


def _no_agents() -> list[str]:
    return []


def _may_carry_customer_message(record: store_feed.FeedRecord) -> bool:
    """A new ticket (its first message), or a reply not by staff."""
    return "created" in record.types or (
        "replied" in record.types and record.actor_side != Side.STAFF
    )


class _Wanted(NamedTuple):
    kind: str
    to: list[str]
    role: str
    extra: dict[str, Any]


Messages = Callable[[TicketEvent], Message | None]  # the public message an event is about


def _wanted(
    ev: TicketEvent,
    ticket: Ticket,
    staff: Callable[[], list[str]],
    message: Messages,
    staff_email: Callable[[str], str | None],
) -> list[_Wanted]:
    """The mails one event calls for (recipients not yet deduplicated); `staff` gives who
    hears of a customer's message (asked only when there is one)."""
    customers = _customers(ticket)
    if ev.type == "created":
        first = message(ev)
        return [
            _Wanted("ticket_created", customers, "customer", {}),
            _Wanted("customer_message", staff(), "staff", {"message": first}),
        ]
    if ev.type == "replied":
        msg = message(ev)
        if msg is None or msg.internal:
            return []
        if ev.actor_side is Side.STAFF:
            return [_Wanted("staff_reply", customers, "customer", {"message": msg})]
        return [_Wanted("customer_message", staff(), "staff", {"message": msg})]
    if _resolves(ev):
        return [_Wanted("ticket_resolved", customers, "customer", {})]
    if ev.type == "merged_into":
        return [_Wanted("ticket_merged", customers, "customer", {"data": dict(ev.data)})]
    if ev.type in SLA_TYPES:  # the assignee, else the department's agents, else the queue
        return [_Wanted(ev.type, staff(), "staff", {"data": dict(ev.data)})]
    if ev.type == "assigned":
        to = ev.changes.get("assignee_id", {}).get("to")
        email = staff_email(str(to)) if to else None
        return [_Wanted("ticket_assigned", [email], "staff", {})] if email else []
    return []  # note_added (internal), and everything else: no mail


def plan(
    record: store_feed.FeedRecord,
    ticket: Ticket,
    events: dict[int, TicketEvent],
    message: Messages,
    staff_email: Callable[[str], str | None],
    agents: Agents = _no_agents,
) -> list[Planned]:
    """The mails one record calls for, one per recipient (the first event's that names
    him), before the never-rules of the audience (author, suppressed, turned off), which
    `Notifier` applies. `agents` is asked (once) only for a customer's message on an
    unassigned ticket with a department."""
    out: dict[str, Planned] = {}  # recipient (lower case) -> the record's one mail to him
    assignee = staff_email(ticket.assignee_id) if ticket.assignee_id else None
    staff = cache(lambda: _staff(ticket, assignee, agents))
    for seq in record.seqs:
        ev = events.get(seq)
        for w in _wanted(ev, ticket, staff, message, staff_email) if ev else []:
            for address in w.to:
                if address and address.lower() not in out:
                    out[address.lower()] = Planned(w.kind, seq, address, w.role, **w.extra)
    # a reply that also resolves is one mail, the reply: it carries what the resolved mail
    # would (the rating links), so the customer is asked either way
    if any(_resolves(events.get(seq)) for seq in record.seqs):
        for key, p in out.items():
            if p.kind == "staff_reply":
                out[key] = p._replace(data={**p.data, "resolved": True})
    return list(out.values())


def _resolves(ev: TicketEvent | None) -> bool:
    return ev is not None and ev.type in ("status_changed", "closed") and _status_to(ev) in DONE


class Outcome(NamedTuple):
    sent: int = 0
    skipped: int = 0  # already sent (a replay) or claimed by an attempt that died


def _author_emails(
    record: store_feed.FeedRecord, ticket: Ticket, staff: Callable[[str], str | None]
) -> set[str]:
    if not record.actor_id:
        return set()
    if record.actor_id == ticket.requester_id:
        return {ticket.requester_email.lower()} if ticket.requester_email else set()
    found = staff(record.actor_id)
    return {found.lower()} if found else set()


def reply_to(ticket: Ticket, recipient: str) -> str:
    """`support+<token>@<domain>`: the ticket's number and the recipient's digest, signed."""
    token = signing.sign_short(
        signing.REPLY_TO, f"{ticket.number}.{digest(recipient.lower())[:10]}"
    )
    return f"support+{token}@{mail_settings().support_domain}"


def unsubscribe_url(recipient: str, kind: str) -> str:
    token = signing.dumps(signing.UNSUBSCRIBE, {"e": recipient.lower(), "k": kind})
    return f"{mail_settings().public_base_url}/public/unsubscribe/{token}"


class Notifier:
    """One batch's notifier (a staff directory cache); `remaining_ms` bounds SES retries."""

    def __init__(self, remaining_ms: Callable[[], int] | None = None) -> None:
        self.remaining_ms = remaining_ms
        self._members: dict[str, store_people.StaffMember | None] = {}

    def staff_email(self, user_id: str) -> str | None:
        """An assignee's (or author's) address; None if he is not active staff."""
        if user_id not in self._members:
            self._members[user_id] = store_people.get_staff(user_id)
        member = self._members[user_id]
        return member.email if member and member.active else None

    def agent_emails(self, department: Department | None) -> list[str]:
        """The addresses of the department's agents who are active staff (deactivated or
        demoted ones are left out): one BatchGetItem of those not read yet in this batch."""
        ids = department.agent_ids if department else []
        unread = [a for a in ids if a not in self._members]
        if unread:
            found = store_people.get_staff_many(unread)
            self._members.update({a: found.get(a) for a in unread})
        members = (self._members[a] for a in ids)
        return [m.email for m in members if m is not None and m.on_duty and m.email]

    def handle(self, image: dict[str, Any]) -> Outcome:
        """Send what one FEED record (a stream NewImage) calls for."""
        record = store_feed.from_image(image)
        if not MAILED_TYPES & set(record.types):
            return Outcome()  # notes, reads, ratings, edits, purges: no read at all
        ticket = store_tickets.get_ticket(record.ticket_id)
        if ticket is None or ticket.deleted_at is not None:
            return Outcome()  # never about a deleted (or purged) ticket
        # an unassigned ticket's department (its agents hear of a customer's message) comes
        # in the events' BatchGetItem: no call of its own
        department_id = (
            ticket.department_id
            if not ticket.assignee_id
            and (_may_carry_customer_message(record) or SLA_TYPES & set(record.types))
            else None
        )
        events, department = store_feed.get_events_and_department(
            [(record.ticket_id, s) for s in record.seqs], department_id
        )
        by_seq = {seq: ev for (_, seq), ev in events.items()}
        planned = plan(
            record,
            ticket,
            by_seq,
            self._messages(ticket),
            self.staff_email,
            lambda: self.agent_emails(department),
        )
        authors = _author_emails(record, ticket, self.staff_email)
        # never to the change's author, save the acknowledgement of the ticket he opened
        planned = [p for p in planned if p.kind == "ticket_created" or p.to.lower() not in authors]
        if not planned:
            return Outcome()
        audience = store_mail.audience(p.to for p in planned)
        sent = skipped = 0
        for p in planned:
            address = p.to.lower()
            if address in audience.suppressed or p.kind in audience.off.get(address, ()):
                telemetry.count("MailNotWanted", 1)
                continue
            if self.deliver(ticket, p, record.at):
                sent += 1
            else:
                skipped += 1
        return Outcome(sent, skipped)

    @staticmethod
    def _messages(ticket: Ticket) -> Messages:
        """An event's public message: a reply's by its key (one GetItem: the message has the
        event's time); a new ticket's first one from the thread (one Query, one message)."""

        def message(ev: TicketEvent) -> Message | None:
            message_id = ev.data.get("message_id")
            if message_id:
                return store_tickets.get_message(ticket.id, ev.at, str(message_id))
            thread = store_tickets.get_thread(ticket.id, include_notes=False)
            return thread.messages[0] if thread and thread.messages else None

        return message

    def deliver(self, ticket: Ticket, p: Planned, at: str) -> bool:
        """Claim, compose, send, mark sent; False if the notification was claimed before."""
        references = store_mail.thread(ticket.id, p.to)
        claim = store_mail.claim(ticket.id, p.to, p.seq, p.kind, iso(now()))
        if not claim.won:
            if claim.state != store_mail.SENT:
                # an attempt died between claiming and marking: SES may have sent it
                logger.warning(
                    "notification claimed but not marked sent: not sent again",
                    extra={"ticket_id": ticket.id, "seq": p.seq, "kind": p.kind},
                )
                telemetry.count("MailUnconfirmed", 1)
            return False
        try:
            composed = self.compose(ticket, p, references)
            ses_id = mail.send(composed, remaining_ms=self.remaining_ms)
        except Exception:
            store_mail.release(ticket.id, p.to, p.seq)  # SES did not take it: a retry may
            raise
        store_mail.mark_sent(ticket.id, p.to, p.seq, ses_id, mail.header_id(ses_id))
        telemetry.count("MailSent", 1)
        return True

    def follow_link(self, ticket: Ticket, p: Planned) -> str | None:
        """A guest requester's private follow-up link (the API's public ticket), signed;
        None for anyone else (a cc address does not get the requester's access)."""
        if p.to.lower() != (ticket.requester_email or "").lower():
            return None
        link = store_guest_links.get_guest_link(ticket.id)
        if link is None:
            return None
        token = signing.guest_link_token(ticket.id, link.secret_hash)
        return f"{mail_settings().public_base_url}/public/tickets/{ticket.id}?token={token}"

    @staticmethod
    def rating_links(ticket: Ticket, p: Planned) -> tuple[str, list[tuple[int, str]]] | None:
        """The requester's one-click rating links (helpdesk.ratinglinks): the rating page,
        and one link per score to it with that score chosen; None for anyone else (a cc
        address or staff does not rate the requester's ticket)."""
        requester = (ticket.requester_email or "").lower()
        if p.role != "customer" or not requester or p.to.lower() != requester:
            return None
        token = signing.rating_token(ticket.id, ticket.requester_id, ticket.requester_email)
        page = f"{mail_settings().public_base_url}/app/rate/{token}"
        return page, [(n, f"{page}?score={n}") for n in RATING_SCALE]

    def compose(self, ticket: Ticket, p: Planned, references: list[str]) -> mail.Mail:
        settings = mail_settings()
        base = settings.public_base_url
        staff = p.role == "staff"
        link = f"{base}/app/queue/{ticket.id}" if staff else f"{base}/app/tickets/{ticket.id}"
        unsubscribe = unsubscribe_url(p.to, p.kind)
        follow = self.follow_link(ticket, p) if ticket.guest and not staff else None
        resolved = p.kind == "ticket_resolved" or bool(p.data.get("resolved"))
        rating = self.rating_links(ticket, p) if resolved else None
        context = {
            "ticket": ticket,
            "kind": p.kind,
            "link": None if (ticket.guest and not staff) else link,
            "guest": ticket.guest and not staff,
            "follow_link": follow,
            "rating_link": rating[0] if rating else None,
            "rating_links": rating[1] if rating else [],
            "message": p.message,
            "data": p.data,
            "unsubscribe_url": unsubscribe,
        }
        text, html = mail.render(p.kind, context)
        return mail.compose(
            to=p.to,
            subject=f"[#{ticket.number}] {ticket.subject}",
            text=text,
            html=html,
            reply_to=reply_to(ticket, p.to),
            references=references,
            unsubscribe_url=unsubscribe,
        )

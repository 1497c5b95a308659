"""Mail in: a message SES stored in S3 becomes a ticket message, or is dropped with a reason.

`receive(key)` is the whole path of one stored message (docs/design.md, "Mail in"):

1. read it (`attachments.read_inbound`; larger than `InboundMaxMessageBytes`: dropped,
   unread) and parse it (`mailparse.parse`; unreadable: dropped);
2. exactly once: the message's record `MAILIN#<digest of its Message-ID>` is written once,
   in the same transaction as the ticket message it becomes (or alone when it is dropped),
   so a redelivered object, a retried batch or two copies at once make one message;
3. drop what must not become a message (`mailparse.drop_reason`: loops, bounces,
   auto-replies, bulk; SES's spam and virus verdicts and a failed DMARC check);
4. route, in this order: the signed token of a `support+<token>@` recipient (our Reply-To);
   a Message-ID we know in In-Reply-To or References (ours, or a received one's); the
   `[#<number>]` subject tag when the sender is the ticket's requester or on its cc list;
   else a new ticket (rate-limited per sender address);
5. the author: the requester and the cc addresses add a customer message as themselves,
   active staff a staff reply (an internal note when the first line is `#note`); anyone
   else, or a reply to a closed or deleted ticket, starts a new ticket that names the one
   it was written into (`related_ticket_number` in the log);
6. only the new words (`mailparse.new_text`); attachments go through the attachments
   pipeline (`attachments.upload_bytes`, then the same verification when linked); refused
   ones are listed at the end of the message and in the log.

Every message, kept or dropped, is in the admins' log (`GET /admin/inbound`) with its
outcome; a dropped one is counted in the `MailDropped` metric (dimension `reason`).
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger

from helpdesk import attachments, lifecycle, mailparse, ratelimit, signing, telemetry, tickets
from helpdesk.clock import now_iso
from helpdesk.domain import Message, Side, Ticket
from helpdesk.errors import (
    ConcurrentUpdateError,
    HelpdeskError,
    InboundNotFoundError,
    RateLimitedError,
    TicketClosedError,
    TicketNotFoundError,
)
from helpdesk.guests import guest_user_id
from helpdesk.ids import decode_cursor, digest, encode_cursor, new_id
from helpdesk.models.inbound import InboundDetail, InboundEntry, InboundList
from helpdesk.models.tickets import CreateTicketRequest
from helpdesk.principal import Principal
from helpdesk.settings import inbound_settings
from helpdesk.store import guest_links as store_guest_links
from helpdesk.store import inbound as store_inbound
from helpdesk.store import keys as store_keys
from helpdesk.store import people as store_people
from helpdesk.store import tickets as store_tickets

logger = Logger(service="helpdesk")

MAX_BODY = 10_000  # the API's message limit (models.common.Body)
MAX_ATTACHMENTS = 5  # the API's per-message limit
MAX_CC = 10
NEW_TICKET_WINDOW_SECONDS = 3600
# the object SES writes when the receipt rule is created (its check that it may write)
SES_SETUP_OBJECT = "AMAZON_SES_SETUP_NOTIFICATION"
_SUBJECT_PREFIX = re.compile(r"^\s*((re|aw|sv|fw|fwd|wg)\s*(\[\d+\])?\s*:\s*)+", re.I)


class Received(NamedTuple):
    """What became of one stored message (for the log line and the tests)."""

    status: str  # accepted | dropped | duplicate
    reason: str | None = None
    ticket_id: str | None = None
    message_id: str | None = None


class _Duplicate(Exception):
    """The message's record exists: it was received before."""


class _Author(NamedTuple):
    principal: Principal
    side: Side
    role: str  # requester | cc | staff


def receive(key: str) -> Received:
    """One message SES stored at `key` (inbound/...), end to end."""
    settings = inbound_settings()
    received_at = now_iso()
    base: dict[str, Any] = {"raw_key": key, "received_at": received_at}
    raw = attachments.read_inbound(key, settings.inbound_max_message_bytes)
    if raw is None:
        return _drop({**base, "digest": store_inbound.mail_digest(f"s3:{key}")}, "too_large")
    base["size"] = len(raw)
    try:
        msg = mailparse.parse(raw)
    except mailparse.MailUnreadable as ex:
        logger.info("unreadable mail", extra={"key": key, "why": str(ex)})
        return _drop({**base, "digest": store_inbound.mail_digest(f"s3:{key}")}, "unreadable")
    record = {
        **base,
        "digest": store_inbound.mail_digest(msg.message_id),
        "mail_message_id": msg.message_id,
        "sender": msg.sender,
        "subject": msg.subject[:300],
    }
    record["id"] = f"inb_{record['digest']}"
    if (existing := store_inbound.get(record["digest"])) is not None:
        store_inbound.log(existing)  # a crash may have come between the record and its log
        return Received("duplicate", existing.get("reason"), existing.get("ticket_id"))
    reason = drop_reason(msg)
    if reason:
        return _drop(record, reason)
    try:
        return _route(msg, record)
    except _Duplicate:
        return Received("duplicate")


def stored_keys(notice: str) -> list[str]:
    """The object keys an S3 event notification (an SQS message body) names under
    `inbound/`; none for S3's test event or anything else."""
    try:
        event = json.loads(notice)
    except ValueError:
        logger.warning("not an S3 notification", extra={"body": notice[:200]})
        return []
    records = event.get("Records") if isinstance(event, dict) else None
    keys = []
    for r in records if isinstance(records, list) else []:
        key = unquote_plus(str(((r.get("s3") or {}).get("object") or {}).get("key") or ""))
        if (
            str(r.get("eventName", "")).startswith("ObjectCreated")
            and key.startswith(attachments.INBOUND_PREFIX)
            and not key.endswith(SES_SETUP_OBJECT)
        ):
            keys.append(key)
    return keys


def drop_reason(msg: mailparse.Inbound) -> str | None:
    """Why a parsed message must not become a ticket message, or None."""
    settings = inbound_settings()
    own = {settings.sender_address.lower(), f"support@{settings.support_domain}".lower()}
    reason: str | None = mailparse.drop_reason(msg, own_addresses=own)
    if reason:
        return reason
    headers = msg.headers
    if headers.get("x-ses-virus-verdict", "").strip().upper() == "FAIL":
        return "virus"
    if headers.get("x-ses-spam-verdict", "").strip().upper() == "FAIL":
        return "spam"
    if re.search(r"\bdmarc=fail\b", headers.get("authentication-results", ""), re.I):
        return "dmarc_failed"
    return None


def _drop(record: dict[str, Any], reason: str) -> Received:
    record = {**record, "status": store_inbound.DROPPED, "reason": reason}
    record.setdefault("id", f"inb_{record['digest']}")
    if store_inbound.put_dropped(record):
        telemetry.count("MailDropped", reason=reason)
        logger.info("mail dropped", extra={"reason": reason, "inbound_id": record["id"]})
    store_inbound.log(record)
    return Received("dropped", reason)


# ---------------------------------------------------------------- routing


def _route(msg: mailparse.Inbound, record: dict[str, Any]) -> Received:
    ticket, route, author = _find(msg)
    if ticket is not None and author is not None:
        try:
            return _add(msg, record, ticket, author, route)
        except (TicketClosedError, TicketNotFoundError):
            pass  # closed (or deleted meanwhile): a new ticket that names it
    related = ticket.number if ticket is not None else None
    return _open(msg, record, related)


def _find(msg: mailparse.Inbound) -> tuple[Ticket | None, str, _Author | None]:
    """The ticket a message belongs to, how it was found, and who may add it there."""
    token = mailparse.reply_token_in(msg.recipients)
    if token:
        value = signing.unsign_short(signing.REPLY_TO, token)
        if value and "." in value:
            number, recipient = value.split(".", 1)
            ticket = _by_number(number)
            if ticket is not None:
                # the token is the recipient's own: someone it was forwarded to is not him
                mine = hmac.compare_digest(recipient, digest(msg.sender)[:10])
                return ticket, "token", _author(ticket, msg) if mine else None
    ids = [*msg.in_reply_to, *reversed(msg.references)]  # the nearest first
    if ids:
        found = store_inbound.tickets_of(ids)
        for mid in ids:
            if mid in found and (ticket := store_tickets.get_ticket(found[mid])) is not None:
                return ticket, "headers", _author(ticket, msg)
    tag = mailparse.ticket_number_in(msg.subject)
    if tag is not None:
        ticket = _by_number(str(tag))
        if ticket is not None and (author := _author(ticket, msg)) is not None:
            if author.role != "staff" or _authenticated(msg):
                return ticket, "subject", author
    return None, "new", None


def _by_number(number: str) -> Ticket | None:
    if not number.isdigit():
        return None
    ticket_id = store_tickets.ticket_id_by_number(int(number))
    return store_tickets.get_ticket(ticket_id) if ticket_id else None


def _authenticated(msg: mailparse.Inbound) -> bool:
    """Whether SES saw the sender's domain pass DMARC (a staff reply by subject tag alone
    must not be forgeable)."""
    return bool(re.search(r"\bdmarc=pass\b", msg.headers.get("authentication-results", "")))


def _author(ticket: Ticket, msg: mailparse.Inbound) -> _Author | None:
    """Who the sender is on this ticket, if anyone who may add to it."""
    name = msg.sender_name or msg.sender
    if ticket.requester_email and msg.sender == ticket.requester_email.lower():
        p = Principal(
            user_id=ticket.requester_id,
            name=ticket.requester_name,
            email=ticket.requester_email,
            org_id=ticket.org_id,
        )
        return _Author(p, Side.CUSTOMER, "requester")
    staff = next(
        (s for s in store_people.list_staff() if s.active and s.email.lower() == msg.sender),
        None,
    )
    if staff is not None:
        p = Principal(user_id=staff.user_id, name=staff.name, email=staff.email)
        return _Author(p, Side.STAFF, "staff")
    if msg.sender in {c.lower() for c in ticket.cc}:
        p = Principal(user_id=guest_user_id(msg.sender), name=name, email=msg.sender)
        return _Author(p, Side.CUSTOMER, "cc")
    return None


# ---------------------------------------------------------------- writing


def _body(text: str, refused: list[dict[str, str]], *, note: bool = False) -> str:
    """A message's body from the mail's new words (`mailparse.new_text`, run once: it is
    the quote stripper) and the files that were refused."""
    if note:
        text = mailparse.strip_note(text)
    text = text.strip() or "(no text)"
    if refused:
        lines = [f"- {r['file_name']}: {r['reason']}" for r in refused]
        text += "\n\n[Attachments not added]\n" + "\n".join(lines)
    if len(text) > MAX_BODY:
        text = text[: MAX_BODY - 40].rstrip() + "\n\n[cut: the original is kept for staff]"
    return text


def _upload(p: Principal, msg: mailparse.Inbound) -> tuple[list[str], list[dict[str, str]]]:
    """The message's files as pending attachments of `p`'s; what was refused, and why."""
    ids: list[str] = []
    refused: list[dict[str, str]] = []
    for part in msg.attachments:
        if len(ids) >= MAX_ATTACHMENTS:
            refused.append({"file_name": part.filename, "reason": "more than 5 files"})
            continue
        try:
            ids.append(attachments.upload_bytes(p, part.filename, part.content_type, part.data))
        except HelpdeskError as ex:
            refused.append({"file_name": part.filename, "reason": ex.code})
        except ValueError:  # the declaration itself is invalid (pydantic)
            refused.append({"file_name": part.filename, "reason": "VALIDATION_FAILED"})
    return ids, refused


def _add(
    msg: mailparse.Inbound, record: dict[str, Any], ticket: Ticket, author: _Author, route: str
) -> Received:
    """The message on an existing ticket, by `author` (one transaction with its record)."""
    text = mailparse.new_text(msg)
    note = author.role == "staff" and mailparse.is_note(text)
    uploaded, refused = _upload(author.principal, msg)
    body = _body(text, refused, note=note)
    message_id = new_id("msg")
    plan = attachments.prepare_links(
        author.principal, uploaded, ticket_id=ticket.id, message_id=message_id, internal=note
    )
    done = {
        **record,
        "status": store_inbound.ACCEPTED,
        "route": route,
        "author_role": author.role,
        "ticket_id": ticket.id,
        "ticket_number": ticket.number,
        "message_id": message_id,
        "internal": note,
        "refused": refused,
    }

    def change(t: Ticket) -> lifecycle.Outcome:
        at = now_iso()
        p = author.principal
        message = Message(
            id=message_id,
            ticket_id=t.id,
            author_id=p.user_id,
            author_name=p.name,
            side=author.side,
            internal=note,
            body=body,
            created_at=at,
            attachments=plan.refs,
            mail_id=record["id"],
        )
        if note:
            out = lifecycle.add_note(t, p.user_id, at, message_id)
        else:
            out = lifecycle.reply(t, p.user_id, author.side, at, message_id)
        return out._replace(messages=(message,))

    with attachments.linking(plan), _unless_received(record):
        tickets.mutate(
            ticket.id,
            change,
            plan.links,
            may_change=lambda t: t.deleted_at is None and t.merged_into is None,
            also=store_inbound.record_puts(done),
        )
    store_inbound.log(done)
    telemetry.count("MailReceived", route=route)
    return Received("accepted", None, ticket.id, message_id)


@contextmanager
def _unless_received(record: dict[str, Any]) -> Iterator[None]:
    """The ticket's write, whose transaction puts the message's record only if it is not
    there: when it conflicts, a copy of this mail may have won the race (`_Duplicate`)."""
    try:
        yield
    except ConcurrentUpdateError:
        if store_inbound.get(record["digest"]) is not None:
            raise _Duplicate() from None
        raise


def _requester(msg: mailparse.Inbound) -> tuple[Principal, store_guest_links.GuestLink | None]:
    """The customer with the sender's address, or a guest (as the public form makes)."""
    user_id = store_people.user_id_by_email(msg.sender)
    profile = store_people.get_profile(user_id) if user_id else None
    if profile is not None and not profile.guest:
        p = Principal(
            user_id=profile.user_id,
            name=profile.name or msg.sender_name or msg.sender,
            email=profile.email or msg.sender,
            org_id=profile.org_id,
        )
        return p, None
    name = (msg.sender_name or msg.sender.split("@")[0])[:200]
    p = Principal(user_id=guest_user_id(msg.sender), name=name, email=msg.sender)
    # the private link's secret is not kept, only its hash: the guest's mail carries a
    # signed follow-up link instead (signing.guest_link_token)
    secret = secrets.token_urlsafe(32)
    return p, store_guest_links.GuestLink(p.user_id, digest(secret), name, msg.sender)


def _open(msg: mailparse.Inbound, record: dict[str, Any], related: int | None) -> Received:
    """A new ticket from the message (rate-limited per sender address)."""
    settings = inbound_settings()
    try:
        ratelimit.check(
            store_keys.inbound_sender_bucket(digest(msg.sender)),
            settings.inbound_new_tickets_per_sender_per_hour,
            NEW_TICKET_WINDOW_SECONDS,
        )
    except RateLimitedError:
        return _drop(record, "rate_limited")
    p, link = _requester(msg)
    uploaded, refused = _upload(p, msg)
    own = {settings.sender_address.lower()}
    cc = [
        a
        for a in dict.fromkeys([*msg.to, *msg.cc])
        if a != msg.sender and a not in own and not a.endswith(f"@{settings.support_domain}")
    ][:MAX_CC]
    subject = _SUBJECT_PREFIX.sub("", msg.subject).strip()[:255] or "(no subject)"
    req = CreateTicketRequest(
        subject=subject,
        message=_body(mailparse.new_text(msg), refused),
        cc=cc,
        attachment_ids=uploaded,
    )
    done = {
        **record,
        "status": store_inbound.ACCEPTED,
        "route": "new",
        "author_role": "requester",
        "refused": refused,
        **({"related_ticket_number": related} if related is not None else {}),
    }

    def also(t: Ticket) -> list[dict[str, Any]]:
        done.update(ticket_id=t.id, ticket_number=t.number)
        return store_inbound.record_puts(done)

    with _unless_received(record):
        created = tickets.create_ticket(
            p, req, guest_link=link, also_for=also, mail_id=record["id"]
        )
    done["message_id"] = created.messages[0].id if created.messages else None
    store_inbound.log(done)
    telemetry.count("MailReceived", route="new")
    return Received("accepted", None, created.id, done["message_id"])


# ---------------------------------------------------------------- the admins' log


def list_inbound(
    p: Principal, status: str | None, *, limit: int, cursor: str | None
) -> InboundList:
    """Received mail, newest first, all or one status (admins and agents: it holds mail)."""
    p.require_staff()
    before = decode_cursor(cursor, expect="inbound")["k"] if cursor else None
    items, more = store_inbound.page(status, before, limit)
    entries = [InboundEntry.of(i) for i in items]
    next_cursor = encode_cursor({"l": "inbound", "k": items[-1]["SK"]}) if more and items else None
    return InboundList(items=entries, next_cursor=next_cursor)


def get_inbound(p: Principal, inbound_id: str) -> InboundDetail:
    """One received message with a short-lived link to its raw `.eml` (staff only)."""
    p.require_staff()
    if not re.fullmatch(r"inb_[0-9a-f]{40}", inbound_id):
        raise InboundNotFoundError()
    found = store_inbound.get(inbound_id.removeprefix("inb_"))
    if found is None:
        raise InboundNotFoundError()
    return InboundDetail.of(found, raw_url=attachments.inbound_url(str(found["raw_key"])))

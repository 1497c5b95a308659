"""Addresses no mail goes to: SES's bounce and complaint events, and the admins' list
(`GET /admin/suppressions`, `DELETE /admin/suppressions/{email}`; docs/design.md, "Mail").

The configuration set publishes its `bounce` and `complaint` events to EventBridge; a rule
sends the stack's configuration set's to `MailEventsQueue`, whose function hands each
message to `record`:

- a permanent bounce suppresses each bounced recipient (reason `bounce`, with the receiving
  server's diagnostic code);
- a complaint suppresses each complaining recipient (reason `complaint`);
- a transient or undetermined bounce is counted and logged, not suppressed (the mailbox was
  full, the server was down: the next mail may well arrive);
- any other event type (should the configuration set ever publish more) is counted and
  logged as ignored.

Suppressing is one conditional put per address, so a redelivered event changes nothing and
`AddressSuppressed` counts each address once. The notifier reads the suppressions with the
recipients' preferences before each mail; the staff ticket view shows the requester's and
cc addresses' (`undeliverable`). An event that is not SES's JSON raises `MailEventUnreadable`:
the message is retried, then kept in the queue's dead-letter queue (alarmed), never dropped.
Lifting a suppression removes it here and from SES's account-level suppression list, which
the configuration set also applies (else SES would go on refusing the address).
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple
from urllib.parse import unquote

from aws_lambda_powertools import Logger

from helpdesk import mail, telemetry
from helpdesk.clock import iso, now
from helpdesk.errors import SuppressionNotFoundError
from helpdesk.ids import decode_cursor, encode_cursor
from helpdesk.models.notifications import Suppression, SuppressionList
from helpdesk.principal import Principal
from helpdesk.store import mail as store_mail

logger = Logger(service="helpdesk")

MAX_EMAIL = 254  # RFC 5321's path limit


class MailEventUnreadable(ValueError):
    """A queue message that is not an SES event notification (kept: retried, then dead-lettered)."""


class Recorded(NamedTuple):
    """What one event did: its type, the addresses it suppressed now (not before)."""

    event: str
    suppressed: tuple[str, ...] = ()


def _event(body: str) -> dict[str, Any]:
    """The SES event in a queue message: EventBridge's `detail` (what the rule sends), or
    the event itself (as SES's other destinations deliver it)."""
    try:
        doc = json.loads(body)
    except ValueError as ex:
        raise MailEventUnreadable("not JSON") from ex
    if isinstance(doc, dict) and doc.get("source") == "aws.ses" and "detail" in doc:
        doc = doc["detail"]
    if not isinstance(doc, dict):
        raise MailEventUnreadable("not a JSON object")
    return doc


def _addresses(entries: Any, field: str = "emailAddress") -> list[str]:
    if not isinstance(entries, list):
        raise MailEventUnreadable(f"no recipient list ({field})")
    out = []
    for entry in entries:
        address = entry.get(field) if isinstance(entry, dict) else None
        if not isinstance(address, str) or "@" not in address or len(address) > MAX_EMAIL:
            raise MailEventUnreadable(f"a recipient without an address ({field})")
        out.append(address.strip().lower())
    return out


def record(body: str) -> Recorded:
    """Act on one SES event notification (a queue message's body)."""
    doc = _event(body)
    # configuration-set event publishing says eventType; identity notifications notificationType
    kind = str(doc.get("eventType") or doc.get("notificationType") or "")
    source = str((doc.get("mail") or {}).get("messageId") or "")
    if kind == "Bounce":
        bounce = doc.get("bounce")
        if not isinstance(bounce, dict):
            raise MailEventUnreadable("a Bounce event without its bounce")
        bounce_type = str(bounce.get("bounceType") or "Undetermined")
        recipients = bounce.get("bouncedRecipients") or []
        telemetry.count("MailBounced", 1, type=bounce_type)
        if bounce_type != "Permanent":
            logger.info(
                "transient bounce: not suppressed",
                extra={"bounce_type": bounce_type, "ses_message_id": source},
            )
            _addresses(recipients)  # still a readable event
            return Recorded("bounce")
        done = []
        for entry, address in zip(recipients, _addresses(recipients), strict=True):
            detail = str(entry.get("diagnosticCode") or bounce.get("bounceSubType") or "")
            if _suppress(address, "bounce", detail, source):
                done.append(address)
        return Recorded("bounce", tuple(done))
    if kind == "Complaint":
        complaint = doc.get("complaint")
        if not isinstance(complaint, dict):
            raise MailEventUnreadable("a Complaint event without its complaint")
        telemetry.count("MailComplained", 1)
        detail = str(complaint.get("complaintFeedbackType") or "complaint")
        done = [
            address
            for address in _addresses(complaint.get("complainedRecipients"))
            if _suppress(address, "complaint", detail, source)
        ]
        return Recorded("complaint", tuple(done))
    if not kind:
        raise MailEventUnreadable("no eventType")
    logger.info("mail event ignored", extra={"event_type": kind, "ses_message_id": source})
    telemetry.count("MailEventIgnored", 1)
    return Recorded(kind.lower())


def _suppress(address: str, reason: str, detail: str, source: str) -> bool:
    new = store_mail.suppress(address, reason, iso(now()), detail, source)
    if new:
        telemetry.count("AddressSuppressed", 1, reason=reason)
        logger.info("address suppressed", extra={"reason": reason, "ses_message_id": source})
    return new


def list_suppressions(p: Principal, *, limit: int, cursor: str | None) -> SuppressionList:
    """Suppressed addresses in address order (staff: an agent sees why a requester gets no mail)."""
    p.require_staff()
    after = decode_cursor(cursor, expect="suppressions")["k"] if cursor else None
    items, more = store_mail.suppressions(after, limit)
    next_cursor = (
        encode_cursor({"l": "suppressions", "k": str(items[-1]["SK"])}) if more and items else None
    )
    return SuppressionList(items=[Suppression.of(i) for i in items], next_cursor=next_cursor)


def remove(p: Principal, email: str) -> None:
    """Mail may go to `email` again (admins: the address was fixed, or the complaint was a
    mistake): off our list and SES's; 404 when neither had it."""
    p.require_admin()
    address = unquote(email).strip().lower()  # the path may carry %40 for @
    ours = store_mail.unsuppress(address) if "@" in address else False
    theirs = mail.unsuppress(address) if "@" in address else False
    if not (ours or theirs):
        raise SuppressionNotFoundError()
    logger.info("suppression lifted", extra={"by": p.user_id, "ours": ours, "ses": theirs})

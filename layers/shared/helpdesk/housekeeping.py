"""Housekeeping: soft delete, restore, the purge of deleted tickets, and erasure.

A deleted ticket leaves every list but `Q#DEL` (so counters stay exact) and its
item gets `ttl` = now + retention. DynamoDB TTL removes the item; the table's
stream delivers that REMOVE to the purge function, which deletes the rest of
the ticket (messages, events, number lookup, list entry, attachment items) and
every version of its files in S3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from helpdesk import attachments, lifecycle, slaclock
from helpdesk.clock import now, now_iso
from helpdesk.domain import Ticket
from helpdesk.errors import (
    ErasureNotConfirmedError,
    ForbiddenError,
    MergeNotAllowedError,
    MergeTargetNotFoundError,
    RequesterNotFoundError,
    TicketNotFoundError,
)
from helpdesk.models.housekeeping import EraseRequest, ErasureReport, MergeRequest, MergeResponse
from helpdesk.models.staff import StaffTicketSummary
from helpdesk.principal import Principal
from helpdesk.settings import housekeeping_settings
from helpdesk.store import feed as store_feed
from helpdesk.store import guest_links as store_guest_links
from helpdesk.store import housekeeping as store_housekeeping
from helpdesk.store import keys as store_keys
from helpdesk.store import retry as store_retry
from helpdesk.store import tickets as store_tickets
from helpdesk.store.housekeeping import TTL_PRINCIPAL
from helpdesk.tickets import mutate

ERASED = "[erased]"


def soft_delete(p: Principal, ticket_id: str) -> StaffTicketSummary:
    """Admin: hide a ticket from customers and the queue; purged after the retention window."""
    p.require_admin()
    purge_at = int(now().timestamp()) + housekeeping_settings().deleted_retention_days * 86400
    return StaffTicketSummary.of(
        mutate(
            ticket_id,
            lambda t: lifecycle.soft_delete(t, p.user_id, now_iso(), purge_at),
            may_change=lambda _: True,
        ).ticket
    )


def restore(p: Principal, ticket_id: str) -> StaffTicketSummary:
    """Admin: bring a deleted ticket back on every list it was on."""
    p.require_admin()
    return StaffTicketSummary.of(
        mutate(
            ticket_id,
            lambda t: lifecycle.restore(t, p.user_id, now_iso()),
            may_change=lambda _: True,
        ).ticket
    )


def purge_from_stream(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Purge the tickets whose items DynamoDB TTL removed (stream records, OLD_IMAGE).

    Only TTL deletions of deleted tickets count: a REMOVE by anyone else, or of
    any other item, is ignored (the template's filter already drops most).
    """
    purged = items = files = 0
    for record in records:
        if record.get("eventName") != "REMOVE":
            continue
        if record.get("userIdentity", {}).get("principalId") != TTL_PRINCIPAL:
            continue
        ticket = store_housekeeping.ticket_from_image(
            record.get("dynamodb", {}).get("OldImage") or {}
        )
        if ticket is None:
            continue
        files += attachments.purge_ticket_files(ticket.id)
        # its received mail's raw messages, before the purge removes the pointers to them
        mail = store_housekeeping.received_mail_of_ticket(ticket.id)
        files += attachments.purge_inbound_mail(mail.raw_keys)
        items += store_housekeeping.purge_ticket(ticket)
        # after the purge: a retried batch may record it twice, never miss it
        store_feed.append_purged(ticket, now_iso())
        purged += 1
    return {"tickets": purged, "items": items, "files": files}


def erase_requester(p: Principal, user_id: str, req: EraseRequest) -> ErasureReport:
    """Admin: remove a requester's personal data for good; anonymized skeletons stay.

    Per ticket of his (deleted ones too): subject, name, email, cc and rating
    comment blanked on the ticket and every list entry (one versioned write),
    message bodies and event free text blanked, attachment items and every
    version of the ticket's files deleted. Then everything under `USER#<id>`
    (profile, API tokens, and lookups they name), his `EMAIL#` lookups, the mail he
    sent (dropped or not) and the mail received into his tickets (every version of the
    raw message, its record and log entries), and the idempotency records whose stored
    answer names him. Safe to run again.
    """
    p.require_admin()
    if req.confirm != user_id:
        raise ErasureNotConfirmedError("confirm must be the requester's user id")
    ticket_ids = store_housekeeping.requester_ticket_ids(user_id)
    profile_keys, emails = store_housekeeping.user_space(user_id)
    if not ticket_ids and not profile_keys:
        raise RequesterNotFoundError()
    report = ErasureReport(
        user_id=user_id,
        tickets_anonymized=0,
        messages_redacted=0,
        events_redacted=0,
        attachments_deleted=0,
        files_deleted=0,
        profile_items_deleted=0,
        lookups_deleted=0,
        idempotency_records_deleted=0,
        received_mail_deleted=0,
        received_mail_items_deleted=0,
    )
    guest_links: list[dict[str, Any]] = []
    mail: list[store_housekeeping.ReceivedMail] = []
    for ticket_id in ticket_ids:
        before = store_tickets.get_ticket(ticket_id)
        if before is None or before.requester_id != user_id:
            continue
        emails.add(before.requester_email)
        if before.guest:
            # the private link would still open the anonymized ticket
            guest_links.append(store_guest_links.guest_link_key(ticket_id))
        mutate(
            ticket_id,
            lambda t: lifecycle.anonymize(t, p.user_id, now_iso(), ERASED),
            may_change=lambda _: True,
        )
        # after the ticket write, so a retried erasure still finds the messages
        redacted = store_housekeeping.redact_thread(ticket_id, user_id, ERASED)
        if before.merged_into:
            # his thread was copied into the target (another requester's, if forced)
            moved = store_housekeeping.redact_thread(
                before.merged_into, user_id, ERASED, merged_from=before.number
            )
            report.messages_redacted += moved.messages
        report.tickets_anonymized += 1
        report.messages_redacted += redacted.messages
        report.events_redacted += redacted.events
        report.files_deleted += attachments.purge_ticket_files(ticket_id, redacted.attachment_ids)
        report.attachments_deleted += store_housekeeping.delete_keys(
            store_housekeeping.attachment_keys(redacted.attachment_ids)
        )
        mail.append(redacted.mail)
    # the mail he sent (dropped too) and the mail received into his tickets: raw messages
    # (every version), records, log and sender entries (docs/design.md, "Erasure")
    mail.append(store_housekeeping.received_mail_from(emails))
    report.received_mail_deleted = attachments.purge_inbound_mail(
        [k for m in mail for k in m.raw_keys]
    )
    report.received_mail_items_deleted = store_housekeeping.delete_keys(
        list({(k["PK"]["S"], k["SK"]["S"]): k for m in mail for k in m.item_keys}.values())
    )
    report.lookups_deleted = store_housekeeping.delete_keys(
        store_housekeeping.email_lookup_keys(emails, user_id) + guest_links
    )
    report.profile_items_deleted = store_housekeeping.delete_keys(profile_keys)
    # his mail settings (kept per address; a suppression stays: it protects the address)
    store_housekeeping.delete_keys([store_keys.mail_preferences(e).av() for e in sorted(emails)])
    report.idempotency_records_deleted = store_housekeeping.delete_keys(
        store_housekeeping.idempotency_keys_mentioning(user_id)
    )
    return report


def _mergeable(source: Ticket, target: Ticket, force: bool) -> None:
    if source.id == target.id:
        raise MergeNotAllowedError("A ticket cannot be merged into itself")
    if target.deleted_at is not None or target.merged_into is not None:
        raise MergeNotAllowedError("The target is deleted or was itself merged")
    if source.merged_into is not None:
        raise MergeNotAllowedError(
            f"This ticket was already merged into #{source.merged_into_number}"
        )
    same = source.requester_id == target.requester_id or (
        source.org_id is not None and source.org_id == target.org_id
    )
    if not same and not force:
        raise MergeNotAllowedError(
            "Tickets of different requesters and organizations merge only with force (admin)"
        )


def merge(p: Principal, source_id: str, req: MergeRequest) -> MergeResponse:
    """Staff: move the source's thread into the target; the source is closed and points there.

    Messages and notes are copied (same ids, `merged_from` = the source's number, so
    they sort by time in the target's thread and a retry rewrites, never doubles);
    then both tickets are written in one version-checked transaction with an event
    each. Merging again into the same target returns the merge as it stands.
    """
    p.require_staff()
    if req.force and not p.is_admin:
        raise ForbiddenError("Only administrators may force a merge")

    def attempt() -> MergeResponse:
        # the source and its thread in one (consistent) Query: the version the
        # transaction below is conditioned on, and the messages to copy
        thread = store_tickets.get_thread(source_id, include_notes=True)
        if thread is None or thread.ticket.deleted_at is not None:
            raise TicketNotFoundError()
        source = thread.ticket
        target = store_tickets.get_ticket(req.target_id)
        if target is None:
            raise MergeTargetNotFoundError()
        if source.merged_into == target.id:
            return MergeResponse(
                source=StaffTicketSummary.of(source),
                target=StaffTicketSummary.of(target),
                messages_moved=0,
            )
        _mergeable(source, target, req.force)
        copies = [
            m.model_copy(update={"ticket_id": target.id, "merged_from": source.number})
            for m in thread.messages
        ]
        store_tickets.copy_messages(copies)
        now = now_iso()
        notes = sum(m.internal for m in copies)
        src = lifecycle.merge_source(source, p.user_id, now, target)
        tgt = lifecycle.merge_target(target, p.user_id, now, source, len(copies) - notes, notes)
        src = src._replace(ticket=slaclock.track(source, src.ticket))
        tgt = tgt._replace(ticket=slaclock.track(target, tgt.ticket))
        store_tickets.save_tickets(
            [(source, src.ticket, src.events), (target, tgt.ticket, tgt.events)]
        )
        return MergeResponse(
            source=StaffTicketSummary.of(src.ticket),
            target=StaffTicketSummary.of(tgt.ticket),
            messages_moved=len(copies),
        )

    return store_retry.on_conflict(attempt, operation="merge")

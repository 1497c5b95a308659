"""Ticket services for customers: the verbs handlers call.

Each function takes the caller and a validated request, applies the
lifecycle and persists through `store`. Reads check visibility here: a
ticket the caller may not see does not exist (404), whoever owns it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol

from helpdesk import attachments, lifecycle, listplan, ratelimit, slaclock, telemetry
from helpdesk.clock import now_iso
from helpdesk.domain import (
    CUSTOMER_PRIORITIES,
    Category,
    Message,
    Side,
    Status,
    Ticket,
)
from helpdesk.errors import (
    ForbiddenError,
    InvalidCategoryError,
    InvalidDepartmentError,
    PreconditionFailedError,
    PriorityNotAllowedError,
    TicketNotFoundError,
)
from helpdesk.ids import decode_cursor, encode_cursor, new_id
from helpdesk.lifecycle import Outcome
from helpdesk.models.tickets import (
    CreateTicketRequest,
    MessageResponse,
    RatingRequest,
    ReplyRequest,
    TicketList,
    TicketResponse,
    TicketSummary,
    catalog_names,
    etag,
)
from helpdesk.principal import Principal
from helpdesk.store import attachments as store_attachments
from helpdesk.store import catalog as store_catalog
from helpdesk.store import guest_links as store_guest_links
from helpdesk.store import keys as store_keys
from helpdesk.store import lists as store_lists
from helpdesk.store import people as store_people
from helpdesk.store import retry as store_retry
from helpdesk.store import tickets as store_tickets

# ---------------------------------------------------------------- create


class CatalogRefs(Protocol):
    """What a new ticket names in the catalog (a customer's or a staff intake's request)."""

    category_id: str | None
    sub_category_id: str | None
    department_id: str | None


def check_catalog(req: CatalogRefs) -> None:
    """A new ticket's category, sub-category and department exist and are active (one
    catalog Query, none when it names none)."""
    if not (req.category_id or req.sub_category_id or req.department_id):
        return
    categories, departments = store_catalog.list_catalog()
    cats = {c.id: c for c in categories if c.active}
    if req.sub_category_id and not req.category_id:
        raise InvalidCategoryError("A sub-category needs its category_id")
    if req.category_id:
        cat = cats.get(req.category_id)
        if cat is None or cat.parent_id is not None:
            raise InvalidCategoryError(f"Unknown category {req.category_id}")
        if req.sub_category_id:
            sub = cats.get(req.sub_category_id)
            if sub is None or sub.parent_id != cat.id:
                raise InvalidCategoryError(
                    f"Sub-category {req.sub_category_id} does not belong to {req.category_id}"
                )
    if req.department_id and req.department_id not in {d.id for d in departments if d.active}:
        raise InvalidDepartmentError(f"Unknown department {req.department_id}")


def create_ticket(
    p: Principal,
    req: CreateTicketRequest,
    *,
    guest_link: store_guest_links.GuestLink | None = None,
    also_for: Callable[[Ticket], Sequence[dict[str, Any]]] | None = None,
    mail_id: str | None = None,
) -> TicketResponse:
    """Open a ticket with its first message (one transaction) and return it.

    `guest_link`: the requester has no account (the public contact form); the ticket's
    private link is written in the same transaction. Guests are limited by the form's
    per-IP and per-e-mail limits instead of the per-caller write limit. `also_for`: more
    items for the transaction, made from the new ticket, and `mail_id`: the received mail
    the first message came from (helpdesk.inbound)."""
    if guest_link is None:
        ratelimit.check_write(p)
    if req.priority not in CUSTOMER_PRIORITIES and not p.is_staff:
        raise PriorityNotAllowedError("Customers may choose low, normal or high")
    check_catalog(req)
    ticket_id, message_id = new_id("tkt"), new_id("msg")
    plan = attachments.prepare_links(
        p, req.attachment_ids, ticket_id=ticket_id, message_id=message_id
    )
    now = now_iso()
    ticket = Ticket(
        id=ticket_id,
        number=store_tickets.next_ticket_number(),
        subject=req.subject,
        priority=req.priority,
        requester_id=p.user_id,
        requester_name=p.name,
        requester_email=p.email,
        org_id=p.org_id,
        guest=guest_link is not None,
        category_id=req.category_id,
        sub_category_id=req.sub_category_id,
        department_id=req.department_id,
        cc=[str(e).lower() for e in req.cc],
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    first = Message(
        id=message_id,
        ticket_id=ticket.id,
        author_id=p.user_id,
        author_name=p.name,
        side=Side.CUSTOMER,
        body=req.message,
        created_at=now,
        attachments=plan.refs,
        mail_id=mail_id,
    )
    out = lifecycle.open_ticket(ticket, p.user_id, now)
    out = out._replace(ticket=slaclock.track(None, out.ticket))
    with attachments.linking(plan):
        # a conflict is on a shared list counter: the new ticket is not written; write
        # it again (its id and number are ours alone)
        store_retry.on_conflict(
            lambda: store_tickets.create_ticket(
                out.ticket,
                first,
                out.events,
                plan.links,
                guest_link,
                also=also_for(out.ticket) if also_for else (),
            ),
            operation="create_ticket",
        )
    telemetry.count("TicketsCreated")
    return TicketResponse.build(out.ticket, [first], _categories_of(out.ticket))


def _categories_of(t: Ticket) -> dict[str, Category]:
    if not t.category_id:
        return {}
    return {c.id: c for c in store_catalog.list_catalog()[0]}


# ---------------------------------------------------------------- read


def _can_read(p: Principal, t: Ticket) -> bool:
    # a soft-deleted ticket does not exist for customers, its requester included
    if t.deleted_at is not None:
        return False
    return t.requester_id == p.user_id or (p.is_org_manager and t.org_id == p.org_id)


def get_ticket(p: Principal, ticket_id: str) -> TicketResponse:
    """The ticket with its public thread (one Query; a second for the category names)."""
    thread = store_tickets.get_thread(ticket_id, include_notes=False)
    if thread is None or not _can_read(p, thread.ticket):
        raise TicketNotFoundError()
    out = TicketResponse.build(thread.ticket, thread.messages, _categories_of(thread.ticket))
    if thread.ticket.merged_into:
        # point to the target only if the caller may open it
        target = store_tickets.get_ticket(thread.ticket.merged_into)
        if target is not None and _can_read(p, target):
            out = out.model_copy(
                update={"merged_into": target.id, "merged_into_number": target.number}
            )
    return out


# ---------------------------------------------------------------- list


class ListFilters(NamedTuple):
    statuses: tuple[Status, ...] = ()
    category_id: str | None = None
    priority: str | None = None
    unread: bool = False
    open_or_unread: bool = False
    number: int | None = None
    organization: bool = False


def _plan(p: Principal, f: ListFilters) -> listplan.Plan:
    """How the caller's list is read: never a Scan.

    No filter, one of category/priority/unread/open_or_unread, or one or more statuses: that
    list (or the statuses' lists merged), exact. Any other combination: the most selective
    of its lists, filtered by the others within a read budget (docs/design.md 2.1). The
    organization's lists are by status only: its other filters are checked on each ticket.
    """
    if f.organization:
        if not p.is_org_manager:
            raise ForbiddenError("Only organization managers can list the organization's tickets")
        base = store_keys.organization(str(p.org_id))
    else:
        base = store_keys.requester(p.user_id)
    dims = [
        (d, name)
        for d, name, on in (
            (store_keys.by_category, str(f.category_id), f.category_id),
            (store_keys.by_priority, str(f.priority), f.priority),
            (lambda b, _: store_keys.unread(b), "", f.unread),
            (lambda b, _: store_keys.open_or_unread(b), "", f.open_or_unread),
        )
        if on
    ]
    conditions: list[listplan.Condition] = []
    if f.statuses:
        conditions.append(
            listplan.on_lists(*(store_keys.by_status(base, s) for s in sorted(set(f.statuses))))
        )
    for key, value in dims:
        if f.organization:
            # the requester's own lists hold it: check the ticket against them
            conditions.append(_on_requester_list(key, value))
        else:
            conditions.append(listplan.on_lists(key(base, value)))
    drivable = [c for c in conditions if c.lists]
    if not conditions:
        return listplan.exact([base])
    if len(conditions) == 1 and drivable:
        return listplan.exact(drivable[0].lists)
    return listplan.most_selective(conditions, [c.lists for c in drivable] or [(base,)])


def _on_requester_list(key: Callable[[str, str], str], value: str) -> listplan.Condition:
    """A condition on one of the ticket's requester's lists (the organization view)."""
    name = key(store_keys.requester("*"), value)
    return listplan.tested(
        name, lambda t, held: key(store_keys.requester(t.requester_id), value) in held
    )


def list_tickets(p: Principal, f: ListFilters, *, limit: int, cursor: str | None) -> TicketList:
    """A page of the caller's (or the organization's) tickets, newest activity first: an
    exact list with its counters' total, or a filtered one (total null unless exact)."""
    plan = _plan(p, f)
    if f.number is not None:
        return _by_number(p, f, plan)
    before = decode_cursor(cursor, expect=plan.signature)["k"] if cursor else None
    page = listplan.read(plan, limit=limit, before=before)
    next_cursor = None
    if page.next_sort_key is not None:
        next_cursor = encode_cursor({"l": plan.signature, "k": page.next_sort_key})
    names: dict[str, str] = {}
    if any(t.category_id or t.department_id for t in page.tickets):
        from helpdesk import catalog  # not at import: the console's cold start skips it

        names = catalog.names()
    return TicketList(
        items=[
            TicketSummary.model_validate(t.model_dump() | catalog_names(t, names))
            for t in page.tickets
        ],
        next_cursor=next_cursor,
        total=page.total,
    )


def _by_number(p: Principal, f: ListFilters, plan: listplan.Plan) -> TicketList:
    """The ticket numbered `f.number`, if it is on the plan's lists and meets its filters
    (so the caller's own, or his organization's; never a deleted one)."""
    assert f.number is not None
    ticket_id = store_tickets.ticket_id_by_number(f.number)
    ticket = store_tickets.get_ticket(ticket_id) if ticket_id else None
    found = ticket is not None and (
        bool(set(plan.lists) & store_lists.listkeys(ticket))
        and listplan.meets(plan.conditions, ticket, store_lists.listkeys)
    )
    items = [TicketSummary.of(ticket)] if found and ticket else []
    return TicketList(items=items, next_cursor=None, total=len(items))


# ---------------------------------------------------------------- change


def _mutate(
    p: Principal,
    ticket_id: str,
    change: Callable[[Ticket], Outcome],
    links: Sequence[store_attachments.AttachmentLink] = (),
) -> Outcome:
    """A change by the ticket's requester (anyone else: 404)."""
    return mutate(
        ticket_id,
        change,
        links,
        may_change=lambda t: t.requester_id == p.user_id and t.deleted_at is None,
    )


def mutate(
    ticket_id: str,
    change: Callable[[Ticket], Outcome],
    links: Sequence[store_attachments.AttachmentLink] = (),
    *,
    may_change: Callable[[Ticket], bool],
    expect_version: int | None = None,
    staff: store_people.StaffMember | None = None,
    also: Sequence[dict[str, Any]] = (),
) -> Outcome:
    """Read, apply `change`, write with a version check; on a race, read again and retry.

    Returns what was written: the ticket (as read, if `change` changed nothing), its
    events and the messages `change` added (`Outcome.messages`, in the same transaction).
    With `expect_version` (an If-Match), a ticket at another version is not retried:
    PreconditionFailedError (412). `staff` is written in the same transaction (the
    acting staff member's directory entry); so is `also` (another store module's items:
    a received mail's record).
    """

    def attempt() -> Outcome:
        ticket = store_tickets.get_ticket(ticket_id)
        if ticket is None or not may_change(ticket):
            raise TicketNotFoundError()
        if expect_version is not None and ticket.version != expect_version:
            raise PreconditionFailedError(headers={"ETag": etag(ticket)})
        out = change(ticket)
        if not out.changed:
            return Outcome(ticket, [])
        out = out._replace(ticket=slaclock.track(ticket, out.ticket, out.messages))
        store_tickets.save_ticket(
            ticket, out.ticket, out.events, out.messages, links, staff=staff, also=also
        )
        return out

    return store_retry.on_conflict(attempt, operation="ticket change")


def reply(p: Principal, ticket_id: str, req: ReplyRequest) -> tuple[MessageResponse, TicketSummary]:
    """A customer reply: message, status, counters and activity in one transaction."""
    ratelimit.check_write(p)
    message_id = new_id("msg")
    plan = attachments.prepare_links(
        p, req.attachment_ids, ticket_id=ticket_id, message_id=message_id
    )

    def change(t: Ticket) -> Outcome:
        now = now_iso()
        message = Message(
            id=message_id,
            ticket_id=t.id,
            author_id=p.user_id,
            author_name=p.name,
            side=Side.CUSTOMER,
            body=req.message,
            created_at=now,
            attachments=plan.refs,
        )
        out = lifecycle.reply(t, p.user_id, Side.CUSTOMER, now, message_id)
        return out._replace(messages=(message,))

    with attachments.linking(plan):
        out = _mutate(p, ticket_id, change, plan.links)
    telemetry.count("Replies", side=Side.CUSTOMER.value)
    return MessageResponse.of(out.messages[0]), TicketSummary.of(out.ticket)


def close(p: Principal, ticket_id: str) -> TicketSummary:
    return TicketSummary.of(
        _mutate(
            p, ticket_id, lambda t: lifecycle.close(t, p.user_id, Side.CUSTOMER, now_iso())
        ).ticket
    )


def reopen(p: Principal, ticket_id: str) -> TicketSummary:
    return TicketSummary.of(
        _mutate(
            p, ticket_id, lambda t: lifecycle.reopen(t, p.user_id, Side.CUSTOMER, now_iso())
        ).ticket
    )


def mark_read(p: Principal, ticket_id: str) -> TicketSummary:
    return TicketSummary.of(
        _mutate(
            p, ticket_id, lambda t: lifecycle.mark_read(t, p.user_id, Side.CUSTOMER, now_iso())
        ).ticket
    )


def rate(p: Principal, ticket_id: str, req: RatingRequest) -> TicketSummary:
    return TicketSummary.of(
        _mutate(
            p, ticket_id, lambda t: lifecycle.rate(t, p.user_id, now_iso(), req.rating, req.comment)
        ).ticket
    )

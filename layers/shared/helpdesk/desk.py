"""The staff desk: the queue, the staff view of a ticket, updates, replies and notes.

Every function requires a staff principal (agent or admin); a customer gets 403.
Changes go through the lifecycle and `tickets.mutate` (version-checked writes).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal, NamedTuple

from helpdesk import attachments, catalog, lifecycle, listplan, ratelimit, slaclock, telemetry
from helpdesk.clock import iso, now, now_iso
from helpdesk.domain import Category, Department, Message, Side, Status, Ticket
from helpdesk.errors import (
    AssigneeUnknownError,
    BadRequestError,
    HelpdeskError,
    InvalidCategoryError,
    InvalidDepartmentError,
    PreconditionFailedError,
    RequesterNotFoundError,
    TicketNotFoundError,
    ValidationFailedError,
    ViewWithFiltersError,
)
from helpdesk.guests import guest_user_id
from helpdesk.ids import decode_cursor, encode_cursor, new_id
from helpdesk.lifecycle import Outcome
from helpdesk.models.notifications import Suppression
from helpdesk.models.staff import (
    BulkItemResult,
    BulkUpdateRequest,
    BulkUpdateResponse,
    EventList,
    EventResponse,
    StaffCreateTicketRequest,
    StaffReplyRequest,
    StaffReplyResponse,
    StaffTicketList,
    StaffTicketResponse,
    StaffTicketSummary,
    StaffUpdateRequest,
)
from helpdesk.models.tickets import MessageResponse, etag
from helpdesk.principal import Principal
from helpdesk.store import catalog as store_catalog
from helpdesk.store import keys as store_keys
from helpdesk.store import lists as store_lists
from helpdesk.store import mail as store_mail
from helpdesk.store import people as store_people
from helpdesk.store import retry as store_retry
from helpdesk.store import tickets as store_tickets
from helpdesk.tickets import check_catalog, mutate

Sort = Literal["activity", "created", "updated"]


class QueueFilters(NamedTuple):
    statuses: tuple[Status, ...] = ()
    priority: str | None = None
    category_id: str | None = None
    sub_category_id: str | None = None
    department_id: str | None = None
    assignee: str | None = None  # user id, "me" or "none"
    requester: str | None = None  # user id or email
    organization_id: str | None = None
    tag: str | None = None
    number: int | None = None
    unread: bool = False
    updated_since: str | None = None
    deleted: bool = False
    external_ref: str | None = None  # "<name>:<value>", e.g. "jira:OPS-123"
    guest: bool | None = None  # guest requesters only (True), or none (False)
    view: str | None = None  # a saved view's id: listed alone (helpdesk.views.page)


def _not_deleted(t: Ticket) -> bool:
    # a soft-deleted ticket is read-only until an admin restores it
    return t.deleted_at is None


class QueuePlan(NamedTuple):
    conditions: list[listplan.Condition]
    composites: list[tuple[str, ...]]  # status with assignee / department: maintained lists
    exact: list[str] | None  # the lists that answer the filters exactly, if any
    held: listplan.Held  # the lists a ticket is checked against


def _undeleted_lists(t: Ticket) -> set[str]:
    # a deleted ticket is on the deleted lists only: it is filtered as it was before
    return store_lists.listkeys(t.model_copy(update={"deleted_at": None}))


def queue_conditions(p: Principal, f: QueueFilters) -> QueuePlan:
    """The filters as conditions on the lists a ticket is on, and the lists that answer them
    exactly: none, one filter, several statuses, status with assignee or department, the
    deleted list (with a requester: his deleted list)."""
    assignee = f.assignee
    if assignee == "me":
        assignee = p.user_id
    ref = None
    if f.external_ref is not None:
        name, sep, value = f.external_ref.partition(":")
        if not (sep and name and value):
            raise BadRequestError("external_ref is <name>:<value>, e.g. jira:OPS-123")
        ref = store_keys.external_ref(name.lower(), value)
    requester = f.requester
    if requester and "@" in requester:
        requester = store_people.user_id_by_email(requester) or "unknown"
    q = store_keys.QUEUE
    single = [
        listplan.on_lists(key)
        for key, on in (
            (store_keys.by_priority(q, str(f.priority)), f.priority),
            (store_keys.by_category(q, str(f.category_id)), f.category_id),
            (store_keys.by_sub_category(q, str(f.sub_category_id)), f.sub_category_id),
            (store_keys.by_department(q, str(f.department_id)), f.department_id),
            (store_keys.by_assignee(q, str(assignee)), assignee),
            # the requester's and the organization's own lists hold the same tickets
            (store_keys.requester(str(requester)), requester),
            (store_keys.organization(str(f.organization_id)), f.organization_id),
            (store_keys.by_tag(q, f.tag.lower() if f.tag else ""), f.tag),
            (store_keys.unread(q), f.unread),
            (ref or "", ref),
        )
        if on
    ]
    if f.guest is not None:
        # no list of its own (one more entry per ticket write for a rare filter): checked
        # on each ticket of the most selective other list, or of the whole queue
        guest = f.guest
        single.append(listplan.tested(f"guest={guest}", lambda t, _held: t.guest == guest))
    statuses = [store_keys.by_status(q, s) for s in sorted(set(f.statuses))]
    conditions = ([listplan.on_lists(*statuses)] if statuses else []) + single
    if f.deleted:
        mine = [store_keys.by_requester(store_keys.DELETED, requester)] if requester else []
        only_requester = len(conditions) == 1 and bool(requester) and not statuses
        answer = [store_keys.DELETED] if not conditions else mine if only_requester else None
        return QueuePlan(conditions, [tuple(mine)], answer, _undeleted_lists)
    composites: list[tuple[str, ...]] = []
    if statuses and assignee:
        composites.append(tuple(store_keys.by_assignee(s, assignee) for s in statuses))
    if statuses and f.department_id:
        composites.append(tuple(store_keys.by_department(s, f.department_id) for s in statuses))
    exact: list[str] | None = None
    if not conditions:
        exact = [q]
    elif len(conditions) == 1 and conditions[0].lists:
        exact = list(conditions[0].lists)
    elif len(conditions) == 2 and statuses and (assignee or f.department_id):
        exact = list(composites[0])
    return QueuePlan(conditions, composites, exact, store_lists.listkeys)


def plan_queue(
    p: Principal, f: QueueFilters, *, sortable: bool = False, found: QueuePlan | None = None
) -> listplan.Plan:
    """How a queue filter set is read: its exact list(s), or the most selective maintained
    list filtered by the other conditions (docs/design.md 2.2); never a Scan.

    `sortable`: the page is read by creation or update time, which only the whole queue's
    and the deleted list's entries carry (GSI1, GSI2): they drive it.
    """
    plan = found or queue_conditions(p, f)
    whole = store_keys.DELETED if f.deleted else store_keys.QUEUE
    if sortable:
        if plan.exact == [whole]:
            return listplan.exact([whole])
        return listplan.Plan((whole,), False, tuple(plan.conditions))
    if plan.exact is not None:
        return listplan.exact(plan.exact)
    if f.deleted:  # the other lists hold no deleted ticket
        return listplan.most_selective(plan.conditions, [*plan.composites, (whole,)])
    candidates = [c.lists for c in plan.conditions] + plan.composites
    if not any(candidates):  # only conditions no list answers (guest): the whole queue drives
        candidates.append((whole,))
    return listplan.most_selective(plan.conditions, candidates)


def queue(
    p: Principal,
    f: QueueFilters,
    *,
    limit: int,
    cursor: str | None,
    sort: Sort = "activity",
    order: Literal["asc", "desc"] = "desc",
) -> StaffTicketList:
    """A page of the staff queue: an exact list with its counters' total, or the most
    selective list filtered within a read budget (a short page may carry a cursor, and its
    total is null unless exact)."""
    p.require_staff()
    if f.view is not None:
        if f != QueueFilters(view=f.view) or sort != "activity" or order != "desc":
            raise ViewWithFiltersError("view= combines with limit and cursor only")
        from helpdesk import views  # only the queue's view pages load the views' models

        return views.page(p, f.view, limit=limit, cursor=cursor)
    if f.number is not None:
        ticket_id = store_tickets.ticket_id_by_number(f.number)
        ticket = store_tickets.get_ticket(ticket_id) if ticket_id else None
        if ticket is not None and f != QueueFilters(number=f.number):
            # other filters too: the one ticket must meet them all
            rest = queue_conditions(p, f._replace(number=None))
            since = _since_key(f.updated_since)
            if (
                (ticket.deleted_at is not None) != f.deleted
                or not listplan.meets(rest.conditions, ticket, rest.held)
                or (since is not None and ticket.updated_at < since)
            ):
                ticket = None
        items = [StaffTicketSummary.of(ticket)] if ticket else []
        return StaffTicketList(items=items, next_cursor=None, total=len(items))
    if f.updated_since is not None:
        # `updated_since` bounds the update-time sort key, which only the GSI2 copy of an
        # entry has: a sync reads by update time whatever `sort` asked (docs/design.md 2.2)
        sort = "updated"
    found = queue_conditions(p, f)
    plan = plan_queue(p, f, sortable=sort != "activity", found=found)
    signature = f"{plan.signature}/{sort}/{order}/{f.updated_since or ''}"
    before = decode_cursor(cursor, expect=signature)["k"] if cursor else None
    page = listplan.read(
        plan,
        limit=limit,
        before=before,
        held=found.held,
        sort=sort,
        descending=order == "desc",
        since=_since_key(f.updated_since),
        counted=f.updated_since is None,
    )
    next_cursor = None
    if page.next_sort_key is not None:
        next_cursor = encode_cursor({"l": signature, "k": page.next_sort_key})
    total = page.total if f.updated_since is None else len(page.tickets)
    named = any(t.category_id or t.department_id for t in page.tickets)
    names = catalog.names() if named else {}
    return StaffTicketList(
        items=[StaffTicketSummary.of(t, names) for t in page.tickets],
        next_cursor=next_cursor,
        total=total,
    )


SLA_FILTER = re.compile(r"^(breached|due_within:(\d{1,6}))$")
SLA_PAGE_READS = 5  # Query pages of the due list one queue page may read


def sla_queue(
    p: Principal,
    f: QueueFilters,
    *,
    sla: str | None,
    limit: int,
    cursor: str | None,
) -> StaffTicketList:
    """The queue by service level (issue 23): `sla=breached` (a running metric past its
    due time), `sla=due_within:<minutes>` (due from now to then), soonest due first, from
    the SLA_DUE due list (one Query per page, then one BatchGetItem; never a Scan). Other
    filters are checked on the page's tickets (a page may be short and still have a cursor);
    `total` is null (with `updated_since`, as everywhere, the page's size)."""
    p.require_staff()
    if f.view is not None:
        raise ViewWithFiltersError("view= combines with limit and cursor only")
    at = now()
    since, until = "", "9999"
    if sla is not None:
        found = SLA_FILTER.match(sla)
        if found is None:
            raise BadRequestError("sla is breached or due_within:<minutes>")
        if found.group(2) is None:
            until = iso(at)
        else:
            since, until = iso(at), iso(at + timedelta(minutes=int(found.group(2))))
    signature = f"sla/{sla or ''}"
    after = decode_cursor(cursor, expect=signature)["k"] if cursor else None
    rest = queue_conditions(p, f._replace(number=None))
    updated_since = _since_key(f.updated_since)

    def wanted(t: Ticket | None) -> bool:
        return (
            t is not None
            and t.deleted_at is None
            and not f.deleted
            and (f.number is None or t.number == f.number)
            and (updated_since is None or t.updated_at >= updated_since)
            and listplan.meets(rest.conditions, t, rest.held)
        )

    tickets: list[Ticket] = []
    for _ in range(SLA_PAGE_READS):
        ids, after = store_lists.sla_due(since, until, limit - len(tickets), after)
        found_tickets = store_lists.get_tickets(ids) if ids else {}
        tickets += [t for t in map(found_tickets.get, ids) if t is not None and wanted(t)]
        if after is None or len(tickets) >= limit:
            break
    next_cursor = encode_cursor({"l": signature, "k": after}) if after else None
    named = any(t.category_id or t.department_id for t in tickets)
    names = catalog.names() if named else {}
    return StaffTicketList(
        items=[StaffTicketSummary.of(t, names) for t in tickets],
        next_cursor=next_cursor,
        total=len(tickets) if f.updated_since is not None else None,  # a sync: the page's
    )


def _since_key(since: str | None) -> str | None:
    if since is None:
        return None
    from helpdesk.clock import iso, parse

    try:
        return iso(parse(since))
    except ValueError as ex:
        raise BadRequestError("updated_since must be an ISO 8601 time") from ex


def get_ticket(p: Principal, ticket_id: str) -> StaffTicketResponse:
    """The whole ticket for staff, internal notes included: one Query; and which of its
    requester's and cc addresses get no mail (one BatchGetItem)."""
    p.require_staff()
    thread = store_tickets.get_thread(ticket_id, include_notes=True)
    if thread is None:
        raise TicketNotFoundError()
    t = thread.ticket
    return StaffTicketResponse.build(t, thread.messages, _undeliverable(t), slaclock.view(t.sla))


def _undeliverable(t: Ticket) -> list[Suppression]:
    """The suppressions among the ticket's requester and cc addresses."""
    found = store_mail.suppressed([t.requester_email or "", *t.cc])
    return [Suppression.of(i) for i in found]


def events(p: Principal, ticket_id: str, *, limit: int, cursor: str | None) -> EventList:
    """The ticket's ordered history (events with actor, time, before/after)."""
    p.require_staff()
    after = int(decode_cursor(cursor, expect=f"events:{ticket_id}")["k"]) if cursor else 0
    items, more = store_tickets.list_events(ticket_id, limit=limit, after_seq=after)
    if not items and after == 0 and store_tickets.get_ticket(ticket_id) is None:
        raise TicketNotFoundError()
    next_cursor = (
        encode_cursor({"l": f"events:{ticket_id}", "k": str(items[-1].seq)})
        if more and items
        else None
    )
    return EventList(
        items=[EventResponse.model_validate(e.model_dump(mode="json")) for e in items],
        next_cursor=next_cursor,
    )


def _version_from(if_match: str | None, ticket_id: str) -> int | None:
    """The version an If-Match names; None without one (the change applies to the ticket as
    it is: last writer wins, as the seeds' clients expect)."""
    if not if_match:
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    tid, _, version = tag.rpartition(".")
    if tid != ticket_id or not version.isdigit():
        raise PreconditionFailedError("If-Match does not name this ticket's ETag")
    return int(version)


REF_FIELDS = {"category_id", "sub_category_id", "department_id"}
Catalog = tuple[list[Category], list[Department]]


def _catalog_for(fields: dict[str, Any]) -> Catalog:
    """The catalog when a change names a category, sub-category or department (one Query);
    otherwise nothing to check against, and no read."""
    return store_catalog.list_catalog() if REF_FIELDS & fields.keys() else ([], [])


def _check_refs(fields: dict[str, Any], ticket_category: str | None, catalog: Catalog) -> None:
    if not REF_FIELDS & fields.keys():
        return
    categories, departments = catalog
    cats = {c.id: c for c in categories if c.active}
    cat_id = fields.get("category_id", ticket_category)
    if "category_id" in fields and cat_id is not None:
        if cat_id not in cats or cats[cat_id].parent_id is not None:
            raise InvalidCategoryError(f"Unknown category {cat_id}")
    sub = fields.get("sub_category_id")
    if sub is not None and (sub not in cats or cats[sub].parent_id != cat_id):
        raise InvalidCategoryError(f"Sub-category {sub} does not belong to {cat_id}")
    dep = fields.get("department_id")
    if dep is not None and dep not in {d.id for d in departments if d.active}:
        raise InvalidDepartmentError(f"Unknown department {dep}")


def _member(p: Principal) -> store_people.StaffMember:
    """The caller's staff directory entry, refreshed by every staff write."""
    return store_people.StaffMember(
        p.user_id, p.name, p.email, tuple(sorted(p.roles)), last_seen_at=now_iso()
    )


def _check_assignee(p: Principal, assignee: str) -> None:
    """Assignees are staff in the directory, and not deactivated ones."""
    if assignee == p.user_id:
        return
    member = store_people.get_staff(assignee)
    if member is None or not member.active:
        raise AssigneeUnknownError(f"{assignee} is not a known agent")


def update(
    p: Principal, ticket_id: str, req: StaffUpdateRequest, if_match: str | None
) -> StaffTicketSummary:
    """PATCH: validated against the status machine; each change one event. With If-Match, a
    ticket at another version is 412; without, the change applies (last writer wins)."""
    p.require_staff()
    version = _version_from(if_match, ticket_id)
    fields: dict[str, Any] = {
        k: getattr(req, k) for k in req.model_fields_set if k != "forward_note"
    }
    if "assignee_id" in fields and fields["assignee_id"] is not None:
        assignee = p.user_id if fields["assignee_id"] == "me" else fields["assignee_id"]
        _check_assignee(p, assignee)
        fields["assignee_id"] = assignee
    if "tags" in fields:
        fields["tags"] = sorted({tag.lower() for tag in fields["tags"] or []})  # normalised
    if "external_refs" in fields:
        fields["external_refs"] = dict(sorted((fields["external_refs"] or {}).items()))
    if "category_id" in fields and "sub_category_id" not in fields:
        fields["sub_category_id"] = None  # a new category drops the old sub-category
    for key in ("status", "priority", "locked"):
        if key in fields and fields[key] is None:
            raise ValidationFailedError(f"{key} cannot be null")
    # The catalog is read only when a reference changes; the references are checked
    # against the ticket mutate reads (no read of the ticket of our own).
    catalog = _catalog_for(fields)

    def change(t: Ticket) -> Outcome:
        _check_refs(fields, t.category_id, catalog)
        return lifecycle.staff_update(
            t, p.user_id, now_iso(), fields, forward_note=req.forward_note
        )

    updated = mutate(
        ticket_id, change, may_change=_not_deleted, expect_version=version, staff=_member(p)
    )
    return StaffTicketSummary.of(updated.ticket)


def _requester_for(req: StaffCreateTicketRequest) -> store_people.Profile:
    """Who a staff intake is for: a requester by id (his profile), an account by e-mail, or
    else a guest by e-mail, as the public form makes one (`guests.guest_user_id`)."""
    if req.requester_id is not None:
        found = store_people.get_profile(req.requester_id)
        if found is None:
            raise RequesterNotFoundError(f"No requester {req.requester_id}")
        return found
    assert req.requester is not None  # the model asks for one or the other
    email = str(req.requester.email).lower()
    user_id = store_people.user_id_by_email(email)
    known = store_people.get_profile(user_id) if user_id else None
    if user_id and known is not None:
        return known
    if user_id:  # an e-mail lookup without a profile: the account, named as asked
        return store_people.Profile(user_id, req.requester.name, email, None, False)
    return store_people.Profile(guest_user_id(email), req.requester.name, email, None, True)


def create_for(p: Principal, req: StaffCreateTicketRequest) -> StaffTicketResponse:
    """POST /admin/tickets: a ticket opened by staff on a requester's behalf, in one
    transaction like the customer's (the staff member's directory entry with it); the
    `created` event is the staff member's and names the requester and the channel."""
    p.require_staff()
    ratelimit.check_write(p)
    check_catalog(req)
    assignee = p.user_id if req.assignee_id == "me" else req.assignee_id
    if assignee is not None:
        _check_assignee(p, assignee)
    who = _requester_for(req)
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
        requester_id=who.user_id,
        requester_name=who.name,
        requester_email=who.email,
        org_id=who.org_id,
        guest=who.guest,
        channel=req.channel,
        opened_by=p.user_id,
        category_id=req.category_id,
        sub_category_id=req.sub_category_id,
        department_id=req.department_id,
        assignee_id=assignee,
        tags=sorted({t.lower() for t in req.tags}),
        cc=[str(e).lower() for e in req.cc],
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    first = Message(
        id=message_id,
        ticket_id=ticket_id,
        author_id=who.user_id,
        author_name=who.name,
        side=Side.CUSTOMER,
        body=req.message,
        created_at=now,
        attachments=plan.refs,
    )
    out = lifecycle.open_ticket_for(ticket, p.user_id, now, req.status)
    out = out._replace(ticket=slaclock.track(None, out.ticket))
    with attachments.linking(plan):
        store_retry.on_conflict(
            lambda: store_tickets.create_ticket(
                out.ticket, first, out.events, plan.links, staff=_member(p)
            ),
            operation="admin_create_ticket",
        )
    telemetry.count("TicketsCreated")
    t = out.ticket
    return StaffTicketResponse.build(t, [first], _undeliverable(t), slaclock.view(t.sla))


def reply(p: Principal, ticket_id: str, req: StaffReplyRequest) -> StaffReplyResponse:
    """A staff reply (first one moves open -> in_progress) or an internal note."""
    p.require_staff()
    ratelimit.check_write(p)
    message_id = new_id("msg")
    plan = attachments.prepare_links(
        p, req.attachment_ids, ticket_id=ticket_id, message_id=message_id, internal=req.internal
    )

    def change(t: Ticket) -> Outcome:
        if req.internal and req.next_status is not None:
            raise ValidationFailedError("An internal note cannot change the status")
        now = now_iso()
        message = Message(
            id=message_id,
            ticket_id=t.id,
            author_id=p.user_id,
            author_name=p.name,
            side=Side.STAFF,
            internal=req.internal,
            body=req.message,
            created_at=now,
            attachments=plan.refs,
        )
        if req.internal:
            out = lifecycle.add_note(t, p.user_id, now, message_id)
        else:
            out = lifecycle.reply(
                t, p.user_id, Side.STAFF, now, message_id, next_status=req.next_status
            )
        return out._replace(messages=(message,))

    with attachments.linking(plan):
        out = mutate(ticket_id, change, plan.links, may_change=_not_deleted, staff=_member(p))
    if not req.internal:
        telemetry.count("Replies", side=Side.STAFF.value)
        if out.first_response_seconds is not None:
            telemetry.seconds("FirstResponseSeconds", out.first_response_seconds)
    return StaffReplyResponse(
        message=MessageResponse.of(out.messages[0]), ticket=StaffTicketSummary.of(out.ticket)
    )


def mark_read(p: Principal, ticket_id: str) -> StaffTicketSummary:
    """The staff read marker (the reseller seed's admin_seen)."""
    p.require_staff()
    return StaffTicketSummary.of(
        mutate(
            ticket_id,
            lambda t: lifecycle.mark_read(t, p.user_id, Side.STAFF, now_iso()),
            may_change=_not_deleted,
        ).ticket
    )


def bulk_update(p: Principal, req: BulkUpdateRequest) -> BulkUpdateResponse:
    """One change on up to 100 tickets; each ticket on its own (lifecycle, event, all or nothing).

    The change is checked once (assignee known, department active); then each
    ticket is one versioned write, and its failure (404, 409, ...) is reported
    in its row without stopping the others.
    """
    p.require_staff()
    change = req.change
    fields: dict[str, Any] = {
        k: getattr(change, k) for k in change.model_fields_set if not k.startswith("tags_")
    }
    if fields.get("assignee_id") is not None:
        assignee = p.user_id if fields["assignee_id"] == "me" else fields["assignee_id"]
        _check_assignee(p, assignee)
        fields["assignee_id"] = assignee
    _check_refs(fields, None, _catalog_for(fields))
    store_people.put_staff(_member(p))
    add = {t.lower() for t in change.tags_add}
    remove = {t.lower() for t in change.tags_remove}

    def apply(t: Ticket) -> Outcome:
        these = dict(fields)
        if add or remove:
            these["tags"] = sorted((set(t.tags) | add) - remove)
        return lifecycle.staff_update(t, p.user_id, now_iso(), these)

    results = []
    for ticket_id in req.ticket_ids:
        try:
            ticket = mutate(ticket_id, apply, may_change=_not_deleted).ticket
            results.append(
                BulkItemResult(ticket_id=ticket_id, ok=True, status=200, etag=etag(ticket))
            )
        except HelpdeskError as ex:
            results.append(
                BulkItemResult(ticket_id=ticket_id, ok=False, status=ex.status, code=ex.code)
            )
    ok = sum(r.ok for r in results)
    return BulkUpdateResponse(succeeded=ok, failed=len(results) - ok, results=results)

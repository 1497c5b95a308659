"""List entries and counters: which lists a ticket is on, their index, pages and totals.

For every list a ticket belongs to (its *listkeys*: mine, mine-by-status,
queue-by-assignee, ...) there is a **thin entry** in the partition `L#<listkey>`:
its key (sorted by last activity) and the ticket id, nothing else. A counter holds the
list's size: one item `C#<listkey>` for one person's list, `keys.COUNTER_SHARDS` items for
a shared one (the whole queue, its status lists, ...), each ticket's moves on its own shard
(`keys.counter_shard`), so that concurrent commits rarely meet on one item. A page is one
Query per listkey, then one BatchGetItem of the page's tickets; a total is one GetItem, or
one BatchGetItem of the shards, whatever the table holds.

Entries and counters are written by the list indexer (`apply`), from the table's stream,
not in the request's transaction (docs/design.md 2., "List index"): a change costs the
ticket's own items, and the index follows within the stream's lag. Creation also puts the
requester's own entry in its transaction, so a customer sees the ticket he just opened. A
per-ticket record (`IX#<id>`) says which entries the index holds, at which sort keys, for
which ticket version; the indexer moves entries from that state to the ticket's, puts
before deletes, and commits the counters with the record in one small transaction
conditioned on the version it read: a redelivered or stale record changes nothing, a
crash halfway is finished by the retry, and counters move exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from helpdesk.domain import OPEN_STATUSES, Ticket
from helpdesk.errors import StoreError
from helpdesk.store import codec, keys
from helpdesk.viewdefs import ViewDef


def listkeys(t: Ticket, views: Sequence[ViewDef] = ()) -> set[str]:
    """Every list the ticket is on. Each is a partition of entries plus a counter.

    `views`: the saved views' definitions (the list indexer's); the ticket is on the list of
    each view it meets (its assignee's part of an "assignee: me" view).

    R#<user>: the requester's lists; O#<org>: the organization's; Q: the staff queue. The
    queue's requester and organization filters read `R#<user>` and `O#<org>` (the same
    tickets: a list of its own would cost a write per change for nothing).
    A deleted ticket is on one list only, `Q#DEL` (the queue's `deleted=true`).
    """
    if t.deleted_at is not None:
        # the requester's own deleted list lets erasure find every ticket of his
        return {keys.DELETED, keys.by_requester(keys.DELETED, t.requester_id)}
    mine = keys.requester(t.requester_id)
    found = {mine, keys.by_status(mine, t.status), keys.by_priority(mine, t.priority)}
    if t.category_id:
        found.add(keys.by_category(mine, t.category_id))
    if t.customer_unread_count > 0:
        found.add(keys.unread(mine))
    if t.status in OPEN_STATUSES or t.customer_unread_count > 0:
        found.add(keys.open_or_unread(mine))
    if t.org_id:
        org = keys.organization(t.org_id)
        found |= {org, keys.by_status(org, t.status)}
    q = keys.QUEUE
    assignee = t.assignee_id or "none"
    found |= {
        q,
        keys.by_status(q, t.status),
        keys.by_priority(q, t.priority),
        keys.by_assignee(q, assignee),
        keys.by_assignee(keys.by_status(q, t.status), assignee),
    }
    if t.category_id:
        found.add(keys.by_category(q, t.category_id))
    if t.sub_category_id:
        found.add(keys.by_sub_category(q, t.sub_category_id))
    if t.department_id:
        found |= {
            keys.by_department(q, t.department_id),
            keys.by_department(keys.by_status(q, t.status), t.department_id),
        }
    found |= {keys.by_tag(q, tag) for tag in t.tags}
    found |= {keys.external_ref(k, v) for k, v in t.external_refs.items()}
    if t.staff_unread_count > 0:
        found.add(keys.unread(q))
    found |= {lk for lk in (v.listkey(t) for v in views) if lk is not None}
    return found


# ---------------------------------------------------------------- the index of one ticket


class Placement(NamedTuple):
    """Where a ticket's entries are: listkey -> entry sort key (last activity), and the
    update-time and creation sort keys of the sortable lists' entries (GSI2, GSI1)."""

    lists: dict[str, str]
    updated: str = ""
    created: str = ""


NOWHERE = Placement({})


def placement(
    t: Ticket | None, only: Iterable[str] | None = None, views: Sequence[ViewDef] = ()
) -> Placement:
    """Where `t`'s entries belong (`only`: just those lists, e.g. creation's own list)."""
    if t is None:
        return NOWHERE
    at = keys.sort_value(t.last_activity_at, t.id)
    names = listkeys(t, views) if only is None else set(only)
    return Placement(
        dict.fromkeys(names, at),
        keys.sort_value(t.updated_at, t.id),
        keys.sort_value(t.created_at, t.id),
    )


def _thin_entry(lk: str, sort_key: str, ticket_id: str) -> dict[str, Any]:
    """A thin entry's attributes: its key and the ticket id."""
    return {**keys.Key(keys.entries_pk(lk), sort_key).fields(), "kind": "entry", "id": ticket_id}


def _entry_item(lk: str, ticket_id: str, where: Placement) -> dict[str, Any]:
    """A thin entry (the sortable lists add their GSI keys)."""
    data = _thin_entry(lk, where.lists[lk], ticket_id)
    if keys.sortable(lk):
        data |= {
            "GSI1PK": keys.entries_pk(lk),
            "GSI1SK": where.created,
            "GSI2PK": keys.entries_pk(lk),
            "GSI2SK": where.updated,
        }
    return codec.item(data)


class IndexChange(NamedTuple):
    puts: list[dict[str, Any]]  # entry items
    deletes: list[dict[str, Any]]  # entry keys
    counters: dict[str, int]  # listkey -> delta


def diff(ticket_id: str, held: Placement, wanted: Placement) -> IndexChange:
    """The entry writes and counter moves that take a ticket's index from `held` to `wanted`.

    An entry is rewritten only if its list is new, its sort key moved, or (sortable
    lists) its update time moved: a change that no list sorts or filters by writes nothing.
    """
    puts: list[dict[str, Any]] = []
    deletes: list[dict[str, Any]] = []
    for lk in sorted(wanted.lists):
        old_at = held.lists.get(lk)
        moved = old_at is not None and old_at != wanted.lists[lk]
        resorted = keys.sortable(lk) and held.updated != wanted.updated
        if old_at is None or moved or resorted:
            puts.append(_entry_item(lk, ticket_id, wanted))
        if moved and old_at is not None:
            deletes.append(keys.Key(keys.entries_pk(lk), old_at).av())
    for lk in sorted(set(held.lists) - set(wanted.lists)):
        deletes.append(keys.Key(keys.entries_pk(lk), held.lists[lk]).av())
    counters = {lk: +1 for lk in wanted.lists if lk not in held.lists}
    counters |= {lk: -1 for lk in held.lists if lk not in wanted.lists}
    return IndexChange(puts, deletes, counters)


def counter_update(lk: str, delta: int, ticket_id: str) -> dict[str, Any]:
    """Move the list's counter by `delta` on the ticket's shard (the same shard for every
    move of that ticket: a redelivered record is stopped by the commit's version check)."""
    return {
        "Update": {
            "TableName": codec.table(),
            "Key": keys.counter(lk, keys.counter_shard(lk, ticket_id)).av(),
            "UpdateExpression": "ADD n :d",
            "ExpressionAttributeValues": {":d": {"N": str(delta)}},
        }
    }


def _state_item(
    ticket_id: str, version: int, where: Placement, revision: int = 0
) -> dict[str, Any]:
    """The index record: the lists (every entry of a ticket has the same sort key, `a`), and
    its revision `r` (every write of the record moves it: the indexer's and a view backfill's
    writes are conditioned on the one they read)."""
    at = set(where.lists.values())
    assert len(at) <= 1, "a ticket's entries share one sort key"
    return codec.item(
        {
            **keys.index_state(ticket_id).fields(),
            "kind": "index",
            "v": version,
            "r": revision,
            "lists": sorted(where.lists),
            "a": at.pop() if at else "",
            "u": where.updated,
            "c": where.created,
        }
    )


def creation_writes(t: Ticket) -> list[dict[str, Any]]:
    """For a new ticket's transaction: its requester's own entry, that list's counter, and
    the index record saying so (version 0: the indexer adds the other lists)."""
    mine = placement(t, only=[keys.requester(t.requester_id)])
    change = diff(t.id, NOWHERE, mine)
    return [
        *({"Put": {"TableName": codec.table(), "Item": i}} for i in change.puts),
        *(counter_update(lk, d, t.id) for lk, d in change.counters.items()),
        {
            "Put": {
                "TableName": codec.table(),
                "Item": _state_item(t.id, 0, mine),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
    ]


def fresh_items(t: Ticket) -> list[dict[str, Any]]:
    """Every index item of a ticket written outside the API (bulk loads in tests and
    benchmarks): its entries and its index record; the caller adds up the counters."""
    where = placement(t)
    return [*diff(t.id, NOWHERE, where).puts, _state_item(t.id, t.version, where)]


class Applied(NamedTuple):
    puts: int
    deletes: int
    counters: int
    skipped: bool


class _Held(NamedTuple):
    version: int
    where: Placement
    exists: bool
    revision: int | None  # None: a record written before revisions (none is 0 then)
    sla: dict[str, str]  # the ticket's places on the SLA due lists (sla_places)


def _held(ticket_id: str) -> _Held:
    found = codec.get(keys.index_state(ticket_id).av(), consistent=True)
    if not found:
        return _Held(-1, NOWHERE, False, None, {})
    data = codec.plain(found)
    lists = dict.fromkeys(data.get("lists") or [], data.get("a", ""))
    where = Placement(lists, data.get("u", ""), data.get("c", ""))
    revision = int(data["r"]) if "r" in data else None
    return _Held(int(data["v"]), where, True, revision, dict(data.get("sla") or {}))


def _guard(held: _Held) -> dict[str, Any]:
    """The commit's condition: the index record is as it was read (version and revision)."""
    if not held.exists:
        return {"ConditionExpression": "attribute_not_exists(PK)"}
    values: dict[str, Any] = {":v": {"N": str(held.version)}}
    if held.revision is None:
        return {
            "ConditionExpression": "v = :v AND attribute_not_exists(r)",
            "ExpressionAttributeValues": values,
        }
    values[":r"] = {"N": str(held.revision)}
    return {"ConditionExpression": "v = :v AND r = :r", "ExpressionAttributeValues": values}


def _kept_views(held: Placement, views: Sequence[ViewDef]) -> set[str]:
    """Held view lists the indexer's definitions do not speak for (a view newer than them,
    or one they do not know yet): left as the view's backfill put them."""
    known = {v.id: v.generation for v in views}
    kept = set()
    for lk in held.lists:
        view = keys.view_of_list(lk)
        if view is not None and view.generation > known.get(view.view_id, -1):
            kept.add(lk)
    return kept


def _commit(
    ticket_id: str,
    held: _Held,
    wanted: Placement,
    version: int | None,
    wanted_sla: dict[str, str] | None = None,
) -> Applied:
    """Move the ticket's entries from `held` to `wanted` and commit the record (`version`:
    None removes it) with the counters' moves in one transaction (one plain write when no
    counter moves); puts before deletes: a ticket moving in a list is never absent from it.
    `wanted_sla`: its places on the SLA due lists (None: as held)."""
    sla = held.sla if wanted_sla is None else wanted_sla
    change = diff(ticket_id, held.where, wanted)
    sla_puts, sla_deletes = sla_diff(ticket_id, held.sla, sla)
    change = change._replace(puts=change.puts + sla_puts, deletes=change.deletes + sla_deletes)
    room = codec.MAX_TRANSACTION_ITEMS - 1  # the record takes one item
    if len(change.counters) > room:
        # More lists joined or left at once than one transaction holds (a new ticket on many
        # saved views): commit them in steps, each index record naming exactly the lists its
        # counters count, the entries at the held place; the last step moves them to theirs.
        # A crash between steps leaves a consistent record that the retry goes on from.
        first = dict(sorted(change.counters.items())[:room])
        at = next(iter(held.where.lists.values()), "") or next(iter(wanted.lists.values()), "")
        lists = {lk for lk in held.where.lists if first.get(lk, 0) >= 0}
        lists |= {lk for lk, d in first.items() if d > 0}
        step = Placement(
            dict.fromkeys(lists, at),
            held.where.updated or wanted.updated,
            held.where.created or wanted.created,
        )
        _commit(ticket_id, held, step, held.version if held.exists else 0, held.sla)
        return _commit(ticket_id, _held(ticket_id), wanted, version, sla)
    moves = [counter_update(lk, d, ticket_id) for lk, d in sorted(change.counters.items())]
    codec.batch_write([{"PutRequest": {"Item": i}} for i in change.puts])
    codec.batch_write([{"DeleteRequest": {"Key": k}} for k in change.deletes])
    state = keys.index_state(ticket_id)
    guard = _guard(held)
    if version is None:
        commit = {"Delete": {"TableName": codec.table(), "Key": state.av(), **guard}}
    else:
        item = _state_item(ticket_id, version, wanted, (held.revision or 0) + 1)
        if sla:
            item["sla"] = codec.av(sla)
        commit = {"Put": {"TableName": codec.table(), "Item": item, **guard}}
    if moves:
        codec.transact([commit, *moves])
    elif held.exists or version is not None:
        codec.write(commit)  # no counter moves: the record alone, at the plain price
    return Applied(len(change.puts), len(change.deletes), len(moves), False)


def apply(ticket_id: str, ticket: Ticket | None, views: Sequence[ViewDef] = ()) -> Applied:
    """Bring the ticket's entries and counters to `ticket` (None: the ticket is gone), on the
    saved views of `views` too (a view list `views` does not know yet is left as it is).

    Idempotent and safe against stale records: a version the index already holds is
    skipped. Raises ConcurrentUpdateError if another delivery (or a view's backfill)
    committed in between (the caller retries the record, in order).
    """
    held = _held(ticket_id)
    if ticket is not None and held.version >= ticket.version:
        return Applied(0, 0, 0, True)
    wanted = placement(ticket, views=views)
    if ticket is not None and ticket.deleted_at is None:
        at = keys.sort_value(ticket.last_activity_at, ticket.id)
        wanted.lists.update(dict.fromkeys(_kept_views(held.where, views), at))
    return _commit(
        ticket_id, held, wanted, None if ticket is None else ticket.version, sla_places(ticket)
    )


def place_in_view(ticket_id: str, ticket: Ticket | None, view: ViewDef) -> Applied | None:
    """A view's backfill (or clean-up), one ticket: put it on the view's list if it meets
    the view (at the place its other entries have), off every other list of the view (an
    older generation; all of them when the view is being deleted). The index record keeps
    its version; its revision guards the commit. None: the ticket has no index record yet
    (the indexer will place it)."""
    held = _held(ticket_id)
    if not held.exists:
        return None
    lists = {lk for lk in held.where.lists if not view.owns(lk)}
    wanted_key = view.listkey(ticket) if ticket is not None else None
    if wanted_key is not None:
        lists.add(wanted_key)
    if lists == set(held.where.lists):
        return Applied(0, 0, 0, True)
    at = next(iter(held.where.lists.values()), "")
    if not at and ticket is not None:
        at = keys.sort_value(ticket.last_activity_at, ticket.id)
    wanted = Placement(dict.fromkeys(lists, at), held.where.updated, held.where.created)
    return _commit(ticket_id, held, wanted, held.version)


def queue_slice(after: str | None, limit: int) -> tuple[list[str], str | None]:
    """A view backfill's step: up to `limit` ticket ids of the whole queue, oldest activity
    first, after the position `after` (one Query); and the position to go on from (None: the
    end). A ticket that moves while the backfill runs moves to the end, ahead of it."""
    rows = _query(
        keys.QUEUE, limit=limit, before=after, sort="activity", descending=False, since=None
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return [r.ticket_id for r in rows], (rows[-1].sort_key if more and rows else None)


# ---------------------------------------------------------------- pages and totals


class Page(NamedTuple):
    tickets: list[Ticket]
    next_sort_key: str | None


class _Row(NamedTuple):
    sort_key: str
    listkey: str
    ticket_id: str


def _query(
    listkey: str,
    *,
    limit: int,
    before: str | None,
    sort: str,
    descending: bool,
    since: str | None,
) -> list[_Row]:
    """One Query reading at most `limit + 1` entries of one list."""
    index = {"activity": None, "created": "GSI1", "updated": "GSI2"}[sort]
    pk_name = {None: "PK", "GSI1": "GSI1PK", "GSI2": "GSI2PK"}[index]
    sk_name = {None: "SK", "GSI1": "GSI1SK", "GSI2": "GSI2SK"}[index]
    cond = f"{pk_name} = :pk"
    values: dict[str, Any] = {":pk": {"S": keys.entries_pk(listkey)}}
    if descending and before is not None and since is not None:
        cond += f" AND {sk_name} BETWEEN :lo AND :hi"
        values |= {":lo": {"S": since}, ":hi": {"S": _just_below(before)}}
    elif before is not None:
        cond += f" AND {sk_name} {'<' if descending else '>'} :c"
        values[":c"] = {"S": before}
    elif since is not None:
        cond += f" AND {sk_name} >= :lo"
        values[":lo"] = {"S": since}
    kwargs: dict[str, Any] = {
        "TableName": codec.table(),
        "KeyConditionExpression": cond,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": not descending,
        "Limit": limit + 1,
    }
    if index:
        kwargs["IndexName"] = index
    try:
        out = codec.client().query(**kwargs)
    except ClientError as ex:
        raise StoreError() from ex
    return [_Row(i[sk_name]["S"], listkey, i["id"]["S"]) for i in out.get("Items", [])]


def read_page(
    listkeys_: Sequence[str],
    *,
    limit: int,
    before: str | None = None,
    sort: str = "activity",
    descending: bool = True,
    since: str | None = None,
    held: Callable[[Ticket], set[str]] = listkeys,
) -> Page:
    """A page of one list, or of several merged by sort key (several statuses).

    One Query per listkey (each reads at most `limit + 1` entries), then one BatchGetItem
    of the page's tickets. An entry whose ticket has left that list since (the index
    follows the stream) is dropped; one the index has not moved yet is shown, with the
    ticket as it is now, at its old place. The cursor is the last entry's sort key.
    """
    rows: list[_Row] = []
    more = False
    for lk in listkeys_:
        found = _query(
            lk, limit=limit, before=before, sort=sort, descending=descending, since=since
        )
        more = more or len(found) > limit
        rows += found[:limit]
    rows.sort(key=lambda r: r.sort_key, reverse=descending)
    more = more or len(rows) > limit
    rows = rows[:limit]
    current = get_tickets(list(dict.fromkeys(r.ticket_id for r in rows)))
    seen: set[str] = set()
    tickets: list[Ticket] = []
    for row in rows:
        t = current.get(row.ticket_id)
        if t is None or row.ticket_id in seen or row.listkey not in held(t):
            continue
        seen.add(row.ticket_id)
        tickets.append(t)
    return Page(tickets, rows[-1].sort_key if more and rows else None)


class FilteredPage(NamedTuple):
    tickets: list[Ticket]
    next_sort_key: str | None
    complete: bool  # the lists were read to their end from the first entry: nothing skipped
    items_read: int  # entries and tickets read (the bound the caller set)


def read_filtered(
    listkeys_: Sequence[str],
    keep: Callable[[Ticket], bool],
    *,
    limit: int,
    budget: int,
    before: str | None = None,
    sort: str = "activity",
    descending: bool = True,
    since: str | None = None,
) -> FilteredPage:
    """A page of the tickets of `listkeys_` (merged by sort key) that `keep` accepts.

    Reads in rounds: one Query per listkey of at most `n` entries, the first `n` of them
    merged, one BatchGetItem of their tickets; `n` is sized so that every entry and ticket
    read stays within `budget` items per call. It stops when `limit` tickets are kept, the
    lists end, or the budget is spent: the page may then hold fewer than `limit` tickets
    and still carry a cursor (the last entry examined), never a Scan.
    """
    kept: list[Ticket] = []
    seen: set[str] = set()
    read = 0
    position = before
    while True:
        n = min(limit + 1, (budget - read) // (len(listkeys_) + 1))
        if n < 1:
            return FilteredPage(kept, position, False, read)
        rows: list[_Row] = []
        ended = True
        for lk in listkeys_:
            found = _query(
                lk, limit=n - 1, before=position, sort=sort, descending=descending, since=since
            )
            read += len(found)
            ended = ended and len(found) < n
            rows += found
        rows.sort(key=lambda r: r.sort_key, reverse=descending)
        ended = ended and len(rows) <= n
        rows = rows[:n]
        current = get_tickets(list(dict.fromkeys(r.ticket_id for r in rows)))
        read += len(current)
        for i, row in enumerate(rows):
            t = current.get(row.ticket_id)
            if t is None or row.ticket_id in seen or row.listkey not in listkeys(t):
                continue
            seen.add(row.ticket_id)
            if keep(t):
                kept.append(t)
                if len(kept) == limit:
                    more = i < len(rows) - 1 or not ended
                    cursor = row.sort_key if more else None
                    return FilteredPage(kept, cursor, not more and before is None, read)
        if ended or not rows:
            return FilteredPage(kept, None, before is None, read)
        position = rows[-1].sort_key


def get_tickets(ticket_ids: Sequence[str]) -> dict[str, Ticket]:
    """Tickets by id: one BatchGetItem (per 100)."""
    found = codec.batch_get([keys.ticket(i).av() for i in ticket_ids])
    return {t.id: t for t in map(codec.ticket_of, found)}


def _just_below(value: str) -> str:
    """The greatest practical string below `value`, for an inclusive BETWEEN upper bound."""
    return value[:-1] + chr(ord(value[-1]) - 1) + "\uffff" if value else value


def counts(listkeys_: Iterable[str]) -> dict[str, int]:
    """Each list's size, its counter's shards summed (one BatchGetItem per 100 shard keys: one
    for up to ten shared lists; a list or shard never written is 0)."""
    names = sorted(set(listkeys_))
    found = codec.batch_get([k.av() for name in names for k in keys.counters(name)])
    sizes = dict.fromkeys(names, 0)
    for i in found:
        held = keys.counter_of(i["PK"]["S"])
        if held is not None and held[0] in sizes:
            sizes[held[0]] += int(i["n"]["N"])
    return sizes


def count(listkeys_: Iterable[str]) -> int:
    """The size of `listkeys_` together: one GetItem for one unsharded counter, else one
    BatchGetItem of every shard of every list (five statuses of shared lists: 50 keys)."""
    shards = [k for name in sorted(set(listkeys_)) for k in keys.counters(name)]
    if len(shards) == 1:
        found = codec.get(shards[0].av())
        return int(found["n"]["N"]) if found else 0
    return sum(int(i["n"]["N"]) for i in codec.batch_get([k.av() for k in shards]))


# ---------------------------------------------------------------- the SLA due lists (issue 23)
# Thin entries like the others (`L#<listkey>`, SK `<time>#<ticket id>`, `id`), sorted by a
# time of the ticket's SLA state, without counters; the index record keeps their sort keys
# (`sla`: listkey -> SK) so that a moved entry's old key is deleted.


def sla_places(t: Ticket | None) -> dict[str, str]:
    """The due lists a ticket is on, and at which sort key: SLA_DUE at the earliest due
    time of its running metrics, SLA_NEXT at the next instant the sweep has to act; none
    for a deleted or merged ticket, or one without a running targeted metric."""
    if t is None or t.deleted_at is not None or t.merged_into or not t.sla:
        return {}
    out: dict[str, str] = {}
    metrics = (t.sla.get("metrics") or {}).values()
    dues = [m["due_at"] for m in metrics if m.get("due_at") and not m.get("stopped_at")]
    if dues:
        out[keys.SLA_DUE] = keys.sort_value(min(dues), t.id)
    if t.sla.get("next_at"):
        out[keys.SLA_NEXT] = keys.sort_value(str(t.sla["next_at"]), t.id)
    return out


def sla_diff(
    ticket_id: str, held: dict[str, str], wanted: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The entry puts and deletes that take a ticket's due-list entries from `held` to
    `wanted` (an entry whose time did not move is left alone)."""
    puts = [
        codec.item(_thin_entry(lk, sk, ticket_id))
        for lk, sk in sorted(wanted.items())
        if held.get(lk) != sk
    ]
    deletes = [
        keys.Key(keys.entries_pk(lk), sk).av()
        for lk, sk in sorted(held.items())
        if wanted.get(lk) != sk
    ]
    return puts, deletes


def sla_to_act(until: str, limit: int, after: str | None = None) -> tuple[list[str], str | None]:
    """The tickets the SLA sweep has something to do for at `until` (SLA_NEXT entries up
    to that time), soonest first: (ids, a cursor if more follow)."""
    return _sla_entries(keys.SLA_NEXT, "", until, limit, after)


def sla_due(
    since: str, until: str, limit: int, after: str | None = None
) -> tuple[list[str], str | None]:
    """The tickets whose earliest running due time is in [since, until] (SLA_DUE), soonest
    first: (ids, a cursor if more follow). `since` "": from the start of the list."""
    return _sla_entries(keys.SLA_DUE, since, until, limit, after)


def _sla_entries(
    listkey: str, since: str, until: str, limit: int, after: str | None
) -> tuple[list[str], str | None]:
    """One Query of `limit` + 1 entries with times in [since, until]."""
    pk = keys.entries_pk(listkey)
    low, high = keys.sort_value(since, ""), keys.sort_value(until, "\uffff")
    params: dict[str, Any] = {
        "TableName": codec.table(),
        "KeyConditionExpression": "PK = :pk AND SK BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":lo": {"S": low}, ":hi": {"S": high}},
        "Limit": limit + 1,
    }
    if after:
        params["ExclusiveStartKey"] = {"PK": {"S": pk}, "SK": {"S": after}}
    try:
        out = codec.client().query(**params)
    except ClientError as ex:
        raise StoreError() from ex
    items = out.get("Items", [])
    more = len(items) > limit
    items = items[:limit]
    next_key = items[-1]["SK"]["S"] if more and items else None
    return [i["id"]["S"] for i in items], next_key


def queue_created_between(start: str, end: str, limit: int) -> tuple[list[Ticket], bool]:
    """The queue's tickets created in [start, end) (the whole queue's GSI1 copies, by
    creation: Queries of that range only, then BatchGetItems), at most `limit`: (tickets,
    whether more were left out). Deleted tickets are not on the queue."""
    ids: list[str] = []
    params: dict[str, Any] = {
        "TableName": codec.table(),
        "IndexName": "GSI1",
        "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK BETWEEN :lo AND :hi",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.entries_pk(keys.QUEUE)},
            ":lo": {"S": keys.sort_value(start, "")},
            ":hi": {"S": _just_below(keys.sort_value(end, ""))},
        },
        "ProjectionExpression": "id",
    }
    try:
        while len(ids) <= limit:
            out = codec.client().query(**params)
            ids += [i["id"]["S"] for i in out.get("Items", [])]
            if "LastEvaluatedKey" not in out:
                break
            params["ExclusiveStartKey"] = out["LastEvaluatedKey"]
    except ClientError as ex:
        raise StoreError() from ex
    more = len(ids) > limit
    found = get_tickets(ids[:limit])
    return [found[i] for i in ids[:limit] if i in found], more

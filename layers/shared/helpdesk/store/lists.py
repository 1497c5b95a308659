"""List entries and counters: which lists a ticket is on, their writes, pages and totals.

For every list a ticket belongs to (its *listkeys*: mine, mine-by-status,
queue-by-assignee, ...) the ticket is copied into the partition `L#<listkey>`,
sorted by last activity; a counter item `C#<listkey>` holds the list's size.
Both are rewritten in the same transaction as the ticket (`store.tickets`), so a
list page is one Query that reads only its page and a total is one GetItem,
whatever the table holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from botocore.exceptions import ClientError

from helpdesk.domain import OPEN_STATUSES, Ticket
from helpdesk.errors import StoreError
from helpdesk.store import codec, keys


def listkeys(t: Ticket) -> set[str]:
    """Every list the ticket is on. Each is a partition of entries plus a counter.

    R#<user>: the requester's lists; O#<org>: the organization's; Q: the staff queue.
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
        keys.by_requester(q, t.requester_id),
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
    if t.org_id:
        found.add(keys.by_organization(q, t.org_id))
    found |= {keys.by_tag(q, tag) for tag in t.tags}
    found |= {keys.external_ref(k, v) for k, v in t.external_refs.items()}
    if t.staff_unread_count > 0:
        found.add(keys.unread(q))
    return found


def entry_key(lk: str, t: Ticket) -> keys.Key:
    return keys.entry(lk, t.last_activity_at, t.id)


def _entry_put(lk: str, t: Ticket, fields: dict[str, Any]) -> dict[str, Any]:
    """A list entry: `fields` is the ticket's attribute map, converted once for all its lists."""
    data: dict[str, Any] = {**entry_key(lk, t).fields(), "kind": "entry"}
    if keys.is_staff_list(lk):
        # staff lists also sort by creation and by last update (sync clients)
        data |= {
            "GSI1PK": keys.entries_pk(lk),
            "GSI1SK": keys.sort_value(t.created_at, t.id),
            "GSI2PK": keys.entries_pk(lk),
            "GSI2SK": keys.sort_value(t.updated_at, t.id),
        }
    return {"Put": {"TableName": codec.table(), "Item": fields | codec.item(data)}}


def counter_update(lk: str, delta: int) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": codec.table(),
            "Key": keys.counter(lk).av(),
            "UpdateExpression": "ADD n :d",
            "ExpressionAttributeValues": {":d": {"N": str(delta)}},
        }
    }


def entry_writes(old: Ticket | None, new: Ticket, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The list entries and counters of a ticket change (`fields`: the new ticket's attributes).

    Puts an entry on each current list, deletes the entries the ticket left (a list it
    is no longer on, or an old activity time), moves the counters of lists gained or lost.
    """
    old_keys = listkeys(old) if old else set()
    new_keys = listkeys(new)
    writes: list[dict[str, Any]] = []
    if old is not None:
        moved = keys.sort_value(old.last_activity_at, old.id) != keys.sort_value(
            new.last_activity_at, new.id
        )
        for lk in sorted(old_keys):
            if lk not in new_keys or moved:
                delete = {"TableName": codec.table(), "Key": entry_key(lk, old).av()}
                writes.append({"Delete": delete})
    writes += [_entry_put(lk, new, fields) for lk in sorted(new_keys)]
    writes += [counter_update(lk, +1) for lk in sorted(new_keys - old_keys)]
    writes += [counter_update(lk, -1) for lk in sorted(old_keys - new_keys)]
    return writes


class Page(NamedTuple):
    tickets: list[Ticket]
    next_sort_key: str | None


def list_page(
    listkey: str,
    *,
    limit: int,
    before: str | None = None,
    sort: str = "activity",
    descending: bool = True,
    since: str | None = None,
) -> Page:
    """One page of a list: a single Query reading at most `limit + 1` entries."""
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
    items = out.get("Items", [])
    page = items[:limit]
    more = len(items) > limit
    return Page([codec.ticket_of(i) for i in page], page[-1][sk_name]["S"] if more else None)


def _just_below(value: str) -> str:
    """The greatest practical string below `value`, for an inclusive BETWEEN upper bound."""
    return value[:-1] + chr(ord(value[-1]) - 1) + "\uffff" if value else value


def count(listkeys_: Iterable[str]) -> int:
    """The sum of the counters of `listkeys_` (one GetItem, or one BatchGetItem for several)."""
    names = sorted(set(listkeys_))
    if len(names) == 1:
        found = codec.get(keys.counter(names[0]).av())
        return int(found["n"]["N"]) if found else 0
    try:
        res = codec.client().batch_get_item(
            RequestItems={codec.table(): {"Keys": [keys.counter(k).av() for k in names]}}
        )
    except ClientError as ex:
        raise StoreError() from ex
    return sum(int(i["n"]["N"]) for i in res.get("Responses", {}).get(codec.table(), []))

"""How the list index's write cost grows with the number of lists a ticket is on.

A ticket on the usual lists plus k more (tags here, standing for the saved views of the
views issue: each is one more list the ticket is on) is indexed, then changed the three
ways that cost differently: a reply (last activity moves: every entry moves), a read
marker (one unread list left, the update time moves), a priority change (two lists
swapped). Measured on moto with bench.warm's Clock (WRU by DynamoDB's sizing rules).

    python -m bench.list_cost [--lists 0,10,50]
    python -m bench.list_cost --views 0,10,50,120

`--views`: with N saved views defined, a new (open) ticket that matches none of them (every
view is of closed tickets) and one that matches all (every view is of open tickets): its first indexing (every list joined: the counters'
transaction, split in steps past DynamoDB's 100 items), then a reply. The cost follows the
views the ticket matches, not the views defined (the definitions are read once a batch).
"""

from __future__ import annotations

import argparse
import json

from bench.warm import Clock
from tests.conftest import _mocked_aws


def views_cost(counts: list[int]) -> None:
    """Items, transactions and WRU per ticket write with N views defined (see the module)."""
    rows = []
    transactions = [0]  # TransactWriteItems calls of the write measured
    for _ in _mocked_aws():
        from helpdesk import aws
        from helpdesk.domain import Ticket
        from helpdesk.store import codec as store_codec
        from helpdesk.store import lists as store_lists
        from helpdesk.viewdefs import ViewDef, ViewFilter

        clock = Clock()
        store_codec.client.cache_clear()
        aws.session().register("provide-client-params.*.*", clock.before)
        aws.session().register("after-call.*.*", clock.after)
        aws.session().register(
            "provide-client-params.dynamodb.TransactWriteItems",
            lambda **_: transactions.__setitem__(0, transactions[0] + 1),
        )
        for n in counts:
            for matched in sorted({0, n}):
                status = "open" if matched else "closed"
                views = [
                    ViewDef(f"view_b{i:03d}", 1, ViewFilter(statuses=(status,))) for i in range(n)
                ]
                at = "2026-11-30T10:00:00.000000Z"
                t = Ticket(
                    id=f"tkt_views{n}x{matched}",
                    number=2000 + n * 1000 + matched,
                    subject="Bench",
                    requester_id="usr_bench",
                    department_id="dep_support",
                    category_id="cat_billing",
                    created_at=at,
                    updated_at=at,
                    last_activity_at=at,
                    message_count=1,
                    staff_unread_count=1,
                    version=1,
                )
                on = len(store_lists.listkeys(t, views))
                later = "2026-11-30T11:00:00.000000Z"
                reply = t.model_copy(
                    update={"last_activity_at": later, "updated_at": later, "version": 2}
                )
                for name, new in (("first indexing (every list joined)", t), ("reply", reply)):
                    clock.reset()
                    transactions[0] = 0
                    store_lists.apply(t.id, new, views)
                    rows.append(
                        (
                            n,
                            matched,
                            on,
                            name,
                            clock.items,
                            transactions[0],
                            clock.transact_items,
                            clock.wru,
                        )
                    )
    lines = [
        "| views defined | views matched | lists the ticket is on | write | items written | "
        "transactions | largest transaction | WRU |",
        "|---:|---:|---:|---|---:|---:|---:|---:|",
    ] + [
        f"| {n} | {m} | {on} | {name} | {items} | {tx} | {big} | {wru:.0f} |"
        for n, m, on, name, items, tx, big, wru in rows
    ]
    print("\n".join(lines) + "\n")
    print(json.dumps([list(r) for r in rows]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lists", default="0,10,50")
    parser.add_argument("--views", default="", help="e.g. 0,10,50,120: views defined")
    args = parser.parse_args()
    if args.views:
        views_cost([int(x) for x in args.views.split(",")])
        return
    rows = []
    for _ in _mocked_aws():
        from helpdesk import aws
        from helpdesk.domain import Priority, Ticket
        from helpdesk.store import codec as store_codec
        from helpdesk.store import lists as store_lists

        clock = Clock()
        store_codec.client.cache_clear()
        aws.session().register("provide-client-params.*.*", clock.before)
        aws.session().register("after-call.*.*", clock.after)
        for k in [int(x) for x in args.lists.split(",")]:
            at = "2026-11-30T10:00:00.000000Z"
            t = Ticket(
                id=f"tkt_bench{k}",
                number=1000 + k,
                subject="Bench",
                requester_id="usr_bench",
                department_id="dep_support",
                category_id="cat_billing",
                tags=[f"view{i}" for i in range(k)],
                created_at=at,
                updated_at=at,
                last_activity_at=at,
                message_count=1,
                staff_unread_count=1,
                version=1,
            )
            store_lists.apply(t.id, t)
            on = len(store_lists.listkeys(t))
            later = "2026-11-30T11:00:00.000000Z"
            changes = {
                "reply (every entry moves)": t.model_copy(
                    update={"last_activity_at": later, "updated_at": later, "version": 2}
                ),
                "read marker (unread list left)": t.model_copy(
                    update={"staff_unread_count": 0, "updated_at": later, "version": 2}
                ),
                "priority change (two lists swapped)": t.model_copy(
                    update={"priority": Priority.HIGH, "updated_at": later, "version": 2}
                ),
            }
            for name, new in changes.items():
                store_lists.apply(t.id, None)  # each change from the same indexed state (v1)
                store_lists.apply(t.id, t)
                clock.reset()
                store_lists.apply(t.id, new)
                rows.append((k, on, name, clock.items, clock.transact_items, clock.wru))
    lines = [
        "| extra lists (views) | lists the ticket is on | change | items written | "
        "largest transaction | WRU |",
        "|---:|---:|---|---:|---:|---:|",
    ] + [
        f"| {k} | {on} | {name} | {items} | {tx} | {wru:.0f} |"
        for k, on, name, items, tx, wru in rows
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    print(json.dumps([list(r) for r in rows]))


if __name__ == "__main__":
    main()

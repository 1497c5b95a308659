"""Combined queue filters: items read per page for the worst combination, by table size.

The worst combination for a filtered page is two large lists whose tickets never meet: every
ticket is open or closed and low or high priority, and no open ticket is low, so
`status=open&priority=low` (no maintained list holds it) is driven from the smaller of the two
lists and finds nothing: the page reads its whole budget and answers no item with a cursor.
The best case for comparison is an exact list (`status=open`). Tickets are put straight into
moto's table as bench.scale does (the store's own items: ticket, entries, index record,
counters). The pass line is that items read per page do not grow with the table.

    python -m bench.combined_filters [--sizes 1000,10000,50000] [--limit 20]
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from bench import offline_env

offline_env()

from bench.scale import _fast_moto_items  # noqa: E402
from tests.conftest import BUCKET, TABLE  # noqa: E402  (sets TABLE_NAME)


def _load(n: int, start: int, counters: dict[str, int]) -> None:
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from helpdesk.domain import Priority, Status, Ticket
    from helpdesk.store import lists as store_lists
    from helpdesk.store import tickets as store_tickets

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    for i in range(start, start + n):
        at = f"2026-11-30T10:00:00.{i:06d}Z"
        is_open = i % 2 == 0
        t = Ticket(
            id=f"tkt_cf{i:08d}",
            number=100000 + i,
            subject="combined",
            requester_id=f"cf{i % 997}",
            status=Status.OPEN if is_open else Status.CLOSED,
            # no open ticket is low: status=open & priority=low meets nobody
            priority=Priority.HIGH if is_open or i % 4 == 1 else Priority.LOW,
            created_at=at,
            updated_at=at,
            last_activity_at=at,
            version=1,
        )
        backend.put_item(TABLE, store_tickets.ticket_writes(None, t)[0]["Put"]["Item"])
        for item in store_lists.fresh_items(t):
            backend.put_item(TABLE, item)
        for lk in store_lists.listkeys(t):
            counters[lk] = counters.get(lk, 0) + 1


def _write_counters(counters: dict[str, int]) -> None:
    from helpdesk.store import codec as store_codec
    from helpdesk.store import keys as store_keys

    client = store_codec.client()
    for lk, n in counters.items():
        client.put_item(
            TableName=TABLE,
            Item={**store_keys.counter(lk).av(), "n": {"N": str(n)}},
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    from moto import mock_aws

    rows = []
    with mock_aws():
        from helpdesk.desk import QueueFilters, queue
        from helpdesk.domain import Priority, Status
        from helpdesk.listplan import READ_BUDGET
        from helpdesk.principal import Principal, Role
        from helpdesk.store import codec as store_codec
        from local.backend import create_resources
        from local.template import app

        create_resources(app(), None, "us-east-1", TABLE, BUCKET)
        agent = Principal(user_id="bench-agent", name="Agent", roles=frozenset({Role.AGENT}))
        read: list[int] = []

        def hook(parsed: dict[str, Any], model: Any, **_: Any) -> None:
            if model.name == "Query":
                read.append(int(parsed.get("Count", 0)))
            elif model.name in ("BatchGetItem", "GetItem"):
                got = parsed.get("Responses", {}).get(TABLE, [])
                read.append(len(got) if model.name == "BatchGetItem" else int("Item" in parsed))

        store_codec.client().meta.events.register("after-call.dynamodb.*", hook)
        counters: dict[str, int] = {}
        have = 0
        for size in [int(s) for s in args.sizes.split(",")]:
            with _fast_moto_items():
                _load(size - have, have, counters)
            _write_counters(counters)
            have = size
            for name, f in (
                ("status=open (exact list)", QueueFilters(statuses=(Status.OPEN,))),
                (
                    "status=open&priority=low (worst: none meet)",
                    QueueFilters(statuses=(Status.OPEN,), priority=Priority.LOW),
                ),
            ):
                read.clear()
                t0 = time.perf_counter()
                page = queue(agent, f, limit=args.limit, cursor=None)
                ms = (time.perf_counter() - t0) * 1000
                rows.append(
                    (
                        size,
                        name,
                        sum(read),
                        len(page.items),
                        page.next_cursor is not None,
                        page.total,
                        ms,
                    )
                )
    print(
        f"limit={args.limit}, READ_BUDGET={READ_BUDGET}; items read = Query entries + tickets "
        "+ counters, one page\n"
    )
    print("| tickets | filter | items read | items | cursor | total | moto ms |")
    print("|---:|---|---:|---:|---|---|---:|")
    for size, name, n, items, cur, total, ms in rows:
        print(f"| {size:,} | {name} | {n} | {items} | {cur} | {total} | {ms:.0f} |")


if __name__ == "__main__":
    main()

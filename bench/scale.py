"""Scale: list latency and ScannedCount with 1k, 10k and 50k tickets in the table (and as
many changes in the change feed: each background ticket's creation is one feed record and
its event, as the store writes them).

The measured user has 30 tickets; the rest belong to other requesters and all of
them are in the staff queue. Background tickets are written as exactly the list
entries the store writes for them (the requester's list, the queue, the queue by
assignee), put directly into moto's table because moto's transactions are slow; the
measured lists are then read through `tickets.list_tickets` and `store_lists.read_page` (a Query of thin entries, then one
BatchGetItem of the page's tickets).
moto keeps everything in memory and its Query walks the table's items in Python, so its
latency grows with the table where DynamoDB's would not: the pass line is ScannedCount
(what DynamoDB bills and reads), which must stay constant.

    python -m bench.scale [--sizes 1000,10000,50000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import offline_env

offline_env()

from tests.conftest import BUCKET, TABLE  # noqa: E402  (sets TABLE_NAME)


@contextmanager
def _fast_moto_items() -> Iterator[None]:
    """moto checks DynamoDB's 400 KB item limit by re-sizing the whole item on every attribute
    it sets (quadratic in the attribute count: ~1 ms per entry). The bulk load skips that
    check; its items are the store's own, a few KB each."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    original = LimitedSizeDict.__setitem__
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[method-assign]
    try:
        yield
    finally:
        LimitedSizeDict.__setitem__ = original  # type: ignore[method-assign]


def _background(n: int, start: int) -> None:
    """`n` background tickets and their list entries, exactly the items the store writes, put straight
    into moto's table: through the client, botocore's serialisation and moto's parsing of
    25-item batches took ~3/4 of the load, and loading is not what is measured."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from helpdesk.clock import now_iso
    from helpdesk.domain import Side, Ticket, TicketEvent
    from helpdesk.store import feed as store_feed
    from helpdesk.store import keys as store_keys
    from helpdesk.store import lists as store_lists
    from helpdesk.store import tickets as store_tickets

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    for i in range(start, start + n):
        now = now_iso()
        t = Ticket(
            id=f"tkt_bg{i:08d}",
            number=100000 + i,
            subject="background",
            requester_id=f"bg{i % 997}",
            assignee_id=f"agent{i % 13}",
            department_id=f"dep{i % 7}",
            created_at=now,
            updated_at=now,
            last_activity_at=now,
            message_count=1,
            version=1,
        )
        ticket = store_tickets.ticket_writes(None, t)[0]["Put"]["Item"]
        # Only the entries of the measured lists: the queue, the queue by assignee, and the
        # requester's list (the table's other partitions hold every background requester),
        # and the ticket item (a page's BatchGetItem reads it).
        q = store_keys.QUEUE
        lists = (
            q,
            store_keys.by_assignee(q, f"agent{i % 13}"),
            store_keys.requester(t.requester_id),
        )
        wanted = {store_keys.entries_pk(lk) for lk in lists}
        keep = [p for p in store_lists.fresh_items(t) if p["PK"]["S"] in wanted]
        assert len(keep) == len(wanted), "store's list keys changed: update bench/scale.py"
        keep.append(ticket)
        # its creation in the change feed: the feed record and the event it names
        event = TicketEvent(
            ticket_id=t.id,
            seq=1,
            type="created",
            actor_id=t.requester_id,
            actor_side=Side.CUSTOMER,
            at=now,
            data={"subject": t.subject},
        )
        keep += [w["Put"]["Item"] for w in store_feed.record_put(t, [event])]
        keep.append(store_tickets._event_put(event)["Put"]["Item"])
        for item in keep:
            backend.put_item(TABLE, item)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    from moto import mock_aws

    from local.backend import patch_moto

    # the local backend's moto (the runner's and the tests'): a base-table Query reads its
    # partition, not the whole table (the milliseconds below still grow: docs/benchmarks.md)
    patch_moto()
    rows = []
    with mock_aws():
        from helpdesk import changes
        from helpdesk.models.tickets import CreateTicketRequest
        from helpdesk.principal import Principal, Role
        from helpdesk.store import codec as store_codec
        from helpdesk.store import keys as store_keys
        from helpdesk.store import lists as store_lists
        from helpdesk.tickets import ListFilters, create_ticket, list_tickets
        from local.backend import create_resources
        from local.template import app

        create_resources(app(), None, "us-east-1", TABLE, BUCKET)
        me = Principal(user_id="scale-me", name="Me")
        for i in range(30):
            create_ticket(me, CreateTicketRequest(subject=f"mine {i}", message="x"))
        scanned: list[int] = []
        batch_keys: list[int] = []

        def hook(parsed: dict[str, Any], **_: Any) -> None:
            if "ScannedCount" in parsed:
                scanned.append(parsed["ScannedCount"])

        def batch_hook(params: dict[str, Any], **_: Any) -> None:
            batch_keys.append(sum(len(r["Keys"]) for r in params["RequestItems"].values()))

        admin = Principal(user_id="scale-admin", roles=frozenset({Role.ADMIN}))
        feed_cursor: dict[str, str | None] = {"middle": None}

        def feed_middle() -> Any:
            """A page from the middle of the feed (the cursor of the page before it)."""
            return changes.page(admin, limit=50, cursor=feed_cursor["middle"])

        store_codec.client().meta.events.register("after-call.dynamodb.Query", hook)
        store_codec.client().meta.events.register(
            "provide-client-params.dynamodb.BatchGetItem", batch_hook
        )
        have = 0
        for size in [int(s) for s in args.sizes.split(",")]:
            with _fast_moto_items():
                _background(size - have, have)
            have = size
            # a cursor half-way through the feed: page 50 at a time to it (not measured)
            cursor, seen = None, 0
            while seen < size // 2:
                got = changes.page(admin, limit=100, cursor=cursor)
                cursor, seen = got.next_cursor, seen + len(got.items)
            feed_cursor["middle"] = cursor
            for name, read in (
                (
                    "customer list (20)",
                    lambda: list_tickets(me, ListFilters(), limit=20, cursor=None),
                ),
                ("staff queue (20)", lambda: store_lists.read_page([store_keys.QUEUE], limit=20)),
                (
                    "staff queue by assignee (20)",
                    lambda: store_lists.read_page(
                        [store_keys.by_assignee(store_keys.QUEUE, "agent3")], limit=20
                    ),
                ),
                (
                    "change feed, first page (50)",
                    lambda: changes.page(admin, limit=50, cursor=None),
                ),
                ("change feed, a page in the middle (50)", feed_middle),
            ):
                times = []
                counts: set[int] = set()
                batched: set[int] = set()
                for _ in range(args.runs):
                    scanned.clear()
                    batch_keys.clear()
                    t = time.perf_counter()
                    read()
                    times.append((time.perf_counter() - t) * 1000)
                    counts.add(sum(scanned))
                    batched.add(sum(batch_keys))
                times.sort()
                rows.append(
                    (size, name, times[0], statistics.median(times), times[-1], counts, batched)
                )
    lines = [
        f"{args.runs} reads per list and size; ScannedCount summed over the Queries of one read.",
        "",
        "| tickets (and feed changes) in table | list | moto min ms | moto median ms "
        "| moto max ms | ScannedCount | keys batch-read |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ] + [
        f"| {size:,} | {name} | {lo:.1f} | {med:.1f} | {hi:.1f} "
        f"| {', '.join(map(str, sorted(sc)))} | {', '.join(map(str, sorted(bk)))} |"
        for size, name, lo, med, hi, sc, bk in rows
    ]
    by_list: dict[str, set[int]] = {}
    for _, name, *_rest, sc, _bk in rows:
        by_list.setdefault(name, set()).update(sc)
    varying = [name for name, sc in by_list.items() if len(sc) > 1]
    lines += [
        "",
        "Pass line: **ScannedCount constant** across sizes: "
        + ("**yes** for every list." if not varying else f"**NO** for {', '.join(varying)}."),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()

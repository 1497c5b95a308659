"""The SLA sweep's reads per run (issue 23) with 1k, 10k and 50k open tickets, each with a
running first-reply and resolution clock: only the due ones are read.

Every ticket is put into moto's table as the store and the list indexer write it (the ticket
item with its SLA state, and its entries on the two due lists, `store.lists.sla_places`);
`--due` of them are past their first-reply due time. The sweep (`helpdesk.slasweep.run`)
then runs twice at the same instant: the first fires a breach for each due ticket, the
second finds nothing due. The pass line is what DynamoDB reads and bills: the Query's
ScannedCount and the ticket reads, which must follow the due tickets, not the table.

    python -m bench.sla_sweep [--sizes 1000,10000,50000] [--due 10]
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import offline_env

offline_env()

from tests.conftest import BUCKET, TABLE  # noqa: E402  (sets TABLE_NAME)

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _load(n: int, start: int, due: int) -> None:
    """`n` open tickets from number `start` on; the first `due` of them are overdue."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from bench.scale import _fast_moto_items
    from helpdesk import sla, slaclock
    from helpdesk.clock import iso
    from helpdesk.domain import Ticket
    from helpdesk.store import lists as store_lists
    from helpdesk.store import tickets as store_tickets

    policy = sla.Policy(
        id="sla_bench",
        warning_minutes=30,
        targets={"normal": {"first_reply": sla.Target(60), "resolution": sla.Target(60 * 24 * 5)}},
    )
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    with _fast_moto_items():
        for i in range(start, start + n):
            overdue = i - start < due
            # overdue: opened 2 h before the sweep; the rest: within the last half hour
            opened = AT - (timedelta(hours=2) if overdue else timedelta(seconds=i % 1800))
            t = Ticket(
                id=f"tkt_sla{i:08d}",
                number=200000 + i,
                subject="background",
                requester_id=f"bg{i % 997}",
                created_at=iso(opened),
                updated_at=iso(opened),
                last_activity_at=iso(opened),
                message_count=1,
                version=1,
            )
            state = sla.advance(
                None, t.model_dump(mode="json"), opened, ["created"], None, [policy], {}
            )
            t = t.model_copy(update={"sla": slaclock.compact(state)})
            items = [store_tickets.ticket_writes(None, t)[0]["Put"]["Item"]]
            items += store_lists.sla_diff(t.id, {}, store_lists.sla_places(t))[0]
            for item in items:
                backend.put_item(TABLE, item)


def _index(before: dict[str, Any]) -> None:
    """What the list indexer does after the sweep's writes: move each changed ticket's
    due-list entries (the index record is not loaded here, so from its old image)."""
    from helpdesk.store import codec as store_codec
    from helpdesk.store import lists as store_lists
    from helpdesk.store import tickets as store_tickets

    for ticket_id, old in before.items():
        new = store_tickets.get_ticket(ticket_id)
        puts, deletes = store_lists.sla_diff(
            ticket_id, store_lists.sla_places(old), store_lists.sla_places(new)
        )
        store_codec.batch_write(
            [{"PutRequest": {"Item": i}} for i in puts]
            + [{"DeleteRequest": {"Key": k}} for k in deletes]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--due", type=int, default=10)
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    import time_machine
    from moto import mock_aws

    from local.backend import create_resources, patch_moto
    from local.template import app

    patch_moto()
    rows = []
    with mock_aws():
        from helpdesk import slasweep
        from helpdesk.store import codec as store_codec
        from helpdesk.store import tickets as store_tickets

        create_resources(app(), None, "us-east-1", TABLE, BUCKET)
        calls: Counter[str] = Counter()
        scanned: list[int] = []

        def count(model: Any, **_: Any) -> None:
            calls[model.name] += 1

        def hook(parsed: dict[str, Any], **_: Any) -> None:
            if "ScannedCount" in parsed:
                scanned.append(parsed["ScannedCount"])

        events = store_codec.client().meta.events
        events.register("before-call.dynamodb", count)
        events.register("after-call.dynamodb.Query", hook)
        have = have_before = 0
        for size in [int(s) for s in args.sizes.split(",")]:
            _load(size - have, have, args.due)
            have = size
            due_ids = [f"tkt_sla{i:08d}" for i in range(have_before, have_before + args.due)]
            before = {i: store_tickets.get_ticket(i) for i in due_ids}
            for run in ("first", "second"):
                calls.clear()
                scanned.clear()
                with time_machine.travel(AT):
                    report = slasweep.run(AT)
                rows.append((size, run, report, sum(scanned), dict(calls)))
                if run == "first":
                    _index(before)
            have_before = size
    lines = [
        f"{args.due} of the tickets are past their first-reply due time; two runs at the "
        "same instant.",
        "",
        "| open tickets | run | due entries read | Query calls | ScannedCount | GetItem "
        "| TransactWriteItems | breaches fired |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ] + [
        f"| {size:,} | {run} | {r.read} | {c.get('Query', 0)} | {sc} | {c.get('GetItem', 0)} "
        f"| {c.get('TransactWriteItems', 0)} | {r.breaches} |"
        for size, run, r, sc, c in rows
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()

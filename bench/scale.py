"""Scale: list latency and ScannedCount with 1k, 10k and 50k tickets in the table.

The measured user has 30 tickets; the rest belong to other requesters and all of
them are in the staff queue. Background tickets are written as exactly the items
the store writes (ticket, its requester's entry, the queue's entries), in batches,
because moto's transactions are slow; the measured lists are then read through
`tickets.list_tickets` and `store.list_page`. moto keeps everything in memory and
scans partitions in Python, so its latency grows where DynamoDB's would not: the
pass line is ScannedCount, which must stay constant.

    python -m bench.scale [--sizes 1000,10000,50000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",
    AWS_DEFAULT_REGION="us-east-1",
    POWERTOOLS_LOG_LEVEL="ERROR",
)
for _v in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_v, None)

from tests.conftest import BUCKET, TABLE  # noqa: E402  (sets TABLE_NAME)


def _background(n: int, start: int) -> None:
    from helpdesk import store
    from helpdesk.clock import now_iso
    from helpdesk.domain import Ticket

    client = store.client()
    batch: list[Any] = []
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
        puts = [w["Put"]["Item"] for w in store._ticket_writes(None, t) if "Put" in w]
        keep = [p for p in puts if p["PK"]["S"].startswith(("TICKET#", "L#R#", "L#Q"))][:6]
        batch += [{"PutRequest": {"Item": item}} for item in keep]
        while len(batch) >= 25:
            client.batch_write_item(RequestItems={TABLE: batch[:25]})
            batch = batch[25:]
    if batch:
        client.batch_write_item(RequestItems={TABLE: batch})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    from moto import mock_aws

    rows = []
    with mock_aws():
        from helpdesk import store
        from helpdesk.models import CreateTicketRequest
        from helpdesk.principal import Principal
        from helpdesk.tickets import ListFilters, create_ticket, list_tickets
        from local.backend import create_resources
        from local.template import app

        create_resources(app(), None, "us-east-1", TABLE, BUCKET)
        me = Principal(user_id="scale-me", name="Me")
        for i in range(30):
            create_ticket(me, CreateTicketRequest(subject=f"mine {i}", message="x"))
        scanned: list[int] = []

        def hook(parsed: dict[str, Any], **_: Any) -> None:
            if "ScannedCount" in parsed:
                scanned.append(parsed["ScannedCount"])

        store.client().meta.events.register("after-call.dynamodb.Query", hook)
        have = 0
        for size in [int(s) for s in args.sizes.split(",")]:
            _background(size - have, have)
            have = size
            for name, read in (
                (
                    "customer list (20)",
                    lambda: list_tickets(me, ListFilters(), limit=20, cursor=None),
                ),
                ("staff queue (20)", lambda: store.list_page("Q", limit=20)),
                ("staff queue by assignee (20)", lambda: store.list_page("Q#A#agent3", limit=20)),
            ):
                times = []
                for _ in range(5):
                    scanned.clear()
                    t = time.perf_counter()
                    read()
                    times.append((time.perf_counter() - t) * 1000)
                rows.append((size, name, statistics.median(times), max(scanned)))
    lines = [
        "| tickets in table | list | moto median ms | ScannedCount |",
        "|---:|---|---:|---:|",
    ] + [f"| {size:,} | {name} | {ms:.1f} | {sc} |" for size, name, ms, sc in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()

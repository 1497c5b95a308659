"""Contention on the list counters: the share of the list indexer's commit transactions that
conflict, before the counters were sharded (one item per list) and after (issue 22).

The model. Every ticket write that changes the queue's membership or a ticket's status moves
a shared counter (`C#Q`, `C#Q#S#<status>`, ...) in the indexer's commit transaction (the index
record and the counters of the lists gained or left, `store.lists.apply`). DynamoDB rejects a
transaction that touches an item another transaction holds (TransactionConflict). Writes
arrive as a Poisson stream of rate λ (the worst case: every write moves the hot counter, as a
burst of creations does); with the counter in N shards and each ticket on one shard (a hash of
its id, the same shard on every shared list) a shard sees λ/N. A commit holding its items for
d seconds is rejected when another commit took one of them within the d before it:

    P(conflict) = 1 - exp(-λ d / N)

A rejected commit fails its stream record and Lambda retries it; counting the retries as
arrivals too, the item keeps up only while λ d / N <= 1/e (the fixed point
P = 1 - exp(-λ d / (N (1 - P))) exists only there), i.e. λ <= N / (e d): "keeps up to".

d: the commit transaction's duration. Measured here on moto (the call as the indexer makes
it, in process on a shared machine: what the commit costs moto, not how long DynamoDB holds
the items; shown beside the assumption) and, for the table's first columns, a documented
assumption for DynamoDB in-region: `DDB_TRANSACT_MS` = 20 ms (a transaction is a prepare
and a commit round through the transaction coordinator to each item's partition: four
times bench.run's 5 ms per single call, taken on the high side).

The model is an upper bound in one more way: the indexer's concurrent commits are at most
the stream's shards times the mapping's ParallelizationFactor (1), each batch applied in
order, so with few stream shards part of the stream is serialised and meets no conflict.

    python -m bench.contention [--commits 200]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from typing import Any

from bench import offline_env

offline_env()

from tests.conftest import BUCKET, TABLE  # noqa: E402  (sets TABLE_NAME)

RATES = (1, 10, 50, 200)  # ticket writes per second (the issue's)
DDB_TRANSACT_MS = 20.0  # assumed TransactWriteItems duration in-region (see the docstring)


def conflict_share(rate: float, d_seconds: float, shards: int) -> float:
    """The share of commits that find a counter shard held: 1 - exp(-λ d / N)."""
    return 1 - math.exp(-rate * d_seconds / shards)


def keeps_up_to(d_seconds: float, shards: int) -> float:
    """The write rate up to which a hot counter keeps up when rejected commits are retried
    (λ d / N <= 1/e)."""
    return shards / (math.e * d_seconds)


def measure_commit_ms(commits: int) -> list[float]:
    """The indexer's commit transaction for `commits` new tickets (each on the whole queue,
    its status, priority and unassigned lists and the requester's: the counters of every list
    gained and the index record), timed around the TransactWriteItems call on moto."""
    from moto import mock_aws

    from local.backend import create_resources, patch_moto
    from local.template import app

    patch_moto()
    with mock_aws():
        from helpdesk.domain import Priority, Status, Ticket
        from helpdesk.store import codec as store_codec
        from helpdesk.store import lists as store_lists

        create_resources(app(), None, "us-east-1", TABLE, BUCKET)
        client = store_codec.client()
        times: list[float] = []
        started: list[float] = []

        def before(**_: Any) -> None:
            started.append(time.perf_counter())

        def after(**_: Any) -> None:
            times.append((time.perf_counter() - started.pop()) * 1000)

        client.meta.events.register("before-call.dynamodb.TransactWriteItems", before)
        client.meta.events.register("after-call.dynamodb.TransactWriteItems", after)
        for i in range(commits):
            at = f"2026-12-01T10:00:00.{i:06d}Z"
            t = Ticket(
                id=f"tkt_ct{i:08d}",
                number=200000 + i,
                subject="contention",
                requester_id=f"ct{i % 97}",
                status=Status.OPEN,
                priority=Priority.NORMAL,
                created_at=at,
                updated_at=at,
                last_activity_at=at,
                version=1,
            )
            store_lists.apply(t.id, t)
        return times


def table(d_assumed_ms: float, d_moto_ms: float, shards: int) -> str:
    lines = [
        f"| writes/s | λd | conflicts before (N=1) | conflicts after (N={shards}) | "
        f"before, d = moto's {d_moto_ms:.1f} ms | after, d = moto's |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    d, dm = d_assumed_ms / 1000, d_moto_ms / 1000
    for rate in RATES:
        lines.append(
            f"| {rate} | {rate * d:.2f} | {conflict_share(rate, d, 1):.1%} | "
            f"{conflict_share(rate, d, shards):.1%} | {conflict_share(rate, dm, 1):.1%} | "
            f"{conflict_share(rate, dm, shards):.1%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=200)
    args = parser.parse_args()
    from helpdesk.store.keys import COUNTER_SHARDS

    times = measure_commit_ms(args.commits)
    d_moto = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1]
    d = DDB_TRANSACT_MS / 1000
    print(
        f"d: assumed {DDB_TRANSACT_MS:.0f} ms for DynamoDB's TransactWriteItems in-region; "
        f"measured on moto (the indexer's commit of a new ticket, {len(times)} commits): "
        f"median {d_moto:.1f} ms, p90 {p90:.1f} ms. Conflicts: P = 1 - exp(-λ d / N), the "
        f"hot counter's share of commits rejected on the first attempt (every write moving "
        f"it).\n"
    )
    print(table(DDB_TRANSACT_MS, d_moto, COUNTER_SHARDS))
    print(
        f"\nWith rejected commits retried, a hot counter keeps up while λ d / N <= 1/e: "
        f"up to {keeps_up_to(d, 1):.0f} writes/s before (one item), "
        f"{keeps_up_to(d, COUNTER_SHARDS):.0f} writes/s after ({COUNTER_SHARDS} shards), "
        f"at d = {DDB_TRANSACT_MS:.0f} ms."
    )


if __name__ == "__main__":
    main()

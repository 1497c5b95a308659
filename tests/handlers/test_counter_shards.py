"""Sharded list counters (issue 22): a shared list's counter is `COUNTER_SHARDS` items,
each ticket's moves on its own shard; one person's list keeps its one item; a total sums
the shards, and a total counted before the sharding (the old `C#<listkey>` item, shard 0)
stays in it."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from helpdesk.store import keys as store_keys
from tests.conftest import TABLE, CallLog, call

AGENT = {"user": "agnes", "roles": "agent"}


@pytest.mark.parametrize(
    ("listkey", "shards"),
    [
        ("Q", store_keys.COUNTER_SHARDS),
        ("Q#S#open", store_keys.COUNTER_SHARDS),
        ("Q#A#none", store_keys.COUNTER_SHARDS),
        ("Q#S#open#A#none", store_keys.COUNTER_SHARDS),
        ("Q#T#vip", store_keys.COUNTER_SHARDS),
        ("Q#DEL", store_keys.COUNTER_SHARDS),
        ("O#org1#S#open", store_keys.COUNTER_SHARDS),
        ("Q#A#agnes", 1),
        ("Q#S#waiting#A#agnes", 1),
        ("R#carl", 1),
        ("R#carl#S#open", 1),
        ("Q#DEL#R#carl", 1),
        ("Q#X#jira:OPS-1", 1),
    ],
)
def test_shared_lists_are_sharded_and_one_persons_are_not(listkey: str, shards: int) -> None:
    assert store_keys.counter_shards(listkey) == shards
    found = store_keys.counters(listkey)
    assert len(found) == shards and len(set(found)) == shards
    # shard 0 is the counter's key of before the sharding; every key names its list back
    assert found[0] == store_keys.Key(f"C#{listkey}", "#")
    assert [store_keys.counter_of(k.pk) for k in found] == [(listkey, i) for i in range(shards)]


def test_no_other_item_reads_as_a_counter() -> None:
    for pk in ("CATALOG", "CONFIG", "L#Q", "IX#t1", "TICKET#t1", "Cx#Q", "CAT#x"):
        assert store_keys.counter_of(pk) is None, pk


def test_a_ticket_has_one_shard_on_every_shared_list_and_tickets_spread_evenly() -> None:
    ids = [f"t{i:05d}" for i in range(5000)]
    for t in ids[:50]:
        assert len({store_keys.counter_shard(lk, t) for lk in ("Q", "Q#S#open", "Q#U")}) == 1
        assert store_keys.counter_shard("R#carl", t) == 0
    spread = Counter(store_keys.counter_shard("Q", t) for t in ids)
    assert set(spread) == set(range(store_keys.COUNTER_SHARDS))
    assert max(spread.values()) < 1.2 * len(ids) / store_keys.COUNTER_SHARDS, spread


def _counter_items(log: CallLog) -> list[str]:
    """The counter items the indexer's commit transactions moved."""
    moved = []
    for op, params in log.after:
        if op == "TransactWriteItems":
            moved += [
                i["Update"]["Key"]["PK"]["S"] for i in params["TransactItems"] if "Update" in i
            ]
    return moved


def test_a_ticket_moves_its_own_shard_and_totals_keep_the_counts_of_before(
    aws_calls: CallLog, catalog: None
) -> None:
    from helpdesk.store import codec as store_codec

    # Given the whole queue's and the open list's counters as they were before the sharding
    # (one item each, shard 0), counting 7 tickets
    for lk in ("Q", "Q#S#open"):
        item: dict[str, Any] = {**store_keys.counter(lk).av(), "n": {"N": "7"}}
        store_codec.client().put_item(TableName=TABLE, Item=item)
    # When a customer opens a ticket and an agent resolves it
    aws_calls.clear()
    status, ticket, _ = call("create_ticket", body={"subject": "s", "message": "m"})
    assert status == 201, ticket
    created = _counter_items(aws_calls)
    shard = store_keys.counter_shard("Q", ticket["id"])
    # Then the indexer moved the shared lists' counters on the ticket's shard only
    assert store_keys.counter("Q", shard).pk in created
    assert store_keys.counter("Q#S#open", shard).pk in created
    moved_shards = {store_keys.counter_of(pk) for pk in created}
    assert None not in moved_shards
    assert {c[1] for c in moved_shards if c} <= {0, shard}, created
    # and the totals are the old counts plus the new ticket
    assert call("admin_list_tickets", **AGENT)[1]["total"] == 8
    _, opened, _ = call("admin_list_tickets", **AGENT, query={"status": "open"})
    assert opened["total"] == 8
    _, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": ticket["id"]})
    aws_calls.clear()
    status, _, _ = call(
        "admin_update_ticket",
        **AGENT,
        path={"ticket_id": ticket["id"]},
        body={"status": "resolved"},
        headers={"If-Match": view["etag"]},
    )
    assert status == 200
    # the move out of the open list is on the same shard the move in was
    assert store_keys.counter("Q#S#open", shard).pk in _counter_items(aws_calls)
    _, opened, _ = call("admin_list_tickets", **AGENT, query={"status": "open"})
    assert opened["total"] == 7
    _, resolved, _ = call("admin_list_tickets", **AGENT, query={"status": "open,resolved"})
    assert resolved["total"] == 8
    assert call("admin_list_tickets", **AGENT)[1]["total"] == 8

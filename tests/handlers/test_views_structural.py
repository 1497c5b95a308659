"""Saved views' calls per request, and the list indexer's writes per ticket write: they grow
with the views a ticket matches, never with the views defined; never a Scan."""

from __future__ import annotations

from typing import Any

from tests.conftest import CallLog, call
from tests.handlers.test_views import ADMIN, AGENT, _create, _ticket, _update


def _ops(log: CallLog, name: str, **kwargs: Any) -> tuple[list[str], Any]:
    """The request's DynamoDB operations (none of them, nor the indexer's, a Scan); `expect`:
    its status (200)."""
    status = kwargs.pop("expect", 200)
    log.clear()
    got, body, _ = call(name, **kwargs)
    assert got == status, body
    ops = log.operations()
    assert "Scan" not in ops and "Scan" not in [op for op, _ in log.after], ops
    return ops, body


def _writes(log: CallLog) -> int:
    """Items the list indexer wrote after the request (puts, deletes, transaction items)."""
    n = 0
    for op, params in log.after:
        if op == "BatchWriteItem":
            n += sum(len(v) for v in params["RequestItems"].values())
        elif op == "TransactWriteItems":
            n += len(params["TransactItems"])
        elif op in ("PutItem", "DeleteItem", "UpdateItem"):
            n += 1
    return n


def test_calls_per_view_route(aws_calls: CallLog) -> None:
    _ticket(priority="high", assignee_id="agnes")  # the first batch seeds the defaults
    # list: one Query of the views' partition
    ops, listed = _ops(aws_calls, "admin_list_views", **AGENT)
    assert ops == ["Query"]
    # create (seeded): the caps' Query, then the view with the generation (one transaction)
    ops, view = _ops(aws_calls, "admin_create_view", expect=201, **AGENT, body={"name": "v"})
    assert ops == ["Query", "TransactWriteItems"]
    # counts: the Query and one BatchGetItem of every visible view's counter shards
    ops, _ = _ops(aws_calls, "admin_count_views", **AGENT)
    assert ops == ["Query", "BatchGetItem"]
    (_, _, params), *_ = [c for c in aws_calls.calls if c[1] == "BatchGetItem"]
    keys = sum(len(r["Keys"]) for r in params["RequestItems"].values())
    assert keys == 1 + 5 * 10  # "my open tickets": the reader's part; the other 5: 10 shards
    # a page: the view, its list, the page's tickets, its counter's shards
    ops, page = _ops(aws_calls, "admin_list_tickets", **AGENT, query={"view": view["id"]})
    assert ops == ["GetItem", "Query", "BatchGetItem", "BatchGetItem"] and page["total"] == 1
    # an "assignee: me" view's page: its counter is one item (the reader's part)
    mine = next(v["id"] for v in listed["items"] if v["name"] == "My open tickets")
    ops, _ = _ops(aws_calls, "admin_list_tickets", **AGENT, query={"view": mine})
    assert ops == ["GetItem", "Query", "BatchGetItem", "GetItem"]
    # a rename: GetItem and one conditional PutItem; a new filter: the transaction
    path = {"view_id": view["id"]}
    ops, _ = _ops(aws_calls, "admin_update_view", **AGENT, path=path, body={"name": "w"})
    assert ops == ["GetItem", "PutItem"]
    body = {"filter": {"statuses": ["open"]}}
    ops, _ = _ops(aws_calls, "admin_update_view", **AGENT, path=path, body=body)
    assert ops == ["GetItem", "TransactWriteItems"]
    ops, _ = _ops(aws_calls, "admin_delete_view", expect=204, **AGENT, path=path)
    assert ops == ["GetItem", "TransactWriteItems"]


def test_the_indexer_writes_grow_with_matched_views_not_defined_ones(aws_calls: CallLog) -> None:
    ticket = _ticket()
    _update(ticket, priority="low")
    # Given a ticket, the cost of one of its changes with the defaults only
    aws_calls.clear()
    _update(ticket, priority="normal")
    base_ops = [op for op, _ in aws_calls.after]
    base = _writes(aws_calls)
    # When 20 views it does not match are defined, the same change costs the same
    for _ in range(20):
        assert _create(ADMIN, shared=True, filter={"tag": "never"})[0] == 201
    _update(ticket, priority="low")
    aws_calls.clear()
    _update(ticket, priority="normal")
    assert _writes(aws_calls) == base
    # one GetItem of the generation per batch (the definitions are cached): the same calls
    assert [op for op, _ in aws_calls.after] == base_ops
    # Then 5 views it matches (of normal priority) cost 5 entries and 5 counter moves more
    for _ in range(5):
        assert _create(ADMIN, shared=True, filter={"priorities": ["normal"]})[0] == 201
    _update(ticket, priority="low")
    aws_calls.clear()
    _update(ticket, priority="normal")
    assert _writes(aws_calls) == base + 5 * 2


def test_a_write_joining_more_lists_than_a_transaction_holds_commits_in_steps(
    aws: None,
) -> None:
    from helpdesk.domain import Ticket
    from helpdesk.errors import ConcurrentUpdateError
    from helpdesk.store import codec as store_codec
    from helpdesk.store import lists as store_lists
    from helpdesk.viewdefs import ViewDef, ViewFilter
    from tests.handlers.test_counters_property import _scan

    views = [ViewDef(f"view_s{i:03d}", 1, ViewFilter(statuses=("open",))) for i in range(120)]
    at = "2026-12-01T10:00:00.000000Z"
    t = Ticket(
        id="tkt_steps",
        number=9,
        subject="s",
        requester_id="cora",
        created_at=at,
        updated_at=at,
        last_activity_at=at,
        version=1,
    )
    # Given the second step's transaction fails once (a crash between the steps)
    real = store_codec.transact
    failed: list[int] = []
    armed: list[bool] = []  # the first step has committed

    def flaky(items: list[dict[str, Any]], **kw: Any) -> None:
        assert len(items) <= store_codec.MAX_TRANSACTION_ITEMS
        if len(failed) == 0 and any("Put" in i for i in items) and armed:
            failed.append(1)
            raise ConcurrentUpdateError()
        real(items, **kw)
        armed.append(True)

    store_codec.transact = flaky
    try:
        try:
            store_lists.apply(t.id, t, views)
        except ConcurrentUpdateError:
            pass  # the record is retried
        store_lists.apply(t.id, t, views)
    finally:
        store_codec.transact = real
    assert failed == [1]
    # Then every list the ticket is on has its entry and a count of one, nothing more
    wanted = store_lists.listkeys(t, views)
    assert len(wanted) > store_codec.MAX_TRANSACTION_ITEMS
    from helpdesk.store import keys as store_keys

    items = _scan()
    entries = {i["PK"][2:] for i in items if i["PK"].startswith("L#")}
    assert entries == wanted
    sizes: dict[str, int] = {}
    for i in items:
        held = store_keys.counter_of(i["PK"])
        if held is not None:
            sizes[held[0]] = sizes.get(held[0], 0) + int(i["n"])
    assert {k for k, n in sizes.items() if n} == wanted and set(sizes.values()) == {1}
    index = next(i for i in items if i["PK"] == "IX#tkt_steps")
    assert set(index["lists"]) == wanted and index["v"] == 1
    assert all(i["SK"] == f"{at}#tkt_steps" for i in items if i["PK"].startswith("L#"))

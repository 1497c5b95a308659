"""Structural facts that do not vary: DynamoDB calls per request, never a Scan, and a list page
reads only its page (ScannedCount <= limit + 1, then one BatchGetItem of the page's tickets)
however many tickets the table holds."""

from __future__ import annotations

from typing import Any

import pytest

from helpdesk.store.keys import COUNTER_SHARDS
from tests.conftest import CallLog, bulk_tickets, call

# One backend for the module (and one xdist worker): the tickets are written once.
pytestmark = pytest.mark.xdist_group("structural")

READS = {"GetItem", "Query", "BatchGetItem"}


def _scanned(log: CallLog) -> list[int]:
    return [parsed["ScannedCount"] for op, parsed in log.responses if op == "Query"]


def _keys_read(log: CallLog) -> list[int]:
    """The keys each BatchGetItem asked for."""
    return [
        sum(len(r["Keys"]) for r in params["RequestItems"].values())
        for _, op, params in log.calls
        if op == "BatchGetItem"
    ]


def _read_route(log: CallLog, name: str, **kwargs: Any) -> list[str]:
    from helpdesk import catalog

    # the steady state: list items' catalog names are one Query per container per
    # catalog.NAMES_TTL_SECONDS (docs/design.md 2.1), read here before the request and kept
    # through it however long moto takes under load
    catalog.names()
    ttl, catalog.NAMES_TTL_SECONDS = catalog.NAMES_TTL_SECONDS, float("inf")
    log.clear()
    try:
        status, body, _ = call(name, **kwargs)
    finally:
        catalog.NAMES_TTL_SECONDS = ttl
    assert status == 200, body
    ops = log.operations()
    assert "Scan" not in ops and set(ops) <= READS, ops
    return ops


@pytest.fixture(scope="module")
def world(module_aws: None) -> None:
    from local.seed import seed_catalog

    seed_catalog()
    # 30 of alice's first: moto copies the whole table in every transaction, so the
    # transactional creates go before the bulk load.
    for i in range(30):
        status, _, _ = call(
            "create_ticket",
            user="alice",
            body={
                "subject": f"mine {i}",
                "message": "x",
                "category_id": "cat_billing",
                "priority": "high",
            },
        )
        assert status == 201
    # then 5,000 tickets spread over 397 requesters, 13 agents, 7 departments, 11 organizations
    bulk_tickets(5000, spread=397)


@pytest.fixture
def populated(world: None, module_aws_calls: CallLog) -> CallLog:
    return module_aws_calls


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": "open"},
        {"category_id": "cat_billing"},
        {"priority": "high"},
        {"unread": "true"},
        {"open_or_unread": "true"},
        {"number": "1001"},
    ],
)
def test_customer_list_is_three_calls_and_reads_only_its_page(
    populated: CallLog, query: dict[str, str]
) -> None:
    ops = _read_route(populated, "list_tickets", query={**query, "limit": "10"})
    if "number" in query:  # a lookup, then the ticket
        assert ops == ["GetItem", "GetItem"], ops
    else:  # the thin entries, the page's tickets (none to read on an empty page), the counter
        assert ops in (["Query", "BatchGetItem", "GetItem"], ["Query", "GetItem"]), ops
    assert all(s <= 11 for s in _scanned(populated)), _scanned(populated)


def test_customer_reads_are_at_most_two_calls(populated: CallLog) -> None:
    _, listing, _ = call("list_tickets", query={"limit": "1"})
    ticket_id = listing["items"][0]["id"]
    assert len(_read_route(populated, "get_ticket", path={"ticket_id": ticket_id})) <= 2
    assert _read_route(populated, "list_categories") == ["Query"]
    assert _read_route(populated, "list_departments") == ["Query"]


queue_of_5000 = populated


STAFF = {"user": "agnes", "roles": "agent"}


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": "open"},
        {"priority": "high"},
        {"category_id": "cat3"},
        {"department_id": "dep2"},
        {"assignee": "agent5"},
        {"assignee": "none"},
        {"requester": "bulk42"},
        {"organization_id": "org3"},
        {"tag": "tag4"},
        {"unread": "true"},
        {"status": "open", "assignee": "agent5"},
        {"status": "waiting", "department_id": "dep1"},
        {"sort": "created", "order": "asc"},
        {"updated_since": "2020-01-01T00:00:00Z"},
        {"number": "1001"},
    ],
)
def test_staff_queue_filters_read_only_their_page(
    queue_of_5000: CallLog, query: dict[str, str]
) -> None:
    ops = _read_route(queue_of_5000, "admin_list_tickets", **STAFF, query={**query, "limit": "25"})
    if "number" in query:  # a lookup, then the ticket: no Query at all
        assert ops == ["GetItem", "GetItem"], ops
    elif "updated_since" in query:  # a sync: the page's size is its total
        assert ops == ["Query", "BatchGetItem"], ops
    else:  # the thin entries, the page's tickets, the counter
        # one agent's or requester's list has one counter item (GetItem); a shared list's
        # total sums its counter's shards in one BatchGetItem (docs/design.md 2.)
        mine = "requester" in query or query.get("assignee", "none") != "none"
        assert ops == ["Query", "BatchGetItem", "GetItem" if mine else "BatchGetItem"], ops
        if not mine:
            assert _keys_read(queue_of_5000)[-1] == COUNTER_SHARDS
        assert _scanned(queue_of_5000) and all(s <= 26 for s in _scanned(queue_of_5000))


def test_staff_queue_several_statuses_is_one_query_each(queue_of_5000: CallLog) -> None:
    ops = _read_route(
        queue_of_5000,
        "admin_list_tickets",
        **STAFF,
        query={"status": "open,waiting", "limit": "25"},
    )
    # one Query per status, the page's tickets, the statuses' counters (every shard of both)
    assert ops == ["Query", "Query", "BatchGetItem", "BatchGetItem"]
    assert _keys_read(queue_of_5000)[-1] == 2 * COUNTER_SHARDS
    assert all(s <= 26 for s in _scanned(queue_of_5000))


def test_staff_queue_totals_are_the_counters(queue_of_5000: CallLog) -> None:
    _, body, _ = call("admin_list_tickets", **STAFF, query={"department_id": "dep2", "limit": "5"})
    assert body["total"] == len([i for i in range(5000) if i % 7 == 2])
    _, everyone, _ = call("admin_list_tickets", **STAFF, query={"limit": "1"})
    assert everyone["total"] >= 5000 + 30  # bulk and alice's (and what other tests here added)


def test_a_combined_filter_reads_a_bounded_number_of_items(queue_of_5000: CallLog) -> None:
    """No list holds priority with tag: the counters pick the smaller list (one BatchGetItem),
    then rounds of one Query and one BatchGetItem of its tickets, within the read budget."""
    from helpdesk.listplan import READ_BUDGET

    query = {"priority": "high", "tag": "tag4", "unread": "true", "limit": "25"}
    ops = _read_route(queue_of_5000, "admin_list_tickets", **STAFF, query=query)
    assert ops[0] == "BatchGetItem" and ops[1:3] == ["Query", "BatchGetItem"], ops
    # the three lists' counters, every shard of each, in that one BatchGetItem
    assert _keys_read(queue_of_5000)[0] == 3 * COUNTER_SHARDS
    entries = sum(_scanned(queue_of_5000))
    found = [
        len(parsed.get("Responses", {}).get(next(iter(parsed.get("Responses", {})), ""), []))
        for op, parsed in queue_of_5000.responses
        if op == "BatchGetItem"
    ]
    counters, tickets = found[0], sum(found[1:])  # the shards written, then the tickets
    assert counters <= 3 * COUNTER_SHARDS
    assert entries + tickets <= READ_BUDGET, (entries, tickets)

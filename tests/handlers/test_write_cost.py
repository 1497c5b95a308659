"""Structural write amplification (issue 18): what each write touches, in its own transaction
and then in the list indexer's writes, so that a regression fails here, not in a bill.

A request's transaction holds the ticket's own items only (at most 10); the indexer then
writes an entry only where a list gained, lost or moved the ticket."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.conftest import CallLog, call

AGENT = {"user": "agnes", "roles": "agent"}
ADMIN = {"user": "adam", "roles": "admin"}


def _transaction(log: CallLog) -> list[str]:
    """The kinds of the items in the request's one transaction (by their key)."""
    (params,) = [p for _, op, p in log.calls if op == "TransactWriteItems"]
    kinds = []
    for item in params["TransactItems"]:
        write = next(iter(item.values()))
        key = write.get("Item") or write.get("Key")
        pk, sk = key["PK"]["S"], key["SK"]["S"]
        kinds.append(
            pk.split("#", 1)[0] + ("/" + sk.split("#", 1)[0] if pk.startswith("TICKET#") else "")
        )
    return sorted(kinds)


def _indexed(log: CallLog) -> tuple[Counter[str], Counter[str], int]:
    """The indexer's entry puts and deletes by list, and its counter moves."""
    puts: Counter[str] = Counter()
    deletes: Counter[str] = Counter()
    counters = 0
    for op, params in log.after:
        if op == "BatchWriteItem":
            for rs in params["RequestItems"].values():
                for r in rs:
                    if "PutRequest" in r:
                        puts[r["PutRequest"]["Item"]["PK"]["S"][2:]] += 1
                    else:
                        deletes[r["DeleteRequest"]["Key"]["PK"]["S"][2:]] += 1
        elif op == "TransactWriteItems":
            counters += sum(1 for i in params["TransactItems"] if "Update" in i)
    return puts, deletes, counters


def _create(log: CallLog, **extra: Any) -> dict[str, Any]:
    status, ticket, _ = call(
        "create_ticket", body={"subject": "s", "message": "m", "priority": "high", **extra}
    )
    assert status == 201, ticket
    return ticket


@pytest.fixture
def log(aws_calls: CallLog, catalog: None) -> CallLog:
    return aws_calls


def test_create_writes_the_ticket_and_the_requesters_own_list_then_the_indexer_the_rest(
    log: CallLog,
) -> None:
    log.clear()
    ticket = _create(log, category_id="cat_billing")
    # ticket, first message, created event, its feed record, number, profile, the
    # requester's own entry and its counter, the index record
    tx = _transaction(log)
    assert len(tx) <= 10, tx
    assert tx.count("L") == 1 and tx.count("C") == 1 and tx.count("IX") == 1, tx
    puts, deletes, counters = _indexed(log)
    # every other list once, nothing deleted, a counter per list gained
    assert not deletes and all(n == 1 for n in puts.values()), puts
    assert "R#alice" not in puts and f"R#alice#S#{ticket['status']}" in puts
    assert counters == len(puts)


def test_a_read_marker_writes_the_ticket_and_its_event_and_leaves_the_unread_lists(
    log: CallLog,
) -> None:
    ticket = _create(log)
    path = {"ticket_id": ticket["id"]}
    assert call("admin_reply_ticket", **AGENT, path=path, body={"message": "hi"})[0] == 201
    log.clear()
    assert call("read_ticket", path=path)[0] == 200
    assert _transaction(log) == ["FEED", "TICKET/E", "TICKET/T"]  # feed record, event, ticket
    puts, deletes, counters = _indexed(log)
    # out of the customer's unread list; the whole queue's entry re-put (its update time)
    assert set(deletes) == {"R#alice#U"} and set(puts) <= {"Q"}, (puts, deletes)
    assert counters == 1


def test_a_rating_moves_no_list_but_the_queues_update_time(log: CallLog) -> None:
    ticket = _create(log)
    path = {"ticket_id": ticket["id"]}
    assert call("close_ticket", path=path)[0] == 200
    log.clear()
    assert call("rate_ticket", path=path, body={"rating": 5})[0] == 200
    assert _transaction(log) == ["FEED", "TICKET/E", "TICKET/T"]
    puts, deletes, counters = _indexed(log)
    assert set(puts) == {"Q"} and not deletes and counters == 0, (puts, deletes)


def test_a_reply_is_four_items_and_moves_the_ticket_up_each_of_its_lists_once(
    log: CallLog,
) -> None:
    ticket = _create(log)
    log.clear()
    path = {"ticket_id": ticket["id"]}
    assert call("reply_ticket", path=path, body={"message": "more"})[0] == 201
    # the feed record, the event, the message, the ticket
    assert _transaction(log) == ["FEED", "TICKET/E", "TICKET/T", "TICKET/T"]
    puts, deletes, _ = _indexed(log)
    # a move is a delete and a put per list, never more
    assert all(n == 1 for n in puts.values()) and all(n == 1 for n in deletes.values())
    assert set(deletes) <= set(puts)


def test_a_priority_change_touches_the_priority_lists_and_the_queue(log: CallLog) -> None:
    ticket = _create(log)
    log.clear()
    status, _, _ = call(
        "admin_update_ticket",
        **AGENT,
        path={"ticket_id": ticket["id"]},
        headers={"If-Match": ticket["etag"]},
        body={"priority": "low"},
    )
    assert status == 200
    tx = _transaction(log)
    assert len(tx) <= 10 and "L" not in tx and "C" not in tx, tx
    puts, deletes, counters = _indexed(log)
    assert set(deletes) == {"R#alice#P#high", "Q#P#high"}
    assert set(puts) == {"R#alice#P#low", "Q#P#low", "Q"}
    assert counters == 4


def test_a_redelivered_or_stale_stream_record_changes_no_entry_and_no_counter(
    log: CallLog,
) -> None:
    from helpdesk.store import lists as store_lists
    from helpdesk.store import tickets as store_tickets

    # Given a ticket indexed at version 1, then replied to (version 2, indexed)
    ticket = _create(log)
    first = store_tickets.get_ticket(ticket["id"])
    assert first is not None
    assert call("reply_ticket", path={"ticket_id": ticket["id"]}, body={"message": "m"})[0] == 201
    now = store_tickets.get_ticket(ticket["id"])
    assert now is not None and now.version > first.version
    before = store_lists.count(store_lists.listkeys(now))
    # When the stream delivers the reply's record again, and then the creation's (older)
    again = store_lists.apply(now.id, now)
    stale = store_lists.apply(first.id, first)
    # Then both are skipped: nothing written, totals unchanged, the page shows it once
    assert again.skipped and stale.skipped
    assert (again.puts, again.deletes, again.counters) == (0, 0, 0)
    assert store_lists.count(store_lists.listkeys(now)) == before
    _, mine, _ = call("list_tickets")
    assert [i["id"] for i in mine["items"]].count(ticket["id"]) == 1

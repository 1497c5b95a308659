"""Property: random create/reply/note/close/reopen/resolve/read sequences through the
handlers keep every counter equal to what recounting the items in the table gives.

Recounted independently of the lifecycle: messages per ticket from the thread, unread
counts from message times against read marks, list entries and the counters' shards
(`C#<listkey>`, `C1#<listkey>`, ...) from a Scan of the table (the test may scan; the
product never does). Each shard holds exactly the list's tickets that hash to it (no
counter here predates the sharding), and the sum of a list's shards is its size.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TABLE, _mocked_aws, call

# a fresh moto table per example: small tables keep moto's transactions fast
fresh_aws = contextmanager(_mocked_aws)

AGENT = {"user": "agnes", "roles": "agent"}

ACTIONS = st.sampled_from(
    [
        "create",
        "reply",
        "staff_reply",
        "note",
        "close",
        "reopen",
        "resolve",
        "read",
        "staff_read",
    ]
)
# Every write is a moto transaction: examples stay short (fast on a fresh table).
STEPS = st.lists(st.tuples(ACTIONS, st.integers(0, 1)), min_size=1, max_size=10)


def _do(action: str, user: str, tickets: list[str], pick: int) -> None:
    if action == "create" or not tickets:
        status, body, _ = call("create_ticket", user=user, body={"subject": "s", "message": "m"})
        assert status == 201, body
        tickets.append(body["id"])
        return
    path = {"ticket_id": tickets[pick % len(tickets)]}
    if action == "reply":
        status, body, _ = call("reply_ticket", user=user, path=path, body={"message": "c"})
        ok = {201, 409}  # 409 TICKET_CLOSED
    elif action in ("staff_reply", "note"):
        staff = {"message": "s", "internal": action == "note"}
        status, body, _ = call("admin_reply_ticket", **AGENT, path=path, body=staff)
        ok = {201, 409}
    elif action in ("close", "reopen", "read"):
        status, body, _ = call(f"{action}_ticket", user=user, path=path)
        ok = {200}
    elif action == "staff_read":
        status, body, _ = call("admin_read_ticket", **AGENT, path=path)
        ok = {200}
    else:
        _, view, _ = call("admin_get_ticket", **AGENT, path=path)
        status, body, _ = call(
            "admin_update_ticket",
            **AGENT,
            path=path,
            body={"status": "resolved"},
            headers={"If-Match": view["etag"]},
        )
        ok = {200}
    assert status in ok, (action, status, body)


def _scan() -> list[dict[str, Any]]:
    from helpdesk.store import codec as store_codec

    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": TABLE, "ConsistentRead": True}
    while True:
        out = store_codec.client().scan(**kwargs)
        items += [store_codec.plain(i) for i in out.get("Items", [])]
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def _unread(messages: list[Any], side: str, read_at: str | None) -> int:
    return sum(
        1
        for m in messages
        if not m.internal and m.side == side and (read_at is None or m.created_at > read_at)
    )


def _check(user: str) -> None:
    from helpdesk.domain import Side, Ticket
    from helpdesk.store import keys as store_keys
    from helpdesk.store import lists as store_lists
    from helpdesk.store import tickets as store_tickets
    from helpdesk.store import views as store_views

    views = store_views.definitions() or []  # the default views (the indexer seeds them)
    items = _scan()
    tickets = [Ticket.model_validate(i) for i in items if i.get("kind") == "ticket"]
    # each ticket's counters against its messages
    for t in tickets:
        thread = store_tickets.get_thread(t.id, include_notes=True)
        assert thread is not None
        msgs = thread.messages
        assert t.message_count == sum(1 for m in msgs if not m.internal), t.id
        assert t.note_count == sum(1 for m in msgs if m.internal), t.id
        assert t.customer_unread_count == _unread(msgs, Side.STAFF, t.customer_last_read_at)
        assert t.staff_unread_count == _unread(msgs, Side.CUSTOMER, t.staff_last_read_at)
    # every list: one entry per member ticket, at its current sort key; counter = size
    expected: dict[str, set[str]] = defaultdict(set)
    by_id = {t.id: t for t in tickets}
    for t in tickets:
        for lk in store_lists.listkeys(t, views):
            expected[lk].add(t.id)
    entries: dict[str, Counter[str]] = defaultdict(Counter)
    shards: dict[str, Counter[int]] = defaultdict(Counter)
    for i in items:
        counter = store_keys.counter_of(i["PK"])
        if i["PK"].startswith("L#"):
            lk = i["PK"][2:]
            entries[lk][i["id"]] += 1
            assert i["SK"] == f"{by_id[i['id']].last_activity_at}#{i['id']}", lk
        elif counter is not None:
            lk, shard = counter
            assert 0 <= shard < store_keys.counter_shards(lk), (lk, shard)
            shards[lk][shard] += int(i["n"])
    for lk in set(expected) | set(entries) | set(shards):
        assert set(entries[lk]) == expected[lk], lk
        assert all(n == 1 for n in entries[lk].values()), lk
        assert sum(shards[lk].values()) == len(expected[lk]), lk
        # every move of a ticket went to its own shard: each shard counts its tickets
        on_shard = Counter(store_keys.counter_shard(lk, t) for t in expected[lk])
        assert +shards[lk] == on_shard, (lk, shards[lk], on_shard)
    # the whole queue and its status lists are sharded; the requester's own list is not
    assert store_keys.counter_shards(store_keys.QUEUE) == store_keys.COUNTER_SHARDS > 1
    assert store_keys.counter_shards(store_keys.requester(user)) == 1
    # each ticket's index record names exactly its lists, at its version
    index = {i["PK"][3:]: i for i in items if i["PK"].startswith("IX#")}
    assert set(index) == set(by_id)
    for t in tickets:
        held = index[t.id]
        assert held["v"] == t.version, t.id
        wanted = dict.fromkeys(store_lists.listkeys(t, views), f"{t.last_activity_at}#{t.id}")
        assert dict.fromkeys(held["lists"], held["a"]) == wanted, t.id
    # and the API's totals are those recounts (the queue's: its shards summed)
    mine = [t for t in tickets if t.requester_id == user]
    assert call("list_tickets", user=user)[1]["total"] == len(mine)
    assert call("admin_list_tickets", **AGENT)[1]["total"] == len(tickets)
    for status in {t.status for t in tickets}:
        _, queue, _ = call("admin_list_tickets", **AGENT, query={"status": status})
        assert queue["total"] == sum(1 for t in tickets if t.status == status), status
    _, unread, _ = call("list_tickets", user=user, query={"unread": "true"})
    assert unread["total"] == sum(1 for t in mine if t.customer_unread_count > 0)
    assert {x["id"] for x in unread["items"]} == {t.id for t in mine if t.customer_unread_count > 0}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=STEPS)
def test_counters_equal_a_recount(steps: list[tuple[str, int]]) -> None:
    with fresh_aws():
        # Given an empty table and a customer
        user = f"p{uuid.uuid4().hex[:8]}"
        tickets: list[str] = []
        # When the steps run through the handlers
        for action, pick in steps:
            _do(action, user, tickets, pick)
        # Then every counter, unread count and total equals a recount of the items
        _check(user)

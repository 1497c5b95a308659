"""Property: for random tickets and random saved views (created before or after the tickets,
refiltered, deleted), each view's page and count equal a recount from the tickets.

The recount is independent of the product's matcher: each view's filter is checked against
each ticket's fields here; the page is walked to its end through `GET /admin/tickets?view=`,
the counts read from `GET /admin/views/counts`, for an agent and for the assignee of an
"assignee: me" view. The entries and counter shards of every view list are recounted from a
Scan of the table (the test may scan; the product never does).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import _mocked_aws, call
from tests.handlers.test_counters_property import _scan

fresh_aws = contextmanager(_mocked_aws)

ADMIN = {"user": "ada", "roles": "admin"}
AGENTS = ("agnes", "bob")

FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "statuses": st.lists(
            st.sampled_from(["open", "in_progress", "waiting", "resolved", "closed"]),
            min_size=1,
            max_size=2,
            unique=True,
        ),
        "priorities": st.lists(
            st.sampled_from(["low", "normal", "high", "urgent"]),
            min_size=1,
            max_size=2,
            unique=True,
        ),
        "assignee": st.sampled_from(["me", "none", "agnes"]),
        "tag": st.sampled_from(["vip", "bug"]),
        "guest": st.booleans(),
        "unread": st.just(True),
    },
)
TICKETS = st.lists(
    st.fixed_dictionaries(
        {
            "priority": st.sampled_from(["low", "normal", "high", "urgent"]),
            "status": st.sampled_from(["open", "in_progress", "waiting", "resolved", "closed"]),
            "assignee": st.sampled_from([None, "agnes", "bob"]),
            "tags": st.lists(st.sampled_from(["vip", "bug"]), max_size=2, unique=True),
            "guest": st.booleans(),
        }
    ),
    min_size=1,
    max_size=5,
)
VIEWS = st.lists(
    st.tuples(
        FILTERS,
        st.sampled_from(["activity", "updated"]),
        st.sampled_from(["before", "after", "refiltered", "deleted"]),
        st.sampled_from(["shared", "agnes"]),  # a shared view, or agnes's personal one
    ),
    min_size=1,
    max_size=4,
)


def _meets(f: dict[str, Any], t: dict[str, Any], reader: str) -> bool:
    """The view's filter on the ticket's fields, as the reader sees it."""
    if f.get("statuses") and t["status"] not in f["statuses"]:
        return False
    if f.get("priorities") and t["priority"] not in f["priorities"]:
        return False
    assignee = {"me": reader, "none": None}.get(f.get("assignee", ""), f.get("assignee"))
    if "assignee" in f and t.get("assignee_id") != assignee:
        return False
    if f.get("tag") and f["tag"] not in t.get("tags", []):
        return False
    if "guest" in f and bool(t.get("guest")) != f["guest"]:
        return False
    return not (f.get("unread") and not t.get("staff_unread_count"))


def _make_ticket(n: int, spec: dict[str, Any]) -> None:
    if spec["guest"]:
        body = {
            "requester": {"email": f"guest{n}@example.org", "name": "Gus"},
            "subject": "s",
            "message": "m",
            "channel": "phone",
        }
        status, made, _ = call("admin_create_ticket", user="agnes", roles="agent", body=body)
    else:
        status, made, _ = call("create_ticket", user="cora", body={"subject": "s", "message": "m"})
    assert status == 201, made
    who = {"user": spec["assignee"], "roles": "agent"} if spec["assignee"] else ADMIN
    path = {"ticket_id": made["id"]}
    _, view, _ = call("admin_get_ticket", **who, path=path)
    change: dict[str, Any] = {"priority": spec["priority"], "tags": spec["tags"]}
    if spec["status"] != "open":
        change["status"] = spec["status"]
    if spec["assignee"]:
        change["assignee_id"] = spec["assignee"]
    status, out, _ = call(
        "admin_update_ticket", **who, path=path, body=change, headers={"If-Match": view["etag"]}
    )
    assert status == 200, out


def _create_view(f: dict[str, Any], sort: str, owner: str) -> str:
    who = ADMIN if owner == "shared" else {"user": "agnes", "roles": "agent"}
    body = {"name": "p", "filter": f, "sort": sort, "shared": owner == "shared"}
    status, made, _ = call("admin_create_view", **who, body=body)
    assert status == 201, made
    return str(made["id"])


def _walk(reader: str, view_id: str) -> tuple[list[str], Any]:
    ids: list[str] = []
    cursor = None
    total = None
    while True:
        query = {"view": view_id, "limit": "2"} | ({"cursor": cursor} if cursor else {})
        status, page, _ = call("admin_list_tickets", user=reader, roles="agent", query=query)
        assert status == 200, page
        ids += [t["id"] for t in page["items"]]
        total = page["total"]
        cursor = page["next_cursor"]
        if not cursor:
            return ids, total


def _check(defined: dict[str, tuple[dict[str, Any], str]], gone: set[str]) -> None:
    tickets = [i for i in _scan() if i.get("kind") == "ticket"]
    for reader in AGENTS:
        counts = {
            c["id"]: c for c in call("admin_count_views", user=reader, roles="agent")[1]["items"]
        }
        for view_id, (f, owner) in defined.items():
            visible = owner in ("shared", reader)
            if not visible:
                assert view_id not in counts
                continue
            want = {t["id"] for t in tickets if _meets(f, t, reader)}
            ids, total = _walk(reader, view_id)
            assert set(ids) == want and len(ids) == len(want), (view_id, f, reader)
            assert total == len(want), (view_id, f, reader)
            assert counts[view_id] == {"id": view_id, "count": len(want), "state": "ready"}
        for view_id in gone:
            assert view_id not in counts
    # every view list's entries and counter shards: one entry per ticket, counters = size
    items = _scan()
    entries: dict[str, Counter[str]] = defaultdict(Counter)
    sizes: Counter[str] = Counter()
    from helpdesk.store import keys as store_keys

    for i in items:
        if i["PK"].startswith("L#Q#V#"):
            entries[i["PK"][2:]][i["id"]] += 1
        held = store_keys.counter_of(i["PK"])
        if held is not None and held[0].startswith(store_keys.VIEW_LISTS):
            sizes[held[0]] += int(i["n"])
    # (a deleted view's counters stay, at zero)
    for lk in set(entries) | {k for k, n in sizes.items() if n}:
        assert all(n == 1 for n in entries[lk].values()), lk
        assert sizes[lk] == len(entries[lk]), lk
        view = store_keys.view_of_list(lk)
        assert view is not None and view.view_id not in gone, lk


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tickets=TICKETS, views=VIEWS)
def test_each_view_equals_a_recount(tickets: list[dict[str, Any]], views: list[Any]) -> None:
    with fresh_aws():
        defined: dict[str, tuple[dict[str, Any], str]] = {}
        gone: set[str] = set()
        # Given views made before the tickets (the indexer places each ticket on them)
        early = [(f, sort, when, owner) for f, sort, when, owner in views if when == "before"]
        for f, sort, _, owner in early:
            defined[_create_view(f, sort, owner)] = (f, owner)
        # When the tickets are written, and the other views are made after (backfilled),
        # refiltered (rebuilt) or deleted (taken off)
        for n, spec in enumerate(tickets):
            _make_ticket(n, spec)
        for f, sort, when, owner in views:
            if when == "before":
                continue
            view_id = _create_view({"statuses": ["closed"]} if when != "after" else f, sort, owner)
            if when == "refiltered":
                who = ADMIN if owner == "shared" else {"user": "agnes", "roles": "agent"}
                status, out, _ = call(
                    "admin_update_view", **who, path={"view_id": view_id}, body={"filter": f}
                )
                assert status == 200, out
            if when == "deleted":
                who = ADMIN if owner == "shared" else {"user": "agnes", "roles": "agent"}
                assert call("admin_delete_view", **who, path={"view_id": view_id})[0] == 204
                gone.add(view_id)
                continue
            defined[view_id] = (f, owner)
        # Then each view's page, total and count equal the recount, for each reader
        _check(defined, gone)

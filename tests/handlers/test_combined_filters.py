"""Any combination of list filters (issue 22): every pair of the staff queue's filters and of
the customer's, generated from the routes' own parameters (a new filter joins the test, and
fails it until it has a sample below), each paged to its end with a small read budget (so
pages come short and still carry a cursor) and compared with a brute-force filter of every
ticket."""

from __future__ import annotations

import inspect
import itertools
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.conftest import call, load_function, load_tickets

pytestmark = pytest.mark.xdist_group("combined_filters")

STAFF = {"user": "agnes", "roles": "agent"}
CUSTOMER = "cora"
ORG = "org_c"
N = 150


def _tickets() -> list[Any]:
    from helpdesk.domain import Priority, Status, Ticket

    rnd = random.Random(22)
    out = []
    for i in range(N):
        at = f"2026-11-{1 + i % 28:02d}T{rnd.randrange(24):02d}:{i % 60:02d}:00.000000Z"
        updated = f"2026-11-{1 + rnd.randrange(28):02d}T10:00:{i % 60:02d}.000000Z"
        requester = CUSTOMER if i % 3 == 0 else rnd.choice(["rex", "ray", "ria"])
        deleted = rnd.random() < 0.08
        out.append(
            Ticket(
                id=f"tkt_combo{i:04d}",
                number=700000 + i,
                subject=f"combo {i}",
                requester_id=requester,
                org_id=ORG if requester in (CUSTOMER, "rex") else rnd.choice([None, "org_d"]),
                status=rnd.choice(list(Status)),
                priority=rnd.choice(list(Priority)),
                assignee_id=rnd.choice([None, "agnes", "bob", "cid"]),
                department_id=rnd.choice([None, "dep_a", "dep_b"]),
                category_id=rnd.choice([None, "cat_a", "cat_b"]),
                sub_category_id=rnd.choice([None, "sub_a"]),
                tags=rnd.sample(["vip", "bug", "refund"], rnd.randrange(3)),
                external_refs={"jira": "OPS-1"} if rnd.random() < 0.3 else {},
                created_at=at,
                updated_at=max(at, updated),
                last_activity_at=at,
                staff_unread_count=rnd.choice([0, 0, 1]),
                customer_unread_count=rnd.choice([0, 0, 2]),
                deleted_at=at if deleted else None,
                deleted_by="admin" if deleted else None,
                guest=i % 4 == 1,
                version=1,
            )
        )
    return out


@pytest.fixture(scope="module")
def world(module_aws: None) -> Iterator[list[Any]]:
    tickets = _tickets()
    load_tickets(tickets, numbers=True)
    yield tickets


@pytest.fixture(autouse=True)
def small_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    # a filtered page reads at most max(budget, (k + 1) * (limit + 1)) items: 12 at limit 5
    from helpdesk import listplan

    monkeypatch.setattr(listplan, "READ_BUDGET", 0)


@pytest.fixture(autouse=True)
def read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # every call here is a read of the loaded world: nothing for the stream's functions
    import tests.conftest

    monkeypatch.setattr(tests.conftest, "DRAIN_AFTER_CALL", False)


# ---------------------------------------------------------------- brute force, from fields


def _open(t: Any) -> bool:
    return t.status in ("open", "in_progress", "waiting")


# name -> (a query value, the ticket test); `deleted` is handled by `_visible`
STAFF_FILTERS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "status": ("open,waiting", lambda t: t.status in ("open", "waiting")),
    "priority": ("high", lambda t: t.priority == "high"),
    "category_id": ("cat_a", lambda t: t.category_id == "cat_a"),
    "sub_category_id": ("sub_a", lambda t: t.sub_category_id == "sub_a"),
    "department_id": ("dep_b", lambda t: t.department_id == "dep_b"),
    "assignee": ("me", lambda t: t.assignee_id == "agnes"),
    "requester": (CUSTOMER, lambda t: t.requester_id == CUSTOMER),
    "organization_id": (ORG, lambda t: t.org_id == ORG),
    "tag": ("VIP", lambda t: "vip" in t.tags),
    "number": ("700003", lambda t: t.number == 700003),
    "unread": ("true", lambda t: t.staff_unread_count > 0),
    "updated_since": ("2026-11-15T00:00:00Z", lambda t: t.updated_at >= "2026-11-15T00"),
    "external_ref": ("jira:OPS-1", lambda t: t.external_refs.get("jira") == "OPS-1"),
    "deleted": ("true", lambda t: True),
    "guest": ("true", lambda t: t.guest),
    # the world's tickets have no SLA state: on no due list (tests/handlers/test_sla_sweep.py
    # has the filter's own cases)
    "sla": ("breached", lambda t: False),
}
CUSTOMER_FILTERS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "status": ("open,resolved", lambda t: t.status in ("open", "resolved")),
    "category_id": ("cat_b", lambda t: t.category_id == "cat_b"),
    "priority": ("low", lambda t: t.priority == "low"),
    "unread": ("true", lambda t: t.customer_unread_count > 0),
    "open_or_unread": ("true", lambda t: _open(t) or t.customer_unread_count > 0),
    "number": ("700006", lambda t: t.number == 700006),
}
# `view` lists a saved view alone (tests/handlers/test_views.py)
NOT_FILTERS = {"sort", "order", "limit", "cursor", "scope", "view"}


def _route_filters(function: str, handler: str) -> set[str]:
    module = load_function(function)
    return set(inspect.signature(getattr(module, handler)).parameters) - NOT_FILTERS


def test_every_filter_of_the_routes_has_a_sample() -> None:
    assert _route_filters("admin_list_tickets", "admin_list_tickets") == set(STAFF_FILTERS)
    assert _route_filters("list_tickets", "list_tickets") == set(CUSTOMER_FILTERS)


def _walk(function: str, query: dict[str, str], **who: Any) -> tuple[list[str], list[Any]]:
    """Every page to the end: the ids in order, and each page's body."""
    ids: list[str] = []
    pages: list[Any] = []
    cursor = None
    while True:
        q = {**query, "limit": "5"} | ({"cursor": cursor} if cursor else {})
        status, body, _ = call(function, **who, query=q)
        assert status == 200, (query, body)
        pages.append(body)
        ids += [t["id"] for t in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return ids, pages
        assert len(pages) < 200, "the cursor does not advance"


def _check(ids: list[str], pages: list[Any], expected: set[str], sync: bool = False) -> None:
    assert len(ids) == len(set(ids)), "a ticket twice"
    assert set(ids) == expected
    if sync:  # updated_since: the total is the page's size (docs/api.md)
        assert all(p["total"] == len(p["items"]) for p in pages)
        return
    totals = {p["total"] for p in pages}
    assert totals <= {len(expected), None}, totals


@pytest.mark.parametrize("pair", list(itertools.combinations(sorted(STAFF_FILTERS), 2)))
def test_every_pair_of_queue_filters_equals_brute_force(
    world: list[Any], pair: tuple[str, str]
) -> None:
    query = {name: STAFF_FILTERS[name][0] for name in pair}
    deleted = "deleted" in pair
    expected = {
        t.id
        for t in world
        if (t.deleted_at is not None) == deleted and all(STAFF_FILTERS[name][1](t) for name in pair)
    }
    ids, pages = _walk("admin_list_tickets", query, **STAFF)
    _check(ids, pages, expected, sync="updated_since" in pair)


@pytest.mark.parametrize("pair", list(itertools.combinations(sorted(CUSTOMER_FILTERS), 2)))
@pytest.mark.parametrize("scope", ["mine", "organization"])
def test_every_pair_of_customer_filters_equals_brute_force(
    world: list[Any], pair: tuple[str, str], scope: str
) -> None:
    query = {name: CUSTOMER_FILTERS[name][0] for name in pair} | {"scope": scope}
    who = {"user": CUSTOMER, "org": ORG, "roles": "customer,org_manager"}
    expected = {
        t.id
        for t in world
        if t.deleted_at is None
        and (t.requester_id == CUSTOMER if scope == "mine" else t.org_id == ORG)
        and all(CUSTOMER_FILTERS[name][1](t) for name in pair)
    }
    ids, pages = _walk("list_tickets", query, **who)
    _check(ids, pages, expected)


def test_a_sparse_combination_pages_short_with_a_cursor(world: list[Any]) -> None:
    # high priority, tagged vip, unread: few tickets, spread along the smallest list
    query = {"priority": "high", "tag": "vip", "unread": "true"}
    ids, pages = _walk("admin_list_tickets", query, **STAFF)
    assert any(len(p["items"]) < 5 and p["next_cursor"] for p in pages)
    assert all(p["total"] is None for p in pages[:-1])
    expected = {
        t.id
        for t in world
        if t.deleted_at is None
        and t.priority == "high"
        and "vip" in t.tags
        and t.staff_unread_count > 0
    }
    _check(ids, pages, expected)


def test_an_exact_combination_keeps_its_counter_total(world: list[Any]) -> None:
    status, body, _ = call(
        "admin_list_tickets", **STAFF, query={"status": "open", "assignee": "me", "limit": "2"}
    )
    expected = [
        t for t in world if t.deleted_at is None and t.status == "open" and t.assignee_id == "agnes"
    ]
    assert status == 200 and body["total"] == len(expected)

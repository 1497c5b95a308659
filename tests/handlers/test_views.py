"""Saved views (issue 22) through the handlers, on moto: the defaults, create, count, list,
backfill, change, delete; personal against shared visibility; who may do what."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import call

AGENT = {"user": "agnes", "roles": "agent"}
OTHER = {"user": "bob", "roles": "agent"}
ADMIN = {"user": "ada", "roles": "admin"}
CUSTOMER = {"user": "cora", "roles": "customer"}


def _ticket(subject: str = "s", **update: Any) -> str:
    status, body, _ = call("create_ticket", user="cora", body={"subject": subject, "message": "m"})
    assert status == 201, body
    if update:
        _update(str(body["id"]), **update)
    return str(body["id"])


def _update(ticket_id: str, **update: Any) -> None:
    # an assignee must be in the staff directory or be the caller: agnes assigns herself
    who = AGENT if update.get("assignee_id") == "agnes" else ADMIN
    path = {"ticket_id": ticket_id}
    _, view, _ = call("admin_get_ticket", **who, path=path)
    status, out, _ = call(
        "admin_update_ticket", **who, path=path, body=update, headers={"If-Match": view["etag"]}
    )
    assert status == 200, out


def _create(who: dict[str, str], **view: Any) -> tuple[int, Any]:
    status, body, _ = call("admin_create_view", **who, body={"name": "v", **view})
    return status, body


def _page(who: dict[str, str], view_id: str, **query: str) -> tuple[int, Any]:
    status, body, _ = call("admin_list_tickets", **who, query={"view": view_id, **query})
    return status, body


def _counts(who: dict[str, str]) -> dict[str, Any]:
    status, body, _ = call("admin_count_views", **who)
    assert status == 200, body
    return {c["id"]: c for c in body["items"]}


def test_a_new_install_shows_the_five_defaults_and_seeds_them_once(aws: None) -> None:
    # Given a new install: the read routes show the defaults (building) and write nothing
    status, body, _ = call("admin_list_views", **AGENT)
    assert status == 200, body
    names = [v["name"] for v in body["items"]]
    assert names == [
        "My open tickets",
        "Unassigned",
        "Urgent",
        "Waiting on customer",
        "Recently solved",
    ]
    assert {v["state"] for v in body["items"]} == {"building"}
    assert all(v["shared"] and v["default"] for v in body["items"])
    # When the first ticket is written, the list indexer seeds and backfills them
    mine = _ticket(assignee_id="agnes")
    unassigned = _ticket()
    urgent = _ticket(priority="urgent")
    _, body, _ = call("admin_list_views", **AGENT)
    assert {v["state"] for v in body["items"]} == {"ready"}
    ids = {v["name"]: v["id"] for v in body["items"]}
    # Then each default holds its tickets, "my open tickets" per reader
    counts = _counts(AGENT)
    assert counts[ids["My open tickets"]]["count"] == 1
    assert counts[ids["Unassigned"]]["count"] == 2
    assert counts[ids["Urgent"]]["count"] == 1
    assert _counts(OTHER)[ids["My open tickets"]]["count"] == 0
    _, page = _page(AGENT, ids["My open tickets"])
    assert [t["id"] for t in page["items"]] == [mine] and page["total"] == 1
    _, page = _page(AGENT, ids["Unassigned"])
    assert {t["id"] for t in page["items"]} == {unassigned, urgent} and page["total"] == 2
    # and a second seed changes nothing (the same five)
    from helpdesk import views

    views.ensure_seeded()
    assert len(call("admin_list_views", **AGENT)[1]["items"]) == 5


def test_create_backfills_then_follows_every_write(aws: None) -> None:
    # Given tickets written before the view
    billing = [_ticket(priority="high", tags=["billing"]) for _ in range(3)]
    _ticket(priority="high")
    _ticket(tags=["billing"])
    # When an agent saves a personal view of high-priority billing tickets
    status, view = _create(AGENT, filter={"priorities": ["high"], "tag": "billing"})
    assert status == 201, view
    assert view["state"] == "building" and not view["shared"] and view["owner_id"] == "agnes"
    # Then (the backfill has run) it is ready, with exactly those tickets, newest first
    _, views_ = call("admin_list_views", **AGENT)[:2]
    assert next(v for v in views_["items"] if v["id"] == view["id"])["state"] == "ready"
    status, page = _page(AGENT, view["id"])
    assert status == 200, page
    assert [t["id"] for t in page["items"]] == billing[::-1] and page["total"] == 3
    assert _counts(AGENT)[view["id"]] == {"id": view["id"], "count": 3, "state": "ready"}
    # and it follows later writes: one joins, one leaves
    joined = _ticket(priority="high", tags=["billing"])
    _update(billing[0], priority="low")
    _, page = _page(AGENT, view["id"])
    assert {t["id"] for t in page["items"]} == {joined, *billing[1:]} and page["total"] == 3
    # paged, with a cursor
    _, first = _page(AGENT, view["id"], limit="2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    _, rest = _page(AGENT, view["id"], limit="2", cursor=first["next_cursor"])
    assert [t["id"] for t in first["items"] + rest["items"]] == [t["id"] for t in page["items"]]


def test_a_new_filter_rebuilds_and_a_rename_does_not(aws: None) -> None:
    a = _ticket(priority="low")
    b = _ticket(priority="high")
    _, view = _create(ADMIN, shared=True, filter={"priorities": ["low"]})
    assert [t["id"] for t in _page(AGENT, view["id"])[1]["items"]] == [a]
    status, changed, _ = call(
        "admin_update_view",
        **ADMIN,
        path={"view_id": view["id"]},
        body={"filter": {"priorities": ["high"]}, "sort": "created", "order": "asc"},
    )
    assert status == 200 and changed["state"] == "building", changed
    _, page = _page(AGENT, view["id"])
    assert [t["id"] for t in page["items"]] == [b] and page["total"] == 1
    # the old generation's entries are gone: only the new list remains
    from tests.handlers.test_counters_property import _scan

    lists = {i["PK"] for i in _scan() if i["PK"].startswith("L#Q#V#" + view["id"])}
    assert lists == {f"L#Q#V#{view['id']}.2.t"}
    status, renamed, _ = call(
        "admin_update_view", **ADMIN, path={"view_id": view["id"]}, body={"name": "Hot"}
    )
    assert status == 200 and renamed["name"] == "Hot" and renamed["state"] == "ready"


def test_delete_removes_the_entries_and_the_view(aws: None) -> None:
    t = _ticket(priority="urgent")
    _, view = _create(AGENT, filter={"priorities": ["urgent"]})
    assert _page(AGENT, view["id"])[1]["total"] == 1
    status, _, _ = call("admin_delete_view", **AGENT, path={"view_id": view["id"]})
    assert status == 204
    status, body = _page(AGENT, view["id"])
    assert status == 404 and body["code"] == "VIEW_NOT_FOUND"
    from tests.handlers.test_counters_property import _scan

    items = _scan()
    assert not [i for i in items if i["PK"].startswith("L#Q#V#" + view["id"])]
    # the view's item is a tombstone for a day (DynamoDB's TTL removes it)
    (tombstone,) = [i for i in items if i["SK"] == "V#" + view["id"]]
    assert tombstone["state"] == "deleted" and tombstone["ttl"] > 0 and "name" not in tombstone
    index = next(i for i in items if i["PK"] == f"IX#{t}")
    assert not [lk for lk in index["lists"] if lk.startswith("Q#V#" + view["id"])]


def test_personal_views_are_their_owners_alone(aws: None) -> None:
    _, view = _create(AGENT, filter={"statuses": ["open"]})
    # others never see it: not listed, not counted, 404 on every route
    for who in (OTHER, ADMIN):
        listed = call("admin_list_views", **who)[1]["items"]
        assert view["id"] not in {v["id"] for v in listed}
        assert view["id"] not in _counts(who)
        assert _page(who, view["id"])[0] == 404
        path = {"view_id": view["id"]}
        assert call("admin_update_view", **who, path=path, body={"name": "x"})[0] == 404
        assert call("admin_delete_view", **who, path=path)[0] == 404
    assert view["id"] in {v["id"] for v in call("admin_list_views", **AGENT)[1]["items"]}


def test_agents_make_personal_views_and_admins_shared_ones(aws: None) -> None:
    status, body = _create(AGENT, shared=True)
    assert status == 403 and body["code"] == "FORBIDDEN"
    status, shared = _create(ADMIN, shared=True, filter={"statuses": ["open"]})
    assert status == 201 and shared["owner_id"] is None
    path = {"view_id": shared["id"]}
    assert call("admin_update_view", **AGENT, path=path, body={"name": "x"})[0] == 403
    assert call("admin_delete_view", **AGENT, path=path)[0] == 403
    # an agent sees and reads it
    assert _page(AGENT, shared["id"])[0] == 200
    # an agent may not share his own view
    _, mine = _create(AGENT)
    status, body, _ = call(
        "admin_update_view", **AGENT, path={"view_id": mine["id"]}, body={"shared": True}
    )
    assert status == 403, body


@pytest.mark.parametrize(
    "function",
    ["admin_list_views", "admin_count_views", "admin_create_view"],
)
def test_customers_get_403(aws: None, function: str) -> None:
    body = {"name": "v"} if function == "admin_create_view" else None
    status, out, _ = call(function, **CUSTOMER, body=body)
    assert status == 403 and out["code"] == "FORBIDDEN", out


def test_invalid_filters_are_422_and_the_cap_is_409(aws: None, monkeypatch: Any) -> None:
    status, body = _create(AGENT, filter={"sub_category_id": "cat_x"})
    assert status == 422 and body["code"] == "VIEW_FILTER_INVALID", body
    status, body = _create(AGENT, filter={"category_id": "cat_unknown"})
    assert status == 422 and body["code"] == "VIEW_FILTER_INVALID", body
    status, body = _create(AGENT, filter={"statuses": ["nope"]})
    assert status == 422, body
    status, body = _create(AGENT, filter={"colour": "red"})
    assert status == 422, body
    from helpdesk import views

    monkeypatch.setattr(views, "MAX_PERSONAL", 2)
    assert _create(AGENT)[0] == 201
    assert _create(AGENT)[0] == 201
    status, body = _create(AGENT)
    assert status == 409 and body["code"] == "VIEW_LIMIT_REACHED", body
    assert _create(OTHER)[0] == 201  # the cap is per owner


def test_view_lists_alone(aws: None) -> None:
    _, view = _create(AGENT)
    status, body = _page(AGENT, view["id"], priority="high")
    assert status == 400 and body["code"] == "VIEW_WITH_FILTERS", body
    status, body = _page(AGENT, "view_nope")
    assert status == 404 and body["code"] == "VIEW_NOT_FOUND", body


def test_guest_views_and_queue_filter(aws: None) -> None:
    member = _ticket()
    status, guest, _ = call(
        "admin_create_ticket",
        **AGENT,
        body={
            "requester": {"email": "gil@example.org", "name": "Gil"},
            "subject": "phone",
            "message": "called",
            "channel": "phone",
        },
    )
    assert status == 201, guest
    _, view = _create(AGENT, filter={"guest": True})
    assert [t["id"] for t in _page(AGENT, view["id"])[1]["items"]] == [guest["id"]]
    for flag, want in (("true", [guest["id"]]), ("false", [member])):
        status, page, _ = call("admin_list_tickets", **AGENT, query={"guest": flag})
        assert status == 200, page
        assert [t["id"] for t in page["items"]] == want


def test_a_backfill_goes_through_the_queue_in_steps(aws: None, monkeypatch: Any) -> None:
    from helpdesk import listindex

    monkeypatch.setattr(listindex, "BACKFILL_STEP", 2)
    made = [_ticket(priority="high") for _ in range(5)]
    steps: list[Any] = []
    real = listindex.backfill_step

    def step(image: Any) -> bool:
        steps.append(image.get("cursor"))
        return real(image)

    monkeypatch.setattr(listindex, "backfill_step", step)
    _, view = _create(AGENT, filter={"priorities": ["high"]})
    # one step per 2 tickets, each from the cursor the step before wrote on the view
    assert len([s for s in steps if s]) >= 2, steps
    status, page = _page(AGENT, view["id"])
    assert {t["id"] for t in page["items"]} == set(made) and page["total"] == 5
    # a redelivered record of an old step changes nothing (its cursor is not the view's)
    from helpdesk.store import views as store_views

    current = store_views.get_view(view["id"])
    assert current is not None and current["state"] == "ready"
    assert real({**current, "state": "building", "cursor": steps[1]}) is False
    assert _page(AGENT, view["id"])[1]["total"] == 5


def test_a_stale_batch_that_puts_a_ticket_back_on_a_deleted_view_is_mended(aws: None) -> None:
    from helpdesk.store import lists as store_lists
    from helpdesk.store import tickets as store_tickets
    from helpdesk.store import views as store_views

    # Given a ticket on a view, and an indexer batch that read the definitions then
    t = _ticket(priority="urgent")
    _, view = _create(AGENT, filter={"priorities": ["urgent"]})
    stale = store_views.definitions()
    assert stale is not None
    on_view = [v.listkey for v in stale if v.id == view["id"]]
    # When the view is deleted (its clean-up takes the ticket off), and the stale batch then
    # commits a change of the ticket by the old definitions: the ticket is back on the view
    assert call("admin_delete_view", **AGENT, path={"view_id": view["id"]})[0] == 204
    ticket = store_tickets.get_ticket(t)
    assert ticket is not None and on_view
    newer = ticket.model_copy(update={"version": ticket.version + 1})
    store_lists.apply(t, newer, stale)
    from tests.handlers.test_counters_property import _scan

    def on_deleted_view() -> list[str]:
        index = next(i for i in _scan() if i["PK"] == f"IX#{t}")
        return [lk for lk in index["lists"] if lk.startswith("Q#V#" + view["id"])]

    assert on_deleted_view()
    # Then the ticket's next write, by fresh definitions (the tombstone), takes it off (the
    # first update's record is the version the stale batch applied: skipped)
    _update(t, tags=["again"])
    _update(t, tags=["again", "more"])
    assert on_deleted_view() == []
    assert not [i for i in _scan() if i["PK"].startswith("L#Q#V#" + view["id"])]

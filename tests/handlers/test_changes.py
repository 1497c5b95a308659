"""The change feed (`GET /admin/changes`) through the handlers, on moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import call, invoke
from tests.handlers.test_housekeeping import (
    ADMIN,
    AGENT,
    _erase,
    _merge,
    _ttl_removal,
    delete,
    open_ticket,
    restore,
    scan_all,
)

pytestmark = pytest.mark.usefixtures("aws")


def feed_page(limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
    query: dict[str, str] = {"limit": str(limit)}
    if cursor:
        query["cursor"] = cursor
    status, body, _ = call("admin_list_changes", **ADMIN, query=query)
    assert status == 200, body
    return body


def read_all(cursor: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        page = feed_page(limit, cursor)
        items += page["items"]
        cursor = page["next_cursor"]
        if page["end_of_stream"]:
            return items, cursor


def history(ticket_id: str) -> list[str]:
    """`<ticket id>.<seq>` of every event of the ticket (the per-ticket history)."""
    _, body, _ = call("admin_list_events", **AGENT, path={"ticket_id": ticket_id})
    return [f"{ticket_id}.{e['seq']}" for e in body["items"]]


def test_every_kind_of_change_appears_with_its_public_type() -> None:
    # Given tickets that are created, replied to, noted, assigned, deleted, restored, merged
    a, b = open_ticket(), open_ticket()
    path = {"ticket_id": a["id"]}
    call("reply_ticket", user="carl", path=path, body={"message": "more"})
    call("admin_reply_ticket", **AGENT, path=path, body={"message": "psst", "internal": True})
    _, got, headers = call("admin_get_ticket", **AGENT, path=path)
    status, _, _ = call(
        "admin_update_ticket",
        **AGENT,
        path=path,
        body={"assignee_id": "agnes", "priority": "low"},
        headers={"if-match": headers["etag"]},
    )
    assert status == 200
    delete(a["id"])
    restore(a["id"])
    assert _merge(b["id"], a["id"])[0] == 200
    # When an admin reads the feed
    items, _ = read_all()
    types = [(i["ticket_id"], i["type"]) for i in items]
    # Then each change is there with its public type, in commit order
    for expected in [
        (a["id"], "ticket.created"),
        (b["id"], "ticket.created"),
        (a["id"], "message.created"),
        (a["id"], "note.created"),
        (a["id"], "ticket.assigned"),
        (a["id"], "ticket.updated"),
        (a["id"], "ticket.deleted"),
        (a["id"], "ticket.restored"),
        (b["id"], "ticket.merged"),
    ]:
        assert expected in types, expected
    merged = next(i for i in items if i["type"] == "ticket.merged")
    assert merged["data"] == {
        "source_id": b["id"],
        "source_number": b["number"],
        "target_id": a["id"],
        "target_number": a["number"],
    }
    deleted = next(i for i in items if i["type"] == "ticket.deleted")
    assert deleted["data"] == {} and deleted["actor"] == {"id": "adam", "side": "staff"}
    assert deleted["ticket_number"] == a["number"]
    # and the feed holds exactly the tickets' histories, each change once
    assert sorted(i["id"] for i in items) == sorted(history(a["id"]) + history(b["id"]))
    assert [i["occurred_at"] for i in items] == sorted(i["occurred_at"] for i in items)


def test_paging_while_writes_happen_misses_nothing_and_repeats_nothing() -> None:
    tickets = [open_ticket() for _ in range(3)]
    seen: list[str] = []
    cursor: str | None = None
    for round_ in range(6):
        # a page of 2, then more changes (several events per change: reply + status)
        page = feed_page(2, cursor)
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        t = tickets[round_ % 3]
        call("admin_reply_ticket", **AGENT, path={"ticket_id": t["id"]}, body={"message": "x"})
    rest, cursor = read_all(cursor, limit=3)
    seen += [i["id"] for i in rest]
    assert len(seen) == len(set(seen))
    assert sorted(seen) == sorted(sum((history(t["id"]) for t in tickets), []))
    # and a later resume from the stored cursor sees only what came after
    call("reply_ticket", user="carl", path={"ticket_id": tickets[0]["id"]}, body={"message": "y"})
    later, _ = read_all(cursor)
    assert [i["id"] for i in later] == [h for h in history(tickets[0]["id"]) if h not in seen]
    assert [i["type"] for i in later] == ["message.created", "ticket.status_changed"]


def test_a_page_is_one_query_and_one_batch_read_that_scans_at_most_limit_plus_one(
    aws_calls: Any,
) -> None:
    for _ in range(4):
        open_ticket()
    aws_calls.clear()
    page = feed_page(2)
    assert len(page["items"]) == 2 and not page["end_of_stream"]
    assert aws_calls.operations() == ["Query", "BatchGetItem"]
    op, out = aws_calls.responses[0]
    assert op == "Query" and out["ScannedCount"] <= 3


def test_customers_and_agents_get_403_and_a_foreign_cursor_400() -> None:
    for who in ({"user": "carl"}, AGENT):
        status, body, _ = call("admin_list_changes", **who)
        assert (status, body["code"]) == (403, "FORBIDDEN")
    status, body, _ = call("admin_list_changes", **ADMIN, query={"cursor": "eyJsIjoieCJ9"})
    assert status == 400


def test_holdback_hides_the_newest_changes_until_they_are_old_enough(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk import settings

    first = open_ticket()
    _, cursor = read_all()
    monkeypatch.setenv("FEED_HOLDBACK_SECONDS", "3600")
    settings.feed_settings.cache_clear()
    open_ticket()
    # a just-committed change is not returned; the page reached the horizon: end of stream
    page = feed_page(10, cursor)
    assert page["items"] == [] and page["end_of_stream"] is True
    assert page["next_cursor"] == cursor
    # once it is older than the holdback, the same cursor returns it, and nothing before it
    monkeypatch.setenv("FEED_HOLDBACK_SECONDS", "0")
    settings.feed_settings.cache_clear()
    items, _ = read_all(cursor)
    assert [i["type"] for i in items] == ["ticket.created"]
    assert items[0]["ticket_id"] != first["id"]


def test_after_erasure_no_feed_item_and_no_feed_record_names_the_person() -> None:
    # the caller's name is "Yannick", his e-mail yannick@example.com (tests.conftest.make_event)
    status, ticket, _ = call(
        "create_ticket",
        user="yannick",
        body={"subject": "My secret subject", "message": "my secret message"},
    )
    assert status == 201, ticket
    path = {"ticket_id": ticket["id"]}
    call("reply_ticket", user="yannick", path=path, body={"message": "another secret line"})
    before, _ = read_all()
    assert "My secret subject" in json.dumps(before)
    status, _ = _erase("yannick", "yannick")
    assert status == 200
    items, _ = read_all()
    text = json.dumps(items)
    for secret in ("Yannick", "yannick@", "secret subject", "secret message", "secret line"):
        assert secret not in text, secret
    erased = [i for i in items if i["type"] == "requester.erased"]
    assert [i["data"] for i in erased] == [{"user_id": "yannick"}]
    feed_items = json.dumps([i for i in scan_all() if i["PK"]["S"] == "FEED"])
    assert "yannick" in feed_items  # his id: the records are there
    for secret in ("Yannick", "yannick@", "secret"):
        assert secret not in feed_items, secret


def test_the_ttl_purge_appends_a_tombstone_and_earlier_items_keep_ids_only() -> None:
    ticket = open_ticket()
    delete(ticket["id"])
    assert invoke("process_changes", _ttl_removal(ticket["id"])) == {"batchItemFailures": []}
    items, _ = read_all()
    mine = [i for i in items if i["ticket_id"] == ticket["id"]]
    assert [i["type"] for i in mine] == ["ticket.created", "ticket.deleted", "ticket.purged"]
    assert all(i["data"] == {} for i in mine)
    assert mine[-1]["actor"] == {"id": None, "side": "system"}


def test_a_stream_image_of_a_feed_record_renders_as_the_feed_pages_it() -> None:
    # Given a ticket with a few changes, and the feed's stored records (as a stream's NewImage)
    ticket = open_ticket()
    call("reply_ticket", user="carl", path={"ticket_id": ticket["id"]}, body={"message": "more"})
    from helpdesk import changes
    from helpdesk.store import feed as store_feed

    images = sorted(
        (i for i in scan_all() if store_feed.is_feed_image(i)), key=lambda i: i["SK"]["S"]
    )
    # When each image is rendered on its own (what the stream consumers do)
    rendered = [
        item.model_dump(mode="json")
        for image in images
        for item in changes.render(store_feed.from_image(image))
    ]
    # Then it is what the feed's pages hold, item for item
    items, _ = read_all()
    assert rendered == items
    assert not store_feed.is_feed_image(None)
    assert not store_feed.is_feed_image({"PK": {"S": "TICKET#x"}, "SK": {"S": "T"}})

"""Soft delete, restore and the TTL purge through the handlers, on moto."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from helpdesk.store.keys import SLA_DUE, SLA_NEXT, counter_of
from tests.conftest import BUCKET, TABLE, call, invoke, load_event, settle
from tests.handlers.test_attachments import create_ticket as create_with_files
from tests.handlers.test_attachments import principal, uploaded

pytestmark = pytest.mark.usefixtures("aws")

ADMIN = {"user": "adam", "roles": "admin"}
AGENT = {"user": "agnes", "roles": "agent"}


def open_ticket(user: str = "carl", org: str = "") -> dict[str, Any]:
    status, body, _ = call(
        "create_ticket",
        user=user,
        org=org,
        body={"subject": "Printer", "message": "Help", "priority": "high"},
    )
    assert status == 201, body
    return body


def delete(ticket_id: str, who: dict[str, str] = ADMIN) -> tuple[int, Any]:
    status, body, _ = call("admin_delete_ticket", **who, path={"ticket_id": ticket_id})
    return status, body


def restore(ticket_id: str, who: dict[str, str] = ADMIN) -> tuple[int, Any]:
    status, body, _ = call("admin_restore_ticket", **who, path={"ticket_id": ticket_id})
    return status, body


def scan_all() -> list[dict[str, Any]]:
    from helpdesk.store import codec as store_codec

    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": TABLE}
    while True:
        out = store_codec.client().scan(**kwargs)
        items += out["Items"]
        if "LastEvaluatedKey" not in out:
            return items
        kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def assert_counters_match_entries() -> dict[str, int]:
    """Recount every list's entries in the table and compare with its counter item."""
    items = scan_all()
    # the SLA due lists have no counter (their pages' totals are null by design)
    uncounted = {f"L#{SLA_DUE}", f"L#{SLA_NEXT}"}
    entries = Counter(
        i["PK"]["S"][2:]
        for i in items
        if i["PK"]["S"].startswith("L#") and i["PK"]["S"] not in uncounted
    )
    counters: Counter[str] = Counter()  # a list's counter is the sum of its shards
    for i in items:
        held = counter_of(i["PK"]["S"])
        if held is not None:
            counters[held[0]] += int(i["n"]["N"])
    for listkey in set(entries) | set(counters):
        assert entries.get(listkey, 0) == counters.get(listkey, 0), listkey
    return dict(entries)


def test_delete_hides_the_ticket_from_customers_and_the_queue_and_restore_brings_it_back() -> None:
    # Given a ticket of carl in an organization, and the lists as they are
    ticket = open_ticket(org="org1")
    before = assert_counters_match_entries()
    # When an admin deletes it
    status, body = delete(ticket["id"])
    # Then the answer shows who deleted it and when
    assert status == 200, body
    assert body["deleted_by"] == "adam" and body["deleted_at"]
    # and the requester and his organization manager get 404 on every customer route
    path = {"ticket_id": ticket["id"]}
    for name, who in (
        ("get_ticket", {"user": "carl"}),
        ("get_ticket", {"user": "olga", "roles": "org_manager", "org": "org1"}),
    ):
        status, body, _ = call(name, **who, path=path)
        assert (status, body["code"]) == (404, "TICKET_NOT_FOUND")
    for name in ("close_ticket", "reopen_ticket", "read_ticket"):
        status, body, _ = call(name, user="carl", path=path)
        assert (status, body["code"]) == (404, "TICKET_NOT_FOUND"), name
    status, body, _ = call("reply_ticket", user="carl", path=path, body={"message": "hi"})
    assert (status, body["code"]) == (404, "TICKET_NOT_FOUND")
    _, mine, _ = call("list_tickets", user="carl", query={})
    assert mine["total"] == 0 and mine["items"] == []
    _, by_number, _ = call("list_tickets", user="carl", query={"number": str(ticket["number"])})
    assert by_number["items"] == []
    # and from the staff queue, unless it asks for deleted=true
    _, queue, _ = call("admin_list_tickets", **AGENT, query={})
    assert ticket["id"] not in [t["id"] for t in queue["items"]] and queue["total"] == 0
    _, deleted, _ = call("admin_list_tickets", **AGENT, query={"deleted": "true"})
    assert [t["id"] for t in deleted["items"]] == [ticket["id"]] and deleted["total"] == 1
    assert deleted["items"][0]["deleted_by"] == "adam"
    # and the staff view still shows it, with deleted_at, but refuses changes
    _, view, _ = call("admin_get_ticket", **AGENT, path=path)
    assert view["deleted_at"] and view["deleted_by"] == "adam"
    status, body, _ = call("admin_read_ticket", **AGENT, path=path)
    assert (status, body["code"]) == (404, "TICKET_NOT_FOUND")
    # and every counter equals its recount; the ticket is on Q#DEL only
    assert assert_counters_match_entries() == {"Q#DEL": 1, "Q#DEL#R#carl": 1}
    # When it is restored
    status, body = restore(ticket["id"])
    # Then it is back as it was, on exactly the lists it was on
    assert status == 200 and body["deleted_at"] is None and body["deleted_by"] is None
    assert body["status"] == "open" and body["priority"] == "high"
    assert assert_counters_match_entries() == before
    _, got, _ = call("get_ticket", user="carl", path=path)
    assert got["id"] == ticket["id"] and [m["body"] for m in got["messages"]] == ["Help"]
    # and the history has both events
    _, events, _ = call("admin_list_events", **AGENT, path=path)
    assert [e["type"] for e in events["items"]][-2:] == ["deleted", "restored"]


def test_delete_and_restore_are_idempotent_and_leave_counters_exact() -> None:
    # Given two tickets, one deleted
    first, second = open_ticket(), open_ticket()
    assert delete(first["id"])[0] == 200
    # When it is deleted again and the other is restored without being deleted
    status, again = delete(first["id"])
    status2, same = restore(second["id"])
    # Then both are no-ops (200, no new version) and counters match their recount
    assert status == 200 and again["etag"].endswith('.2"')
    assert status2 == 200 and same["etag"] == second["etag"]
    entries = assert_counters_match_entries()
    assert entries["Q#DEL"] == 1 and entries["Q"] == 1


def test_deleted_ticket_item_expires_after_the_configured_retention(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk import settings
    from helpdesk.store import codec as store_codec

    # Given a 2-day retention window
    monkeypatch.setenv("DELETED_RETENTION_DAYS", "2")
    settings.housekeeping_settings.cache_clear()
    ticket = open_ticket()
    # When the ticket is deleted
    delete(ticket["id"])
    # Then its item carries ttl = now + 2 days; restore removes it
    item = store_codec.client().get_item(
        TableName=TABLE, Key={"PK": {"S": f"TICKET#{ticket['id']}"}, "SK": {"S": "T"}}
    )["Item"]
    assert abs(int(item["ttl"]["N"]) - (time.time() + 2 * 86400)) < 60
    restore(ticket["id"])
    item = store_codec.client().get_item(
        TableName=TABLE, Key={"PK": {"S": f"TICKET#{ticket['id']}"}, "SK": {"S": "T"}}
    )["Item"]
    assert "ttl" not in item
    settings.housekeeping_settings.cache_clear()


@pytest.mark.parametrize("who", [{"user": "carl"}, AGENT])
def test_only_admins_delete_and_restore(who: dict[str, str]) -> None:
    ticket = open_ticket()
    for fn in (delete, restore):
        status, body = fn(ticket["id"], who)
        assert (status, body["code"]) == (403, "FORBIDDEN")


def test_unknown_ticket_is_404() -> None:
    for fn in (delete, restore):
        status, body = fn("tkt_01jexample0000000000009999")
        assert (status, body["code"]) == (404, "TICKET_NOT_FOUND")


def _ttl_removal(ticket_id: str) -> dict[str, Any]:
    """What DynamoDB TTL does: delete the ticket item; the stream record carries its old image."""
    from helpdesk.store import codec as store_codec

    old = store_codec.client().delete_item(
        TableName=TABLE,
        Key={"PK": {"S": f"TICKET#{ticket_id}"}, "SK": {"S": "T"}},
        ReturnValues="ALL_OLD",
    )["Attributes"]
    event = load_event("process_changes")
    record = event["Records"][0]
    record["dynamodb"]["Keys"] = {"PK": old["PK"], "SK": old["SK"]}
    record["dynamodb"]["OldImage"] = old
    return event


def test_ttl_removal_purges_messages_entries_and_every_file_version() -> None:
    from helpdesk import attachments

    # Given a deleted ticket with an attachment on its first message, and an untouched ticket
    who = principal("carl")
    created = create_with_files(who, [uploaded(who)])
    assert created["statusCode"] == 201, created["body"]
    import json

    ticket = json.loads(created["body"])
    keep = open_ticket("dora")
    s3 = attachments.client()
    assert s3.list_object_versions(Bucket=BUCKET, Prefix=f"files/{ticket['id']}/")["Versions"]
    delete(ticket["id"])
    # When DynamoDB TTL removes its item and the stream invokes the purge function (twice:
    # stream records are delivered at least once)
    event = _ttl_removal(ticket["id"])
    first = invoke("process_changes", event)
    second = invoke("process_changes", event)
    # Then both batches succeed, and once the list indexer has seen the removal too (its
    # entries on the deleted lists, their counters, its index record), nothing of the
    # ticket is left in the table or the bucket but its change-feed records (ids only)
    assert first == second == {"batchItemFailures": []}
    settle()
    leftovers = [
        i
        for i in scan_all()
        if ticket["id"] in str(i) or i["PK"]["S"] == f"NUMBER#{ticket['number']}"
    ]
    assert [i for i in leftovers if i["PK"]["S"] != "FEED"] == []
    assert {a for i in leftovers for a in i} <= {
        "PK",
        "SK",
        "kind",
        "at",
        "ticket_id",
        "ticket_number",
        "requester_id",
        "actor_id",
        "actor_side",
        "seqs",
        "types",
    }
    listing = s3.list_object_versions(Bucket=BUCKET, Prefix=f"files/{ticket['id']}/")
    assert not listing.get("Versions") and not listing.get("DeleteMarkers")
    # and the deleted list's counter fell exactly once; the other ticket is untouched
    assert assert_counters_match_entries().get("Q#DEL", 0) == 0
    _, got, _ = call("get_ticket", user="dora", path={"ticket_id": keep["id"]})
    assert got["id"] == keep["id"]


def test_removals_that_are_not_ttl_purges_are_ignored() -> None:
    from helpdesk.store import codec as store_codec

    # Given a live ticket and a deleted one
    live, gone = open_ticket(), open_ticket()
    delete(gone["id"])
    event = load_event("process_changes")
    record = event["Records"][0]
    # When the stream brings a user's REMOVE, a MODIFY, and a TTL REMOVE of a live ticket
    item = store_codec.client().get_item(
        TableName=TABLE, Key={"PK": {"S": f"TICKET#{live['id']}"}, "SK": {"S": "T"}}
    )["Item"]
    user_remove = record | {"userIdentity": {"principalId": "someone"}}
    modify = record | {"eventName": "MODIFY"}
    live_ttl = record | {"dynamodb": {"Keys": {}, "OldImage": item}}
    batch = [
        r | {"dynamodb": r["dynamodb"] | {"SequenceNumber": str(n)}}
        for n, r in enumerate([user_remove, modify, live_ttl])
    ]
    out = invoke("process_changes", {"Records": batch})
    # Then nothing is purged (and nothing failed)
    assert out == {"batchItemFailures": []}
    assert assert_counters_match_entries()["Q#DEL"] == 1
    assert len([i for i in scan_all() if i["PK"]["S"] == f"TICKET#{gone['id']}"]) > 1


def test_a_poisoned_stream_record_is_reported_and_the_rest_of_the_batch_is_purged() -> None:
    # Given two deleted tickets removed by TTL, and between them a record whose old image
    # is not a ticket the purge can read (a poisoned record)
    one, two = open_ticket("carl"), open_ticket("dora")
    delete(one["id"])
    delete(two["id"])
    first = _ttl_removal(one["id"])["Records"][0]
    last = _ttl_removal(two["id"])["Records"][0]
    poisoned = load_event("process_changes")["Records"][0]
    poisoned["dynamodb"]["OldImage"] = {
        "PK": {"S": "TICKET#tkt_poisoned"},
        "SK": {"S": "T"},
        "deleted_at": {"S": "2026-01-01T00:00:00.000000Z"},
    }
    records = [first, poisoned, last]
    for n, record in enumerate(records):
        record["dynamodb"]["SequenceNumber"] = f"{100 + n}"
    # When the stream delivers the batch
    out = invoke("process_changes", {"Records": records})
    # Then only the poisoned record is reported (Lambda retries it, then sends it to the
    # failure queue) and both tickets are purged
    assert out == {"batchItemFailures": [{"itemIdentifier": "101"}]}
    settle()  # the list indexer sees the removals too: the deleted list empties
    left = {i["PK"]["S"] for i in scan_all()}
    assert f"TICKET#{one['id']}" not in left and f"TICKET#{two['id']}" not in left
    assert assert_counters_match_entries().get("Q#DEL", 0) == 0


def test_a_batch_that_fails_whole_is_a_function_error_for_lambda_to_retry() -> None:
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    # Given a batch of one poisoned record
    poisoned = load_event("process_changes")
    poisoned["Records"][0]["dynamodb"]["OldImage"] = {
        "PK": {"S": "TICKET#tkt_poisoned"},
        "SK": {"S": "T"},
        "deleted_at": {"S": "2026-01-01T00:00:00.000000Z"},
    }
    # When delivered; Then the invocation fails (Lambda's Errors metric, bisect and retry)
    with pytest.raises(BatchProcessingError):
        invoke("process_changes", poisoned)


def _patch(ticket: dict[str, Any], body: dict[str, Any]) -> tuple[int, Any]:
    status, out, _ = call(
        "admin_update_ticket",
        **AGENT,
        path={"ticket_id": ticket["id"]},
        body=body,
        headers={"If-Match": ticket["etag"]},
    )
    return status, out


def test_external_refs_are_set_shown_and_filterable_by_a_query() -> None:
    # Given two tickets
    first, second = open_ticket(), open_ticket("dora")
    _, first = call("admin_get_ticket", **AGENT, path={"ticket_id": first["id"]})[:2]
    # When an agent links the first to a Jira issue and a GitHub issue
    status, body = _patch(first, {"external_refs": {"jira": "OPS-123", "github": "acme/app#7"}})
    # Then the staff view shows the map and the history has an event
    assert status == 200, body
    _, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": first["id"]})
    assert view["external_refs"] == {"jira": "OPS-123", "github": "acme/app#7"}
    _, events, _ = call("admin_list_events", **AGENT, path={"ticket_id": first["id"]})
    assert events["items"][-1]["type"] == "external_refs_changed"
    # and the queue filter finds it (and only it) with an exact total
    _, found, _ = call("admin_list_tickets", **AGENT, query={"external_ref": "jira:OPS-123"})
    assert [t["id"] for t in found["items"]] == [first["id"]] and found["total"] == 1
    _, none, _ = call("admin_list_tickets", **AGENT, query={"external_ref": "jira:OPS-124"})
    assert none["items"] == [] and none["total"] == 0
    assert second["id"] not in [t["id"] for t in found["items"]]
    # When the map is replaced, the old link leaves its list and the counters match a recount
    status, body = _patch(view, {"external_refs": {"jira": "OPS-9"}})
    assert status == 200
    _, old, _ = call("admin_list_tickets", **AGENT, query={"external_ref": "jira:OPS-123"})
    assert old["total"] == 0
    entries = assert_counters_match_entries()
    assert entries["Q#X#jira:OPS-9"] == 1 and "Q#X#jira:OPS-123" not in entries
    # and null clears the map
    _, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": first["id"]})
    status, body = _patch(view, {"external_refs": None})
    assert status == 200 and body["external_refs"] == {}
    assert not any(k.startswith("Q#X#") for k in assert_counters_match_entries())


@pytest.mark.parametrize(
    "refs",
    [
        {f"k{i}": "v" for i in range(11)},
        {"Jira": "OPS-1"},
        {"jira": "has space"},
        {"jira": ""},
        {"a" * 33: "x"},
        {"jira": "x" * 129},
        {"jira": 5},
    ],
)
def test_bad_external_refs_are_422(refs: dict[str, Any]) -> None:
    ticket = open_ticket()
    _, ticket, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": ticket["id"]})
    status, body = _patch(ticket, {"external_refs": refs})
    assert (status, body["code"]) == (422, "VALIDATION_FAILED")


@pytest.mark.parametrize("value", ["jira", ":OPS-1", "jira:"])
def test_malformed_external_ref_filter_is_400(value: str) -> None:
    status, body, _ = call("admin_list_tickets", **AGENT, query={"external_ref": value})
    assert (status, body["code"]) == (400, "BAD_REQUEST")


def test_external_ref_filter_combines_with_a_status() -> None:
    # no list holds both: the reference's list is read and filtered (total exact: read whole)
    status, body, _ = call(
        "admin_list_tickets", **AGENT, query={"external_ref": "jira:OPS-1", "status": "open"}
    )
    assert status == 200 and body["items"] == [] and body["total"] == 0


def _erase(user_id: str, confirm: str, who: dict[str, str] = ADMIN) -> tuple[int, Any]:
    status, body, _ = call(
        "admin_erase_requester", **who, path={"user_id": user_id}, body={"confirm": confirm}
    )
    return status, body


def _all_s3_bytes() -> list[tuple[str, bytes]]:
    from helpdesk import attachments

    s3 = attachments.client()
    out = []
    listing = s3.list_object_versions(Bucket=BUCKET)
    for v in listing.get("Versions", []):
        body = s3.get_object(Bucket=BUCKET, Key=v["Key"], VersionId=v["VersionId"])["Body"]
        out.append((v["Key"], body.read()))
    return out


def test_erasure_leaves_no_personal_data_in_the_table_or_the_bucket() -> None:
    import json

    # Given zelda's tickets: one with an attachment, replies, a staff note and a rating,
    # one sent with an Idempotency-Key, one soft-deleted; an API token of hers;
    # and dora's ticket, which must stay whole
    zelda = principal("zelda")
    secret = b"\x89PNG\r\n\x1a\n" + b"zelda-private-bytes" * 20
    res = create_with_files(zelda, [uploaded(zelda, data=secret)], **{"idempotency-key": "k-1"})
    assert res["statusCode"] == 201, res["body"]
    first = json.loads(res["body"])
    path = {"ticket_id": first["id"]}
    call("reply_ticket", user="zelda", path=path, body={"message": "my flat is 12 Elm Road"})
    call("admin_reply_ticket", **AGENT, path=path, body={"message": "Dear Zelda, noted"})
    call("admin_reply_ticket", **AGENT, path=path, body={"message": "zelda", "internal": True})
    call("close_ticket", user="zelda", path=path)
    call("rate_ticket", user="zelda", path=path, body={"rating": 5, "comment": "Elm Road rocks"})
    second = open_ticket("zelda")
    delete(second["id"])
    status, token, _ = call("create_api_token", user="zelda", body={"name": "Zelda's laptop"})
    assert status == 201, token
    dora = open_ticket("dora")
    counts_before = assert_counters_match_entries()
    # When an admin erases zelda, confirming her id
    status, report = _erase("zelda", "zelda")
    # Then the report says what went
    assert status == 200, report
    assert report["tickets_anonymized"] == 2
    assert report["messages_redacted"] == 5
    assert report["attachments_deleted"] == 1 and report["files_deleted"] >= 1
    assert report["profile_items_deleted"] == 2  # profile, token
    assert report["lookups_deleted"] == 1 and report["idempotency_records_deleted"] >= 1
    # and no item in the table contains her name, email, message text, subject or file name
    # (dora's ticket says "Printer"/"Help" too, so those are checked on zelda's tickets only)
    needles = ["zelda@example.com", "Zelda", "Elm Road", "With files", "See attached", "screen"]
    items = scan_all()
    leaks = [(n, i["PK"]["S"], i["SK"]["S"]) for i in items for n in needles if n in json.dumps(i)]
    leaks += [
        (n, i["PK"]["S"], i["SK"]["S"])
        for i in items
        if first["id"] in json.dumps(i) or second["id"] in json.dumps(i)
        for n in ("Printer", "Help")
        if n in json.dumps(i)
    ]
    assert leaks == []
    assert not [i for i in scan_all() if i["PK"]["S"] in ("USER#zelda", f"TOKEN#{token['id']}")]
    # and no object in the bucket holds her bytes (nor any version of her tickets' files)
    assert not [k for k, data in _all_s3_bytes() if b"zelda-private-bytes" in data]
    # and the skeletons and metrics stay: same lists, same counters, exact
    assert assert_counters_match_entries() == counts_before
    _, view, _ = call("admin_get_ticket", **AGENT, path=path)
    assert view["status"] == "closed" and view["message_count"] == 3 and view["rating"] == 5
    assert view["requester"]["email"] == "" and view["subject"] == "[erased]"
    # and dora's ticket is untouched
    _, got, _ = call("get_ticket", user="dora", path={"ticket_id": dora["id"]})
    assert got["subject"] == "Printer" and [m["body"] for m in got["messages"]] == ["Help"]
    # When it runs again, it is still 200 and changes nothing more
    status, again = _erase("zelda", "zelda")
    assert status == 200 and again["files_deleted"] == 0 and again["attachments_deleted"] == 0


def test_erasure_needs_the_confirmation_and_an_admin() -> None:
    open_ticket("yann")
    # Given a wrong confirmation, Then 422 and nothing is erased
    status, body = _erase("yann", "someone-else")
    assert (status, body["code"]) == (422, "ERASURE_NOT_CONFIRMED")
    status, body, _ = call("admin_erase_requester", **ADMIN, path={"user_id": "yann"}, body={})
    assert (status, body["code"]) == (422, "VALIDATION_FAILED")
    # Given an agent or the customer himself, Then 403
    for who in (AGENT, {"user": "yann"}):
        status, body = _erase("yann", "yann", who)
        assert (status, body["code"]) == (403, "FORBIDDEN")
    # Given nobody of that id, Then 404
    status, body = _erase("nobody", "nobody")
    assert (status, body["code"]) == (404, "REQUESTER_NOT_FOUND")
    _, mine, _ = call("list_tickets", user="yann", query={})
    assert mine["items"][0]["subject"] == "Printer"


def _bulk(
    body: dict[str, Any], who: dict[str, str] = AGENT, key: str | None = None
) -> tuple[int, Any]:
    headers = {"Idempotency-Key": key} if key else {}
    status, out, _ = call("admin_bulk_update", **who, body=body, headers=headers)
    return status, out


def test_bulk_update_reports_per_ticket_and_keeps_counters_exact() -> None:
    # Given three tickets, one of them deleted, and an unknown id
    a, b, c = open_ticket(), open_ticket("dora"), open_ticket("emil")
    delete(c["id"])
    missing = "tkt_01jexample0000000000009999"
    # When an agent assigns them to himself, tags them and puts them in progress
    status, out = _bulk(
        {
            "ticket_ids": [a["id"], b["id"], c["id"], missing],
            "change": {"assignee_id": "me", "status": "in_progress", "tags_add": ["VIP"]},
        }
    )
    # Then each ticket has its row; the deleted and unknown ones are 404, the rest changed
    assert status == 200, out
    rows = {r["ticket_id"]: r for r in out["results"]}
    assert (out["succeeded"], out["failed"]) == (2, 2)
    assert rows[a["id"]]["ok"] and rows[b["id"]]["ok"] and rows[a["id"]]["etag"]
    assert (rows[c["id"]]["status"], rows[c["id"]]["code"]) == (404, "TICKET_NOT_FOUND")
    assert rows[missing]["code"] == "TICKET_NOT_FOUND"
    _, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": a["id"]})
    assert view["assignee_id"] == "agnes" and view["status"] == "in_progress"
    assert view["tags"] == ["vip"]
    # and each changed ticket got its own events
    _, events, _ = call("admin_list_events", **AGENT, path={"ticket_id": b["id"]})
    assert {"assigned", "tags_changed", "status_changed"} <= {e["type"] for e in events["items"]}
    # and the queue counters match a recount
    entries = assert_counters_match_entries()
    assert entries["Q#A#agnes"] == 2 and entries["Q#T#vip"] == 2
    # When the tag is removed again, it leaves the tag list
    _bulk({"ticket_ids": [a["id"], b["id"]], "change": {"tags_remove": ["vip"]}})
    assert "Q#T#vip" not in assert_counters_match_entries()


def test_bulk_update_follows_the_lifecycle_per_ticket() -> None:
    # Given a ticket a customer closed and staff locked, and an open one
    locked, fine = open_ticket(), open_ticket()
    _, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": locked["id"]})
    assert _patch(view, {"locked": True})[0] == 200
    # When a bulk change sets a priority both can take, Then both succeed
    status, out = _bulk(
        {"ticket_ids": [locked["id"], fine["id"]], "change": {"priority": "urgent"}}
    )
    assert out["succeeded"] == 2
    # When the same bulk change is sent again, nothing changes (no new version)
    status, again = _bulk(
        {"ticket_ids": [locked["id"], fine["id"]], "change": {"priority": "urgent"}}
    )
    assert [r["etag"] for r in again["results"]] == [r["etag"] for r in out["results"]]


def test_bulk_update_honours_idempotency_key() -> None:
    ticket = open_ticket()
    body = {"ticket_ids": [ticket["id"]], "change": {"tags_add": ["once"]}}
    # Given a first bulk call with a key; When replayed with the same key
    _, first = _bulk(body, key="bulk-1")
    _bulk({"ticket_ids": [ticket["id"]], "change": {"tags_remove": ["once"]}})
    _, replay = _bulk(body, key="bulk-1")
    # Then the first answer comes back and nothing is applied again
    assert replay == first
    _, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": ticket["id"]})
    assert view["tags"] == []
    # and the key with another body is 422
    status, out = _bulk(
        {"ticket_ids": [ticket["id"]], "change": {"tags_add": ["x"]}},
        key="bulk-1",
    )
    assert (status, out["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")


@pytest.mark.parametrize(
    "body",
    [
        {"ticket_ids": [], "change": {"priority": "low"}},
        {"ticket_ids": [f"t{i}" for i in range(101)], "change": {"priority": "low"}},
        {"ticket_ids": ["t1", "t1"], "change": {"priority": "low"}},
        {"ticket_ids": ["t1"], "change": {}},
        {"ticket_ids": ["t1"], "change": {"status": None}},
        {"ticket_ids": ["t1"], "change": {"status": "gone"}},
        {"ticket_ids": ["t1"], "change": {"subject": "x"}},
        {"ticket_ids": ["t1"]},
    ],
)
def test_bad_bulk_requests_are_422(body: dict[str, Any]) -> None:
    status, out = _bulk(body)
    assert (status, out["code"]) == (422, "VALIDATION_FAILED")


def test_bulk_refuses_customers_unknown_assignees_and_departments() -> None:
    ticket = open_ticket()
    ids = [ticket["id"]]
    status, out = _bulk({"ticket_ids": ids, "change": {"priority": "low"}}, {"user": "carl"})
    assert (status, out["code"]) == (403, "FORBIDDEN")
    status, out = _bulk({"ticket_ids": ids, "change": {"assignee_id": "ghost"}})
    assert (status, out["code"]) == (422, "ASSIGNEE_UNKNOWN")
    status, out = _bulk({"ticket_ids": ids, "change": {"department_id": "nope"}})
    assert (status, out["code"]) == (422, "INVALID_DEPARTMENT")


def _merge(
    source: str, target: str, who: dict[str, str] = AGENT, force: bool | None = None
) -> tuple[int, Any]:
    body: dict[str, Any] = {"target_id": target}
    if force is not None:
        body["force"] = force
    status, out, _ = call("admin_merge_ticket", **who, path={"ticket_id": source}, body=body)
    return status, out


def test_merge_moves_the_thread_in_time_order_and_points_the_requester_to_the_target() -> None:
    # Given carl's older ticket (the target) and a newer duplicate with a reply and a note
    target = open_ticket()
    source = open_ticket()
    spath = {"ticket_id": source["id"]}
    call("reply_ticket", user="carl", path=spath, body={"message": "still broken"})
    call("admin_reply_ticket", **AGENT, path=spath, body={"message": "dup?", "internal": True})
    call("reply_ticket", user="carl", path={"ticket_id": target["id"]}, body={"message": "later"})
    before = assert_counters_match_entries()
    # When an agent merges the duplicate into the target
    status, out = _merge(source["id"], target["id"])
    # Then the source is closed and points at the target, and 3 messages moved
    assert status == 200, out
    assert out["messages_moved"] == 3
    assert out["source"]["status"] == "closed" and out["source"]["merged_into"] == target["id"]
    # and the target's thread holds them in time order, marked with the source's number
    _, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": target["id"]})
    bodies = [(m["body"], m["merged_from"]) for m in view["messages"]]
    n = source["number"]
    assert bodies == [
        ("Help", None),
        ("Help", n),
        ("still broken", n),
        ("dup?", n),
        ("later", None),
    ]
    assert view["message_count"] == 4 and view["note_count"] == 1
    # and the customer sees the public ones only
    _, mine, _ = call("get_ticket", user="carl", path={"ticket_id": target["id"]})
    assert [m["body"] for m in mine["messages"]] == ["Help", "Help", "still broken", "later"]
    # and the requester can still open the source, which points to the target he owns
    _, old, _ = call("get_ticket", user="carl", path=spath)
    assert old["merged_into"] == target["id"] and old["merged_into_number"] == target["number"]
    # and both tickets have an event
    _, sev, _ = call("admin_list_events", **AGENT, path=spath)
    _, tev, _ = call("admin_list_events", **AGENT, path={"ticket_id": target["id"]})
    assert "merged_into" in [e["type"] for e in sev["items"]]
    assert tev["items"][-1]["type"] == "merged_from"
    assert tev["items"][-1]["data"]["source_number"] == n
    # and the counters match a recount (the source left the open lists)
    after = assert_counters_match_entries()
    assert after["Q#S#closed"] == before.get("Q#S#closed", 0) + 1
    # When the same merge is sent again, Then it is the same answer and nothing doubles
    status, again = _merge(source["id"], target["id"])
    assert status == 200 and again["messages_moved"] == 0
    _, view2, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": target["id"]})
    assert len(view2["messages"]) == 5 and assert_counters_match_entries() == after


def test_merge_refusals() -> None:
    # Given tickets of carl, a deleted one, a merged one, and dora's (no shared organization)
    a, b, gone, dora = open_ticket(), open_ticket(), open_ticket(), open_ticket("dora")
    merged = open_ticket()
    delete(gone["id"])
    assert _merge(merged["id"], a["id"])[0] == 200
    # Then into itself, into a deleted ticket and into a merged ticket are 409
    for src, dst in ((a["id"], a["id"]), (b["id"], gone["id"]), (b["id"], merged["id"])):
        status, out = _merge(src, dst)
        assert (status, out["code"]) == (409, "MERGE_NOT_ALLOWED"), (src, dst)
    # and a merged ticket into another target is 409
    status, out = _merge(merged["id"], b["id"])
    assert (status, out["code"]) == (409, "MERGE_NOT_ALLOWED")
    # and across requesters without force is 409; force is for admins only (403)
    status, out = _merge(b["id"], dora["id"])
    assert (status, out["code"]) == (409, "MERGE_NOT_ALLOWED")
    status, out = _merge(b["id"], dora["id"], force=True)
    assert (status, out["code"]) == (403, "FORBIDDEN")
    # and unknown source / target are 404; customers are 403
    status, out = _merge("tkt_01jexample0000000000009999", a["id"])
    assert (status, out["code"]) == (404, "TICKET_NOT_FOUND")
    status, out = _merge(b["id"], "tkt_01jexample0000000000009999")
    assert (status, out["code"]) == (404, "MERGE_TARGET_NOT_FOUND")
    status, out = _merge(b["id"], a["id"], {"user": "carl"})
    assert (status, out["code"]) == (403, "FORBIDDEN")
    status, out = _merge(b["id"], "")
    assert (status, out["code"]) == (422, "VALIDATION_FAILED")


def test_forced_merge_across_requesters_hides_the_pointer_from_the_source_requester() -> None:
    # Given carl's ticket and dora's
    carl, dora = open_ticket(), open_ticket("dora")
    # When an admin forces the merge of carl's into dora's
    status, out = _merge(carl["id"], dora["id"], ADMIN, force=True)
    assert status == 200
    # Then carl still opens his ticket but is not pointed at dora's, which he cannot see
    _, mine, _ = call("get_ticket", user="carl", path={"ticket_id": carl["id"]})
    assert mine["status"] == "closed" and mine["merged_into"] is None
    # and organization peers merge without force
    a, b = open_ticket("ed", org="org9"), open_ticket("fay", org="org9")
    assert _merge(a["id"], b["id"])[0] == 200
    assert_counters_match_entries()


def test_erasure_reaches_his_thread_merged_into_someone_elses_ticket() -> None:
    import json

    # Given zoe's ticket force-merged into dora's
    zoe, dora = open_ticket("zoe"), open_ticket("dora")
    call("reply_ticket", user="zoe", path={"ticket_id": zoe["id"]}, body={"message": "Maple 9"})
    assert _merge(zoe["id"], dora["id"], ADMIN, force=True)[0] == 200
    # When zoe is erased
    status, report = _erase("zoe", "zoe")
    assert status == 200 and report["messages_redacted"] == 4
    # Then her text is gone from dora's thread too, and dora's own message stays
    assert not [i for i in scan_all() if "Maple 9" in json.dumps(i)]
    _, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": dora["id"]})
    assert [m["body"] for m in view["messages"]] == ["[erased]", "Help", "[erased]"]

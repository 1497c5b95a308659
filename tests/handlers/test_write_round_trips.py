"""Structural: a write is one transaction (plus the ticket number on create, the
consistent read on a reply). Apart from test_structural's 5,000-ticket backend because
moto copies the whole table in every transaction."""

from __future__ import annotations

from tests.conftest import CallLog, call

# what a change the SLA clocks or policies read costs (issue 23): the policies item and the
# business-hours item, one GetItem each (helpdesk.slaclock)
SLA_CONFIG = ["GetItem", "GetItem"]


def test_writes_are_one_transaction(aws_calls: CallLog) -> None:
    call("create_ticket", body={"subject": "s", "message": "m"})
    # the caller's write-rate counter, the ticket number, the SLA configuration (policies,
    # business hours: issue 23), then the write
    assert aws_calls.operations() == [
        "UpdateItem",
        "UpdateItem",
        *SLA_CONFIG,
        "TransactWriteItems",
    ]
    _, listing, _ = call("list_tickets", query={"limit": "1"})
    aws_calls.clear()
    call("reply_ticket", path={"ticket_id": listing["items"][0]["id"]}, body={"message": "more"})
    # the write-rate counter, the ticket (consistent read), the SLA configuration, the write
    assert aws_calls.operations() == ["UpdateItem", "GetItem", *SLA_CONFIG, "TransactWriteItems"]


AGENT = {"user": "agnes", "roles": "agent"}


def test_staff_writes_are_the_read_and_one_transaction(aws_calls: CallLog, catalog: None) -> None:
    _, ticket, _ = call("create_ticket", body={"subject": "s", "message": "m"})
    aws_calls.clear()
    status, _, headers = call(
        "admin_update_ticket",
        **AGENT,
        path={"ticket_id": ticket["id"]},
        headers={"If-Match": ticket["etag"]},
        body={"priority": "high", "assignee_id": "me"},
    )
    assert status == 200
    # the ticket (the transaction is conditioned on its version), then the write; the
    # caller's staff directory entry is inside that transaction; a priority change reads the
    # SLA configuration (the policy may change)
    assert aws_calls.operations() == ["GetItem", *SLA_CONFIG, "TransactWriteItems"]
    (_, _, params) = [c for c in aws_calls.calls if c[1] == "TransactWriteItems"][0]
    # (an Update: it never touches `active`, which only an admin changes)
    keys = [
        i.get("Update", {}).get("Key", {}).get("SK", {}).get("S") for i in params["TransactItems"]
    ]
    assert "U#agnes" in keys
    aws_calls.clear()
    status, _, _ = call(
        "admin_update_ticket",
        **AGENT,
        path={"ticket_id": ticket["id"]},
        headers={"If-Match": headers["etag"]},
        body={"department_id": "dep_support"},
    )
    assert status == 200
    # a reference change reads the catalog first (one Query)
    assert aws_calls.operations() == ["Query", "GetItem", *SLA_CONFIG, "TransactWriteItems"]
    aws_calls.clear()
    status, _, _ = call(
        "admin_reply_ticket", **AGENT, path={"ticket_id": ticket["id"]}, body={"message": "hi"}
    )
    assert status == 201
    # the write-rate counter, the ticket, the SLA configuration, then the write (with the
    # staff directory entry)
    assert aws_calls.operations() == ["UpdateItem", "GetItem", *SLA_CONFIG, "TransactWriteItems"]


def test_the_public_form_is_its_limits_the_number_and_one_transaction(
    aws_calls: CallLog, catalog: None
) -> None:
    aws_calls.clear()  # the catalog's seeding
    status, created, _ = call(
        "public_create_ticket",
        body={
            "first_name": "Gail",
            "last_name": "Guest",
            "email": "gail@example.com",
            "subject": "Invoice",
            "message": "Where is it?",
        },
    )
    assert status == 201, created
    # per-IP and per-address limits, the ticket number, then the ticket and its private
    # link in one transaction (never a ticket without a link)
    assert aws_calls.operations() == [
        "UpdateItem",
        "UpdateItem",
        "UpdateItem",
        *SLA_CONFIG,
        "TransactWriteItems",
    ]
    (_, _, params) = [c for c in aws_calls.calls if c[1] == "TransactWriteItems"][0]
    keys = [
        i.get("Put", {}).get("Item", {}).get("PK", {}).get("S") for i in params["TransactItems"]
    ]
    assert f"GUESTLINK#{created['id']}" in keys


def test_following_a_guest_link_reads_the_link_and_the_thread(
    aws_calls: CallLog, catalog: None
) -> None:
    from tests.handlers.test_public import created

    form = created()
    aws_calls.clear()
    status, view, _ = call(
        "public_get_ticket",
        path={"ticket_id": form["id"]},
        headers={"X-Ticket-Token": form["token"]},
    )
    assert status == 200, view
    # the link (it names the guest), then the ticket's thread: no read of the ticket alone
    assert aws_calls.operations() == ["GetItem", "Query"]
    aws_calls.clear()
    status, reply, _ = call(
        "public_reply_ticket",
        path={"ticket_id": form["id"]},
        headers={"X-Ticket-Token": form["token"]},
        body={"message": "Any news?"},
    )
    assert status == 201, reply
    assert reply["message"]["author_name"] == "Gail Guest"
    # the link, the guest's write-rate counter, the ticket, the SLA configuration, the write
    assert aws_calls.operations() == [
        "GetItem",
        "UpdateItem",
        "GetItem",
        *SLA_CONFIG,
        "TransactWriteItems",
    ]

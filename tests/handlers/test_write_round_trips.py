"""Structural: a write is one transaction (plus the ticket number on create, the
consistent read on a reply). Apart from test_structural's 5,000-ticket backend because
moto copies the whole table in every transaction."""

from __future__ import annotations

from tests.conftest import CallLog, call


def test_writes_are_one_transaction(aws_calls: CallLog) -> None:
    call("create_ticket", body={"subject": "s", "message": "m"})
    # the caller's write-rate counter, the ticket number, then the write
    assert aws_calls.operations() == ["UpdateItem", "UpdateItem", "TransactWriteItems"]
    _, listing, _ = call("list_tickets", query={"limit": "1"})
    aws_calls.clear()
    call("reply_ticket", path={"ticket_id": listing["items"][0]["id"]}, body={"message": "more"})
    # the write-rate counter, the ticket (consistent read), then the write
    assert aws_calls.operations() == ["UpdateItem", "GetItem", "TransactWriteItems"]

"""Bounces and complaints on moto: SES's events suppress an address exactly once, the
notifier then sends it nothing, staff see it on the ticket and in GET /admin/suppressions,
and an admin lifts it (here and in SES's own list)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import pytest

from local.mail_events import eventbridge, ses_event
from tests.conftest import REGION, CallLog, call, invoke_mapped
from tests.handlers.test_housekeeping import ADMIN, AGENT
from tests.handlers.test_notifications import open_ticket, outbox, staff_reply, to
from tests.handlers.test_telemetry import metrics_on  # noqa: F401 - a fixture

pytestmark = pytest.mark.usefixtures("aws")


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "h",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:mail-events",
                "awsRegion": REGION,
            }
            for body in bodies
        ]
    }


def events(*docs: dict[str, Any]) -> Any:
    return invoke_mapped("ProcessMailEventsFunction", sqs_event(*(json.dumps(d) for d in docs)))


def listed(**query: str) -> dict[str, Any]:
    status, got, _ = call("admin_list_suppressions", **AGENT, query=query or None)
    assert status == 200, got
    return dict(got)


def addresses() -> list[str]:
    return [s["email"] for s in listed(limit="100")["items"]]


def suppressed_counts(out: str) -> list[str]:
    """The reasons of the AddressSuppressed metrics printed (EMF)."""
    from tests.handlers.test_telemetry import emf

    return [d["dimensions"]["reason"] for d in emf(out) if "AddressSuppressed" in d["metrics"]]


@pytest.mark.usefixtures("metrics_on")
def test_a_hard_bounce_suppresses_the_address_once_however_often_it_comes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given SES's permanent bounce of a mail to dora
    bounce = ses_event("bounce", "Dora@Example.com")
    capsys.readouterr()
    # When it is delivered three times (SNS and SQS deliver at least once)
    for _ in range(3):
        assert events(bounce) == {"batchItemFailures": []}
    # Then dora is suppressed once, with the receiving server's words
    (entry,) = listed()["items"]
    assert entry["email"] == "dora@example.com" and entry["reason"] == "bounce"
    assert "550 5.1.1" in entry["detail"] and entry["source"] == bounce["mail"]["messageId"]
    assert entry["since"].endswith("Z")
    # and counted once (AddressSuppressed, by reason)
    assert suppressed_counts(capsys.readouterr().out) == ["bounce"]


def test_a_complaint_suppresses_and_a_transient_bounce_does_not() -> None:
    soft = ses_event("bounce", "full@example.com", bounce_type="Transient")
    complaint = ses_event("complaint", "angry@example.com")
    assert events(soft, complaint) == {"batchItemFailures": []}
    assert addresses() == ["angry@example.com"]
    assert listed()["items"][0]["reason"] == "complaint"
    assert listed()["items"][0]["detail"] == "abuse"


def test_an_event_in_eventbridge_envelope_is_read_and_other_types_are_ignored() -> None:
    wrapped = eventbridge(ses_event("bounce", "wrapped@example.com"))
    delivery = {"eventType": "Delivery", "mail": {"messageId": "m"}, "delivery": {}}
    assert events(wrapped, delivery) == {"batchItemFailures": []}
    assert addresses() == ["wrapped@example.com"]


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({"mail": {}}),  # no eventType
        json.dumps({"eventType": "Bounce", "mail": {}}),  # no bounce
        json.dumps(
            {
                "eventType": "Bounce",
                "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{}]},
            }
        ),
        json.dumps({"eventType": "Complaint", "complaint": {"complainedRecipients": "x"}}),
    ],
)
def test_an_unreadable_event_fails_its_message_alone_for_the_dead_letter_queue(body: str) -> None:
    # Given a batch of a good event and an unreadable one
    good = json.dumps(ses_event("complaint", "ok@example.com"))
    event = sqs_event(good, body)
    # When the function gets it / Then only the unreadable message fails (retried, then
    # kept in the dead-letter queue: never dropped), and the good one is done
    result = invoke_mapped("ProcessMailEventsFunction", event)
    assert result == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["messageId"]}]}
    assert addresses() == ["ok@example.com"]


def test_a_suppressed_requester_gets_no_mail_and_staff_see_why() -> None:
    # Given carl's ticket with a cc, and carl's mailbox gone (a hard bounce)
    t = open_ticket(cc=["boss@example.com"])
    events(ses_event("bounce", "carl@example.com"))
    before = len(outbox())
    # When an agent answers
    staff_reply(t["id"], "Fixed?")
    # Then only the cc gets the reply
    new = outbox()[before:]
    assert to(new, "carl@example.com") == [] and len(to(new, "boss@example.com")) == 1
    # and the staff view says carl is undeliverable, and why
    status, got, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": t["id"]})
    assert status == 200
    (marked,) = got["undeliverable"]
    assert marked["email"] == "carl@example.com" and marked["reason"] == "bounce"


def test_the_staff_view_reads_the_suppressions_in_one_batch_call(aws_calls: CallLog) -> None:
    t = open_ticket(cc=["a@example.com", "b@example.com"])
    aws_calls.clear()
    status, got, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": t["id"]})
    assert status == 200 and got["undeliverable"] == []
    # the thread (one Query), then the three addresses' suppressions (one BatchGetItem)
    assert aws_calls.operations() == ["Query", "BatchGetItem"]


def test_an_admin_lifts_a_suppression_here_and_in_ses() -> None:
    # Given dora suppressed by us and by SES's account-level list (as SES does itself)
    events(ses_event("bounce", "dora+help@example.com"))
    ses = boto3.client("sesv2", region_name=REGION)
    ses.put_suppressed_destination(EmailAddress="dora+help@example.com", Reason="BOUNCE")
    # When an agent tries to lift it: admins only
    path = {"email": "dora+help@example.com"}
    status, got, _ = call("admin_delete_suppression", **AGENT, path=path)
    assert status == 403 and got["code"] == "FORBIDDEN"
    # When an admin does (the path's @ percent-encoded, the case changed)
    status, _, _ = call(
        "admin_delete_suppression", **ADMIN, path={"email": "Dora+Help%40example.com"}
    )
    # Then it is gone from both lists, and mail goes to her again
    assert status == 204
    assert addresses() == []
    with pytest.raises(ses.exceptions.NotFoundException):
        ses.get_suppressed_destination(EmailAddress="dora+help@example.com")
    open_ticket("dora")  # dora's account address is dora@example.com: unaffected either way
    # and a second time there is nothing to lift
    status, got, _ = call("admin_delete_suppression", **ADMIN, path=path)
    assert status == 404 and got["code"] == "SUPPRESSION_NOT_FOUND"


def test_an_address_only_ses_suppressed_can_be_lifted_too() -> None:
    ses = boto3.client("sesv2", region_name=REGION)
    ses.put_suppressed_destination(EmailAddress="old@example.com", Reason="COMPLAINT")
    status, _, _ = call("admin_delete_suppression", **ADMIN, path={"email": "old@example.com"})
    assert status == 204


def test_the_list_pages_in_address_order_and_customers_cannot_see_it() -> None:
    from helpdesk.store import mail as store_mail

    for name in ("cara", "abel", "bert", "dina", "eric"):
        store_mail.suppress(f"{name}@example.com", "bounce", "2026-01-01T00:00:00Z")
    first = listed(limit="2")
    assert [s["email"] for s in first["items"]] == ["abel@example.com", "bert@example.com"]
    seen = [s["email"] for s in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = listed(limit="2", cursor=cursor)
        seen += [s["email"] for s in page["items"]]
        cursor = page["next_cursor"]
    assert seen == sorted(seen) and len(seen) == 5
    status, got, _ = call("admin_list_suppressions", user="carl", roles="customer")
    assert status == 403
    status, got, _ = call("admin_list_suppressions", **AGENT, query={"cursor": "forged"})
    assert status == 400 and got["code"] == "INVALID_CURSOR"

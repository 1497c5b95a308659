"""Mail in on moto: a stored message becomes the right ticket message exactly once, or is
dropped with a reason in the admins' log (helpdesk.inbound, functions/receive_mail)."""

from __future__ import annotations

import json
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import REGION, call, invoke_mapped, settle
from tests.handlers.test_housekeeping import AGENT
from tests.handlers.test_notifications import open_ticket, outbox, staff_reply, text, to

pytestmark = pytest.mark.usefixtures("aws")

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
SUPPORT = "support@example.com"  # the template's default SenderAddress / SupportDomain


def store(raw: bytes) -> str:
    """Put a raw message where SES would (the inbound bucket, inbound/<id>): its key."""
    import os

    key = f"inbound/{uuid.uuid4().hex}"
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=os.environ["INBOUND_BUCKET"], Key=key, Body=raw
    )
    return key


def notice(*keys: str) -> dict[str, Any]:
    """The SQS message S3 sends for stored objects (the function's event)."""
    import os

    records = [
        {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": os.environ["INBOUND_BUCKET"]}, "object": {"key": k}},
        }
        for k in keys
    ]
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "h",
                "body": json.dumps({"Records": records}),
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:inbound",
                "awsRegion": REGION,
            }
        ]
    }


def deliver(msg: EmailMessage | bytes, *, times: int = 1) -> str:
    """Store a message and run the function on S3's notice (`times` times): its key."""
    raw = msg if isinstance(msg, bytes) else msg.as_bytes()
    key = store(raw)
    for _ in range(times):
        assert invoke_mapped("ReceiveMailFunction", notice(key)) == {"batchItemFailures": []}
    settle()  # the notifier and the list index, as after a request
    return key


def mail(
    sender: str,
    to_: str,
    subject: str,
    body: str,
    *,
    name: str = "",
    cc: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    m = EmailMessage()
    m["From"] = f"{name} <{sender}>" if name else sender
    m["To"] = to_
    if cc:
        m["Cc"] = cc
    m["Subject"] = subject
    m["Message-ID"] = make_msgid(domain="mail.example.org")
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body)
    return m


def thread(ticket_id: str) -> list[dict[str, Any]]:
    status, got, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": ticket_id})
    assert status == 200, got
    return list(got["messages"])


def log(status: str | None = None) -> list[dict[str, Any]]:
    query = {"status": status} if status else None
    code, got, _ = call("admin_list_inbound", **AGENT, query=query)
    assert code == 200, got
    return list(got["items"])


def queue_ids() -> set[str]:
    code, got, _ = call("admin_list_tickets", **AGENT, query={"limit": "100"})
    assert code == 200, got
    return {t["id"] for t in got["items"]}


# ---------------------------------------------------------------- new tickets


def test_a_new_mail_opens_a_guest_ticket_acknowledged_in_the_thread() -> None:
    # When someone unknown writes to support@
    before = queue_ids()
    deliver(
        mail(
            "dana@example.org",
            SUPPORT,
            "Broken chair",
            "The chair in room 4 is broken.",
            name="Dana Doe",
        )
    )
    # Then one new ticket, the guest its requester, the text its first message
    (new,) = queue_ids() - before
    (first,) = thread(new)
    assert first["body"] == "The chair in room 4 is broken." and first["side"] == "customer"
    _, ticket, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": new})
    assert ticket["requester"]["email"] == "dana@example.org" and ticket["requester"]["guest"]
    assert ticket["subject"] == "Broken chair"
    # and she got the acknowledgement; the log says how it went
    (ack,) = to(outbox(), "dana@example.org")
    assert ack["Subject"].startswith(f"[#{ticket['number']}]")
    (entry,) = log("accepted")
    assert (
        entry["route"] == "new"
        and entry["ticket_id"] == new
        and entry["sender"] == "dana@example.org"
    )


def test_a_known_customer_writing_in_gets_the_ticket_as_himself() -> None:
    open_ticket("carl")  # carl has an account (his profile and e-mail lookup exist)
    before = queue_ids()
    deliver(mail("carl@example.com", SUPPORT, "Second thing", "Also the mouse."))
    (new,) = queue_ids() - before
    _, ticket, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": new})
    assert ticket["requester"]["user_id"] == "carl" and not ticket["requester"]["guest"]
    # and he sees it in his own list
    status, mine, _ = call("list_tickets", user="carl")
    assert status == 200 and new in {t["id"] for t in mine["items"]}


# ---------------------------------------------------------------- replies


def _reply_to_ack(ticket: dict[str, Any], who: str = "carl@example.com") -> EmailMessage:
    (ack,) = [m for m in to(outbox(), who) if f"[#{ticket['number']}]" in str(m["Subject"])][:1]
    quoted = "\n".join(f"> {line}" for line in text(ack).splitlines())
    reply = mail(
        who,
        str(ack["Reply-To"]),
        f"Re: {ack['Subject']}",
        f"It is the left one.\n\nOn Mon, 1 Dec 2026 at 10:00, Support <{SUPPORT}> wrote:\n{quoted}\n",
    )
    from helpdesk.store import mail as store_mail

    # the Message-ID SES gave the acknowledgement (moto's raw copy has none of its own)
    ack_id = store_mail.thread(ticket["id"], who)[0]
    reply["In-Reply-To"] = ack_id
    reply["References"] = ack_id
    return reply


def test_a_reply_by_token_adds_only_the_new_words_once_however_often_it_comes() -> None:
    t = open_ticket("carl")
    reply = _reply_to_ack(t)
    # When the reply is delivered, and its object's notice comes twice, and the same mail
    # is stored a second time (SES redelivered it)
    deliver(reply, times=2)
    deliver(reply)
    # Then one message holding only the new words
    msgs = thread(t["id"])
    assert [m["body"] for m in msgs] == ["Help", "It is the left one."]
    assert msgs[1]["author_id"] == "carl" and msgs[1]["side"] == "customer"
    assert len([e for e in log() if e["mail_message_id"] == reply["Message-ID"].strip("<>")]) == 1


def test_a_changed_subject_still_routes_by_its_references() -> None:
    t = open_ticket("carl")
    reply = _reply_to_ack(t)
    del reply["To"], reply["Subject"]
    reply["To"] = SUPPORT  # no token
    reply["Subject"] = "printer again"  # no [#n]
    deliver(reply)
    assert [m["body"] for m in thread(t["id"])][-1] == "It is the left one."
    assert log("accepted")[0]["route"] == "headers"


def test_a_cc_colleague_is_added_as_herself_and_a_stranger_starts_a_new_ticket() -> None:
    t = open_ticket("carl", cc=["boss@example.com"])
    # the colleague on cc answers her own copy: the same ticket, as herself
    deliver(_reply_to_ack(t, "boss@example.com"))
    last = thread(t["id"])[-1]
    assert last["body"] == "It is the left one." and last["author_name"] != "Carl"
    assert last["author_id"].startswith("guest_")
    # someone else with carl's Reply-To (a forward) does not join: a new ticket names it
    stranger = _reply_to_ack(t)
    stranger.replace_header("From", "mallory@example.net")
    before = queue_ids()
    deliver(stranger)
    assert len(thread(t["id"])) == 2
    (new,) = queue_ids() - before
    assert log("accepted")[0]["related_ticket_number"] == t["number"]
    assert log("accepted")[0]["ticket_id"] == new


def test_the_subject_tag_routes_only_the_requesters_mail() -> None:
    t = open_ticket("carl")
    deliver(mail("carl@example.com", SUPPORT, f"Re: [#{t['number']}] x", "Any news?"))
    assert thread(t["id"])[-1]["body"] == "Any news?"
    before = queue_ids()
    deliver(mail("eve@example.net", SUPPORT, f"Re: [#{t['number']}] x", "Let me in"))
    assert len(queue_ids() - before) == 1 and thread(t["id"])[-1]["body"] == "Any news?"


def test_staff_mail_is_a_staff_reply_or_with_note_first_an_internal_note() -> None:
    t = open_ticket("carl")
    staff_reply(t["id"], "Looking")  # the agent is in the staff directory from here on
    agent_mail = str(AGENT["user"]) + "@example.com"
    reply = _reply_to_ack(t, "carl@example.com")
    reply.replace_header("From", agent_mail)
    del reply["To"]
    reply["To"] = SUPPORT
    deliver(reply)
    last = thread(t["id"])[-1]
    assert last["side"] == "staff" and not last["internal"]
    note = mail(agent_mail, SUPPORT, "x", "#note\nCalled him, he is fine.")
    note["In-Reply-To"] = reply["Message-ID"]
    deliver(note)
    last = thread(t["id"])[-1]
    assert last["internal"] and last["body"] == "Called him, he is fine."


def test_a_reply_to_a_closed_ticket_opens_a_follow_up() -> None:
    t = open_ticket("carl")
    assert call("close_ticket", user="carl", path={"ticket_id": t["id"]})[0] == 200
    before = queue_ids()
    deliver(mail("carl@example.com", SUPPORT, f"Re: [#{t['number']}] x", "Back again"))
    (new,) = queue_ids() - before
    assert log("accepted")[0]["related_ticket_number"] == t["number"]
    assert thread(new)[0]["body"] == "Back again"


# ---------------------------------------------------------------- attachments


def test_files_go_through_the_attachments_pipeline_and_refused_ones_are_listed() -> None:
    m = mail("dana@example.org", SUPPORT, "Invoice", "See attached.")
    m.add_attachment(
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        maintype="application",
        subtype="pdf",
        filename="invoice.pdf",
    )
    m.add_attachment(
        b"MZ\x90\x00binary", maintype="application", subtype="x-msdownload", filename="run.exe"
    )
    before = queue_ids()
    deliver(m)
    (new,) = queue_ids() - before
    (first,) = thread(new)
    assert [a["file_name"] for a in first["attachments"]] == ["invoice.pdf"]
    assert "run.exe" in first["body"] and "ATTACHMENT_TYPE_NOT_ALLOWED" in first["body"]
    (entry,) = log("accepted")
    assert entry["refused"] == [{"file_name": "run.exe", "reason": "ATTACHMENT_TYPE_NOT_ALLOWED"}]


# ---------------------------------------------------------------- dropped, never silently


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto_submitted"),
        ({"X-Autoreply": "yes"}, "auto_reply"),
        ({"Precedence": "bulk"}, "bulk"),
        ({"X-SES-Spam-Verdict": "FAIL"}, "spam"),
        ({"X-SES-Virus-Verdict": "FAIL"}, "virus"),
        (
            {
                "Authentication-Results": "amazonses.com; spf=fail; dkim=fail; dmarc=fail header.from=example.com"
            },
            "dmarc_failed",
        ),
    ],
)
def test_automatic_and_suspect_mail_is_dropped_with_its_reason(
    headers: dict[str, str], reason: str
) -> None:
    before = queue_ids()
    deliver(mail("dana@example.org", SUPPORT, "Out of office", "Back Monday", headers=headers))
    assert queue_ids() == before
    (entry,) = log("dropped")
    assert entry["reason"] == reason and entry["sender"] == "dana@example.org"


def test_our_own_mail_coming_back_is_a_loop() -> None:
    deliver(mail(SUPPORT, SUPPORT, "x", "y"))
    assert log("dropped")[0]["reason"] == "loop"


def test_unreadable_and_oversized_mail_is_dropped_not_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deliver(b"\x00\x01 not a mail at all")
    assert log("dropped")[0]["reason"] == "unreadable"
    from helpdesk import settings

    monkeypatch.setenv("INBOUND_MAX_MESSAGE_BYTES", "100")
    settings.inbound_settings.cache_clear()
    deliver(mail("dana@example.org", SUPPORT, "Big", "x" * 500))
    assert log("dropped")[0]["reason"] == "too_large"
    settings.inbound_settings.cache_clear()


def test_new_tickets_per_sender_are_rate_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import settings

    monkeypatch.setenv("INBOUND_NEW_TICKETS_PER_SENDER_PER_HOUR", "2")
    settings.inbound_settings.cache_clear()
    before = queue_ids()
    for n in range(3):
        deliver(mail("spammy@example.net", SUPPORT, f"Buy {n}", "Now"))
    assert len(queue_ids() - before) == 2
    assert log("dropped")[0]["reason"] == "rate_limited"
    settings.inbound_settings.cache_clear()


def test_a_malformed_notice_is_ignored_and_a_missing_object_is_retried() -> None:
    bad = notice("inbound/x")
    bad["Records"][0]["body"] = "not json"
    assert invoke_mapped("ReceiveMailFunction", bad) == {"batchItemFailures": []}
    # a notice of an object that is not there fails (SQS retries it, then dead letters)
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):
        invoke_mapped("ReceiveMailFunction", notice("inbound/does-not-exist"))


# ---------------------------------------------------------------- the log and the original


def test_staff_open_the_original_and_customers_cannot() -> None:
    key = deliver(mail("dana@example.org", SUPPORT, "Hi", "Hello"))
    (entry,) = log()
    status, got, _ = call("admin_get_inbound", **AGENT, path={"inbound_id": entry["id"]})
    assert status == 200 and key.split("/", 1)[1] in got["raw_url"]
    assert call("admin_get_inbound", user="carl", path={"inbound_id": entry["id"]})[0] == 403
    assert call("admin_list_inbound", user="carl")[0] == 403
    missing = "inb_" + "0" * 40
    status, got, _ = call("admin_get_inbound", **AGENT, path={"inbound_id": missing})
    assert (status, got["code"]) == (404, "INBOUND_NOT_FOUND")


def test_every_corpus_message_gives_its_expected_outcome(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import settings

    monkeypatch.setenv("SUPPORT_DOMAIN", "help.example.com")  # the corpus's support domain
    monkeypatch.setenv("SENDER_ADDRESS", "support@help.example.com")
    settings.inbound_settings.cache_clear()
    expected = json.loads((CORPUS / "expected.json").read_text())
    for name, want in expected.items():
        deliver((CORPUS / name).read_bytes())
        entry = log()[0]
        if want["drop"]:
            assert (entry["status"], entry["reason"]) == ("dropped", want["drop"]), name
        else:
            assert entry["status"] == "accepted", (name, entry)


def test_a_purged_ticket_takes_its_mail_records_and_lookups_with_it() -> None:
    from local.backend import expire_item
    from tests.conftest import TABLE
    from tests.handlers.test_housekeeping import delete, scan_all
    from tests.handlers.test_streams import ticket_key

    # Given a ticket that came by mail, was acknowledged and answered by mail
    before = queue_ids()
    deliver(mail("dana@example.org", SUPPORT, "Chair", "Broken"))
    (tid,) = queue_ids() - before
    _, ticket, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": tid})
    deliver(mail("dana@example.org", SUPPORT, f"Re: [#{ticket['number']}] Chair", "Still"))
    assert len(thread(tid)) == 2
    # When it is deleted and DynamoDB TTL removes it
    assert delete(tid)[0] == 200
    expire_item(TABLE, ticket_key(tid))
    settle()
    # Then nothing names it any more but its change-feed records (ids only, by design):
    # no received mail's record, log entry or Message-ID lookup
    left = [i for i in scan_all() if tid in json.dumps(i) and i["PK"]["S"] != "FEED"]
    assert left == []
    assert not [
        i
        for i in scan_all()
        if i["PK"]["S"].startswith(("MAILIN#", "MAILFROM#", "INBOUND", "MSGID#"))
    ]
    # and no version of the raw messages is left in the inbound bucket
    assert raw_versions() == []


def raw_versions() -> list[str]:
    """Every version (and delete marker) in the inbound bucket, by key."""
    import os

    got = boto3.client("s3", region_name=REGION).list_object_versions(
        Bucket=os.environ["INBOUND_BUCKET"], Prefix="inbound/"
    )
    return sorted(v["Key"] for v in [*got.get("Versions", []), *got.get("DeleteMarkers", [])])


def test_erasing_a_requester_removes_the_mail_he_sent_and_its_raw_messages() -> None:
    from tests.handlers.test_housekeeping import ADMIN, scan_all

    # Given Dana wrote in (a new ticket), wrote again (a reply), and sent an auto-reply
    # that was dropped; and Eve wrote in too
    before = queue_ids()
    first = deliver(mail("dana@example.org", SUPPORT, "Chair", "Broken", name="Dana Doe"))
    (tid,) = queue_ids() - before
    _, ticket, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": tid})
    reply = deliver(mail("dana@example.org", SUPPORT, f"Re: [#{ticket['number']}] Chair", "Still"))
    dropped = deliver(
        mail(
            "dana@example.org",
            SUPPORT,
            "Out of office",
            "Back Monday",
            headers={"Auto-Submitted": "auto-replied"},
        )
    )
    kept = deliver(mail("eve@example.org", SUPPORT, "Desk", "Wobbly"))
    assert raw_versions() == sorted([first, reply, dropped, kept])
    # When an admin erases Dana
    user_id = ticket["requester"]["user_id"]
    status, report, _ = call(
        "admin_erase_requester", **ADMIN, path={"user_id": user_id}, body={"confirm": user_id}
    )
    assert status == 200, report
    # Then every version of her three raw messages is gone, Eve's stays
    assert raw_versions() == [kept]
    assert report["received_mail_deleted"] == 3
    # and the admins' log, the records and the sender entries name only Eve's mail
    assert [e["sender"] for e in log()] == ["eve@example.org"]
    assert "dana@example.org" not in json.dumps(scan_all())
    assert report["received_mail_items_deleted"] > 0
    # and erasing again finds nothing more (safe to run twice)
    status, again, _ = call(
        "admin_erase_requester", **ADMIN, path={"user_id": user_id}, body={"confirm": user_id}
    )
    assert status == 200 and again["received_mail_deleted"] == 0


def test_staff_see_which_mail_a_message_came_from_and_customers_do_not() -> None:
    t = open_ticket("carl")
    deliver(_reply_to_ack(t))
    staff_view = thread(t["id"])
    assert staff_view[0]["mail_id"] is None  # written through the API
    mail_id = staff_view[1]["mail_id"]
    assert mail_id and mail_id == log("accepted")[0]["id"]
    status, got, _ = call("admin_get_inbound", **AGENT, path={"inbound_id": mail_id})
    assert status == 200 and got["message_id"] == staff_view[1]["id"]
    _, mine, _ = call("get_ticket", user="carl", path={"ticket_id": t["id"]})
    assert all("mail_id" not in m for m in mine["messages"])


def test_a_guest_who_writes_in_gets_a_follow_up_link_in_the_acknowledgement() -> None:
    from urllib.parse import parse_qs, urlsplit

    before = queue_ids()
    deliver(mail("dana@example.org", SUPPORT, "Broken chair", "It wobbles.", cc="pat@example.org"))
    (new,) = queue_ids() - before
    (ack,) = to(outbox(), "dana@example.org")
    (line,) = [w for w in text(ack).split() if "/public/tickets/" in w]
    token = parse_qs(urlsplit(line).query)["token"][0]
    status, got, _ = call("public_get_ticket", path={"ticket_id": new}, query={"token": token})
    assert status == 200 and got["messages"][0]["body"] == "It wobbles."
    # the cc address is acknowledged too, without the requester's private link
    (cc_ack,) = to(outbox(), "pat@example.org")
    assert "/public/tickets/" not in text(cc_ack)


@pytest.mark.parametrize("reply", [True, False], ids=["reply", "new ticket"])
def test_a_copy_that_loses_the_race_adds_nothing(
    reply: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpdesk import inbound
    from helpdesk.store import inbound as store_inbound

    # Given a mail already received (as a reply, or as a new ticket)
    if reply:
        t = open_ticket("carl")
        m = _reply_to_ack(t)
    else:
        m = mail("dana@example.org", SUPPORT, "Chair", "Broken")
    key = deliver(m)
    before = queue_ids()
    # When a second copy passes the first check before the first copy's record is written
    # (the check sees nothing once), it reaches the ticket's transaction
    real, seen = store_inbound.get, []

    def late(d: str) -> dict[str, Any] | None:
        seen.append(d)
        return None if len(seen) == 1 else real(d)

    monkeypatch.setattr(store_inbound, "get", late)
    got = inbound.receive(key)
    # Then the transaction's condition on the record refuses it: nothing is added
    assert got.status == "duplicate"
    assert queue_ids() == before
    if reply:
        assert [m["body"] for m in thread(t["id"])] == ["Help", "It is the left one."]


def test_mail_received_before_pointers_named_its_raw_message_is_still_erased() -> None:
    from tests.conftest import TABLE
    from tests.handlers.test_housekeeping import ADMIN, scan_all

    # Given mail received as an older version stored it: the ticket's pointer without the
    # raw message's key, and no entry under the sender's address
    before = queue_ids()
    first = deliver(mail("dana@example.org", SUPPORT, "Chair", "Broken"))
    (tid,) = queue_ids() - before
    db = boto3.client("dynamodb", region_name=REGION)
    for item in scan_all():
        if item["PK"]["S"].startswith("MAILFROM#"):
            db.delete_item(TableName=TABLE, Key={"PK": item["PK"], "SK": item["SK"]})
        elif item["PK"]["S"] == f"TICKET#{tid}" and item["SK"]["S"].startswith("MI#"):
            db.update_item(
                TableName=TABLE,
                Key={"PK": item["PK"], "SK": item["SK"]},
                UpdateExpression="REMOVE raw_key",
            )
    _, ticket, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": tid})
    user_id = ticket["requester"]["user_id"]
    # When she is erased
    status, report, _ = call(
        "admin_erase_requester", **ADMIN, path={"user_id": user_id}, body={"confirm": user_id}
    )
    # Then the pointer led to the record, and the record to the raw message
    assert status == 200 and report["received_mail_deleted"] == 1, report
    assert first not in raw_versions()

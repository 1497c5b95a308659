"""E-mail notifications on moto: who gets what, the never-rules, exactly once on a replayed
stream batch, threading headers, preferences and the one-click unsubscribe."""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest

from tests.conftest import REGION, CallLog, call, invoke, load_event, make_event, settle
from tests.handlers.test_housekeeping import ADMIN, AGENT, _merge, delete

pytestmark = pytest.mark.usefixtures("aws")

ACCOUNT = "123456789012"


def outbox() -> list[EmailMessage]:
    """What moto's SES accepted, parsed (oldest first)."""
    from moto.ses.models import ses_backends

    out = []
    for sent in ses_backends[ACCOUNT][REGION].sent_messages:
        msg = email.message_from_string(sent.raw_data, policy=default)
        assert isinstance(msg, EmailMessage)
        out.append(msg)
    return out


def to(msgs: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in msgs if str(m["To"]).lower() == address]


def text(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html(msg: EmailMessage) -> str:
    body = msg.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def open_ticket(user: str = "carl", **extra: Any) -> dict[str, Any]:
    body = {"subject": "Printer <b>jam</b>", "message": "Help", **extra}
    status, got, _ = call("create_ticket", user=user, body=body)
    assert status == 201, got
    return got


def staff_reply(ticket_id: str, message: str, **extra: Any) -> None:
    body = {"message": message, **extra}
    status, got, _ = call("admin_reply_ticket", **AGENT, path={"ticket_id": ticket_id}, body=body)
    assert status == 201, got


def test_a_new_ticket_is_acknowledged_to_its_requester_and_cc() -> None:
    # When carl opens a ticket with a cc address
    t = open_ticket(cc=["boss@example.com"])
    # Then he and the cc get the acknowledgement, subject [#n] <subject>
    msgs = outbox()
    assert sorted(str(m["To"]) for m in msgs) == ["boss@example.com", "carl@example.com"]
    ack = to(msgs, "carl@example.com")[0]
    assert ack["Subject"] == f"[#{t['number']}] Printer <b>jam</b>"
    assert f"#{t['number']}" in text(ack) and "received your request" in text(ack)
    # HTML parts are escaped; the text part is not
    assert "Printer &lt;b&gt;jam&lt;/b&gt;" in html(ack) and "<b>jam</b>" not in html(ack)
    # and every mail can be unsubscribed from in one click, and replied to by token
    assert (
        ack["List-Unsubscribe"].startswith("<http")
        and "/public/unsubscribe/" in ack["List-Unsubscribe"]
    )
    assert ack["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(ack["Reply-To"]).startswith("support+") and str(ack["Reply-To"]).endswith(
        "@example.com"
    )
    assert ack["In-Reply-To"] is None  # the first mail of the thread


def test_a_public_staff_reply_mails_requester_and_cc_in_one_thread_and_a_note_mails_nobody() -> (
    None
):
    t = open_ticket(cc=["boss@example.com"])
    path = {"ticket_id": t["id"]}
    # When an agent writes an internal note
    before = len(outbox())
    staff_reply(t["id"], "the customer is grumpy", internal=True)
    # Then nobody is mailed
    assert len(outbox()) == before
    # When the agent answers publicly
    staff_reply(t["id"], "Try turning it off and on")
    msgs = outbox()
    carl = to(msgs, "carl@example.com")
    assert len(carl) == 2 and len(to(msgs, "boss@example.com")) == 2
    reply = carl[1]
    assert "Try turning it off and on" in text(reply) and "grumpy" not in text(reply)
    # Then it is in the thread of the acknowledgement: In-Reply-To and References name the
    # Message-ID SES gave it
    from helpdesk.store import mail as store_mail

    (ack_id,) = store_mail.thread(t["id"], "carl@example.com")[:1]
    assert ack_id.endswith("@email.amazonses.com>")
    assert reply["In-Reply-To"] == ack_id and reply["References"] == ack_id
    # and the author of the reply (the agent) is not mailed about his own reply
    assert to(msgs, "agnes@example.com") == []
    # When carl answers, the assignee hears of it (and carl does not)
    update(path["ticket_id"], {"assignee_id": "agnes"})
    before = len(outbox())
    call("reply_ticket", user="carl", path=path, body={"message": "still jammed"})
    new = outbox()[before:]
    assert [str(m["To"]) for m in new] == ["agnes@example.com"]
    assert "still jammed" in text(new[0])


def test_assignment_mails_the_assignee_unless_he_assigned_himself() -> None:
    t = open_ticket()
    path = {"ticket_id": t["id"]}
    staff_reply(t["id"], "hello")  # agnes is in the staff directory now
    call("admin_reply_ticket", user="otto", roles="agent", path=path, body={"message": "x"})
    before = len(outbox())
    status, _ = update(path["ticket_id"], {"assignee_id": "agnes"}, user="otto", roles="agent")
    assert status == 200
    new = outbox()[before:]
    assert [(str(m["To"]), "assigned to you" in text(m)) for m in new] == [
        ("agnes@example.com", True)
    ]
    before = len(outbox())
    update(path["ticket_id"], {"assignee_id": "otto"})
    update(path["ticket_id"], {"assignee_id": "agnes"})
    # otto was told of his assignment; agnes did not mail herself
    assert [str(m["To"]) for m in outbox()[before:]] == ["otto@example.com"]


def test_resolution_carries_a_rating_link_and_a_merge_tells_the_requester() -> None:
    t = open_ticket()
    staff_reply(t["id"], "Done", next_status="resolved")
    last = to(outbox(), "carl@example.com")[-1]
    # a reply that resolves is one mail: the reply
    assert "Done" in text(last)
    call("reopen_ticket", user="carl", path={"ticket_id": t["id"]})
    before = len(outbox())
    status, _, _ = call("close_ticket", user="carl", path={"ticket_id": t["id"]})
    assert status == 200
    assert outbox()[before:] == []  # he closed it himself: not mailed
    u = open_ticket()
    before = len(outbox())
    update(u["id"], {"status": "resolved"})
    (resolved,) = outbox()[before:]
    assert "is now resolved" in text(resolved) and "/app/rate/" in text(resolved)
    v = open_ticket()
    before = len(outbox())
    assert _merge(v["id"], u["id"])[0] == 200
    merged = to(outbox()[before:], "carl@example.com")
    assert len(merged) == 1 and f"merged into ticket #{u['number']}" in text(merged[0])


def update(ticket_id: str, body: dict[str, Any], **who: str) -> tuple[int, Any]:
    """PATCH /admin/tickets/{id} as an agent (agnes, or `who`), with the ticket's current
    ETag as If-Match: (status, body)."""
    path = {"ticket_id": ticket_id}
    etag = call("admin_get_ticket", **AGENT, path=path)[2]["etag"]
    caller = who or AGENT
    status, got, _ = call(
        "admin_update_ticket", **caller, path=path, body=body, headers={"if-match": etag}
    )
    return status, got


def resolve(ticket_id: str) -> None:
    status, got = update(ticket_id, {"status": "resolved"})
    assert status == 200, got


RATE_LINE = re.compile(r"^ +(\d+): (\S+/app/rate/([\w.-]+)\?score=(\d+))\s*$", re.M)


def rating_links(msg: EmailMessage) -> list[tuple[int, str, str]]:
    """(score, URL, token) of each rating link in the text part."""
    return [(int(m[4]), m[2], m[3]) for m in RATE_LINE.finditer(text(msg)) if m[1] == m[4]]


def test_the_resolved_mail_gives_only_the_requester_signed_one_click_rating_links() -> None:
    from helpdesk import ratinglinks, signing
    from helpdesk.errors import RatingLinkInvalidError
    from helpdesk.models.tickets import RatingRequest
    from helpdesk.settings import mail_settings

    # Given carl's ticket with a cc address, assigned to otto (a staff member)
    t = open_ticket(cc=["boss@example.com"])
    path = {"ticket_id": t["id"]}
    call("admin_reply_ticket", user="otto", roles="agent", path=path, body={"message": "Mine"})
    assigned = update(path["ticket_id"], {"assignee_id": "otto"})
    assert assigned[0] == 200, assigned[1]
    before = len(outbox())

    # When an agent resolves it
    resolve(t["id"])

    # Then the requester's mail has one link per score of the scale, to the console's rating
    # page, all with one token; the HTML part links the same URLs
    new = outbox()[before:]
    (carl,) = to(new, "carl@example.com")
    links = rating_links(carl)
    assert [score for score, _, _ in links] == [1, 2, 3, 4, 5]
    base = mail_settings().public_base_url
    (token,) = {tok for _, _, tok in links}
    for score, url, _ in links:
        assert url == f"{base}/app/rate/{token}?score={score}"
        assert f'href="{url}"' in html(carl)
    # And the cc address's mail has none, nor has any mail to staff
    (boss,) = to(new, "boss@example.com")
    assert "is now resolved" in text(boss)
    assert "/app/rate/" not in text(boss) and "/app/rate/" not in html(boss)
    assert all("/app/rate/" not in text(m) for m in new if str(m["To"]) != "carl@example.com")
    assert to(new, "otto@example.com") == []  # staff get no resolved mail at all

    # When the token is used, it rates that ticket as carl, and no other ticket
    other = open_ticket()
    resolve(other["id"])
    ticket, requester = ratinglinks.open_link(token)
    assert ticket.id == t["id"] and requester.user_id == "carl"
    ratinglinks.rate(token, RatingRequest(rating=4, comment="fine"))
    rated = call("get_ticket", user="carl", path=path)[1]
    assert rated["rating"] == 4 and rated["rating_comment"] == "fine"
    assert call("get_ticket", user="carl", path={"ticket_id": other["id"]})[1]["rating"] is None
    # A token with its payload altered to name another ticket, or signed with another salt,
    # opens nothing
    payload, rest = token.split(".", 1)
    altered = signing.dumps(signing.RATING, {"t": other["id"], "u": "carl"}).split(".", 1)[0]
    for bad in (
        f"{altered}.{rest}",
        payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest,
        signing.dumps(signing.UNSUBSCRIBE, {"t": other["id"], "u": "carl"}),
    ):
        with pytest.raises(RatingLinkInvalidError):
            ratinglinks.open_link(bad)


def test_a_reply_that_resolves_is_one_mail_with_the_rating_links() -> None:
    # Given carl's ticket with a cc address
    t = open_ticket(cc=["boss@example.com"])
    before = len(outbox())
    # When an agent answers and resolves it in one step
    staff_reply(t["id"], "Fixed, closing", next_status="resolved")
    # Then carl gets one mail, the reply, which asks him to rate; the cc's reply does not
    new = outbox()[before:]
    (carl,) = to(new, "carl@example.com")
    assert "Fixed, closing" in text(carl)
    assert [score for score, _, _ in rating_links(carl)] == [1, 2, 3, 4, 5]
    (boss,) = to(new, "boss@example.com")
    assert "Fixed, closing" in text(boss) and "/app/rate/" not in text(boss)
    # and a reply that does not resolve asks nothing
    staff_reply(t["id"], "One more thing")
    (later,) = to(outbox()[before + 2 :], "carl@example.com")
    assert rating_links(later) == []


def test_a_guest_requester_gets_rating_links_too() -> None:
    from tests.handlers.test_public import created

    # Given a guest's ticket, resolved by an agent
    t = created()
    settle()
    before = len(outbox())
    resolve(t["id"])

    # Then her resolved mail carries the rating links (the console's ticket page would not
    # open for her: she has no account)
    (mail_,) = to(outbox()[before:], "gail@example.com")
    assert [score for score, _, _ in rating_links(mail_)] == [1, 2, 3, 4, 5]
    assert f"/app/tickets/{t['id']}" not in text(mail_)


def test_an_unassigned_tickets_customer_mail_goes_to_the_queue_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk.settings import mail_settings

    monkeypatch.setenv("NOTIFICATION_QUEUE_ADDRESS", "team@example.com")
    mail_settings.cache_clear()
    t = open_ticket()
    call("reply_ticket", user="carl", path={"ticket_id": t["id"]}, body={"message": "hello?"})
    team = to(outbox(), "team@example.com")
    assert len(team) == 2 and "hello?" in text(team[1])
    mail_settings.cache_clear()


def agents(*user_ids: str) -> str:
    """A department whose agents are `user_ids`, each an active agent in the staff
    directory (as a staff write leaves him): its id."""
    from helpdesk.store import people as store_people

    for u in user_ids:
        store_people.put_staff(
            store_people.StaffMember(
                u, u.capitalize(), f"{u}@example.com", ("agent",), last_seen_at="2026-01-01"
            )
        )
    body = {"name": "Printers", "agent_ids": list(user_ids)}
    status, dep, _ = call("admin_create_department", **ADMIN, body=body)
    assert status == 201, dep
    return str(dep["id"])


def test_an_unassigned_tickets_customer_mail_goes_to_its_departments_active_agents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk.settings import mail_settings

    monkeypatch.setenv("NOTIFICATION_QUEUE_ADDRESS", "team@example.com")
    mail_settings.cache_clear()
    dep = agents("ann", "ben", "cas")
    # Given one of the department's agents deactivated
    assert call("admin_deactivate_staff", **ADMIN, path={"user_id": "cas"})[0] == 200
    # When carl opens an unassigned ticket in the department, then writes again
    before = len(outbox())
    t = open_ticket(department_id=dep)
    call("reply_ticket", user="carl", path={"ticket_id": t["id"]}, body={"message": "hello?"})
    new = outbox()[before:]
    # Then each active agent gets both customer messages, each his own mail (his own
    # Reply-To and unsubscribe link); the deactivated agent and the queue address nothing
    for who in ("ann", "ben"):
        mine = to(new, f"{who}@example.com")
        assert ["Help" in text(m) for m in mine] == [True, False]
        assert "hello?" in text(mine[1]) and f"/app/queue/{t['id']}" in text(mine[1])
    assert to(new, "cas@example.com") == [] and to(new, "team@example.com") == []
    ann, ben = to(new, "ann@example.com")[1], to(new, "ben@example.com")[1]
    assert str(ann["To"]) == "ann@example.com"  # not one mail with a Cc line
    assert ann["Reply-To"] != ben["Reply-To"]
    assert ann["List-Unsubscribe"] != ben["List-Unsubscribe"]
    # A ticket without a department goes to the queue address, as before
    before = len(outbox())
    u = open_ticket()
    assert [str(m["To"]) for m in outbox()[before:] if "carl" not in str(m["To"])] == [
        "team@example.com"
    ]
    # A department whose agents are all gone falls back to the queue address too
    assert call("admin_deactivate_staff", **ADMIN, path={"user_id": "ann"})[0] == 200
    assert call("admin_deactivate_staff", **ADMIN, path={"user_id": "ben"})[0] == 200
    before = len(outbox())
    call("reply_ticket", user="carl", path={"ticket_id": t["id"]}, body={"message": "anyone?"})
    assert [str(m["To"]) for m in outbox()[before:]] == ["team@example.com"]
    del u
    mail_settings.cache_clear()


def test_an_assigned_tickets_customer_mail_goes_to_the_assignee_only() -> None:
    dep = agents("ann", "ben")
    t = open_ticket(department_id=dep)
    path = {"ticket_id": t["id"]}
    status, _ = update(path["ticket_id"], {"assignee_id": "ann"})
    assert status == 200
    before = len(outbox())
    call("reply_ticket", user="carl", path=path, body={"message": "still jammed"})
    assert [str(m["To"]) for m in outbox()[before:]] == ["ann@example.com"]


def test_a_departments_agent_is_not_mailed_his_own_message_and_staff_replies_skip_them() -> None:
    dep = agents("ann", "ben")
    # When ann opens a ticket in her own department as a customer (her own address)
    before = len(outbox())
    t = open_ticket("ann", department_id=dep)
    new = outbox()[before:]
    # Then she has her acknowledgement only; ben hears of her message
    assert [("received your request" in text(m)) for m in to(new, "ann@example.com")] == [True]
    assert len(to(new, "ben@example.com")) == 1
    # A public staff reply on the unassigned ticket goes to the requester, not the agents
    before = len(outbox())
    staff_reply(t["id"], "on it")
    assert [str(m["To"]) for m in outbox()[before:]] == ["ann@example.com"]


def test_reads_for_a_customer_message_on_an_unassigned_ticket_with_a_department(
    aws_calls: CallLog,
) -> None:
    """The department rides in the events' BatchGetItem; its agents are one BatchGetItem:
    one call more than for an assigned ticket (its assignee's GetItem) and only then."""
    from helpdesk import notify

    dep = agents("ann", "ben", "cas")
    assert call("admin_deactivate_staff", **ADMIN, path={"user_id": "cas"})[0] == 200
    t = open_ticket(department_id=dep)
    call("reply_ticket", user="carl", path={"ticket_id": t["id"]}, body={"message": "hello?"})
    staff_reply(t["id"], "on it")
    records = [r for r in feed_records() if t["id"] in r["dynamodb"]["Keys"]["SK"]["S"]]
    created, replied, answered = (r["dynamodb"]["NewImage"] for r in records)

    def reads(image: dict[str, Any]) -> list[str]:
        forget_claims(t["id"])
        aws_calls.clear()
        notify.Notifier().handle(image)
        return aws_calls.operations()

    # per mail: the thread, the claim, the Message-ID's lookup (mail in), the mark
    mailed = ["Query", "PutItem", "PutItem", "UpdateItem"]
    # the customer's reply: ticket, events + department, message, agents, audience, 2 mails
    read = ["GetItem", "BatchGetItem", "GetItem", "BatchGetItem", "BatchGetItem"]
    assert reads(replied) == read + mailed * 2
    (events,) = [p for _, op, p in aws_calls.calls if op == "BatchGetItem" and "TICKET#" in str(p)]
    keys = next(iter(events["RequestItems"].values()))["Keys"]
    assert {"PK": {"S": "CATALOG"}, "SK": {"S": f"DEP#{dep}"}} in keys
    # a new ticket: its first message is one Query of the thread; the acknowledgement too
    read = ["GetItem", "BatchGetItem", "Query", "BatchGetItem", "BatchGetItem"]
    assert reads(created) == read + mailed * 3
    # a staff reply: no department, no agents (the author's directory entry: one GetItem)
    ops = reads(answered)
    assert ops.count("BatchGetItem") == 2 and "CATALOG" not in str(aws_calls.calls)
    # once the ticket is assigned, the customer's reply reads the assignee's entry instead
    path = {"ticket_id": t["id"]}
    status, _ = update(path["ticket_id"], {"assignee_id": "ann"})
    assert status == 200
    read = ["GetItem", "BatchGetItem", "GetItem", "GetItem", "BatchGetItem"]
    assert reads(replied) == read + mailed and "CATALOG" not in str(aws_calls.calls)


def forget_claims(ticket_id: str) -> None:
    """Delete the ticket's notification records (as if never sent)."""
    from helpdesk.store import codec

    for i in codec.query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :m)",
        ExpressionAttributeValues={":pk": {"S": f"TICKET#{ticket_id}"}, ":m": {"S": "ML#"}},
    ):
        codec.client().delete_item(TableName=codec.table(), Key={"PK": i["PK"], "SK": i["SK"]})


def test_never_about_a_deleted_ticket_nor_to_a_suppressed_address() -> None:
    from helpdesk.store import mail as store_mail

    t = open_ticket()
    delete(t["id"])
    before = len(outbox())
    call("admin_reply_ticket", **ADMIN, path={"ticket_id": t["id"]}, body={"message": "x"})
    assert outbox()[before:] == []
    store_mail.suppress("dora@example.com", "bounce", "2026-01-01T00:00:00Z")
    open_ticket("dora")
    assert to(outbox(), "dora@example.com") == []


def test_a_replayed_stream_batch_sends_nothing_twice() -> None:
    from tests.conftest import invoke_mapped

    # Given a ticket's creation and a public reply, delivered once by the stream
    t = open_ticket()
    staff_reply(t["id"], "answer")
    sent = len(outbox())
    assert sent == 2
    # When the same FEED records are delivered again (a stream retry)
    records = feed_records()
    assert len(records) == 2
    result = invoke_mapped("ProcessChangesFunction", {"Records": records})
    # Then the batch succeeds and no mail is sent again
    assert result == {"batchItemFailures": []}
    assert len(outbox()) == sent


def feed_records() -> list[dict[str, Any]]:
    """Every FEED item as the stream's INSERT record would carry it."""
    from helpdesk.store import codec

    items = codec.query_all(
        KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "FEED"}}
    )
    return [
        {
            "eventID": str(n),
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": {"PK": i["PK"], "SK": i["SK"]},
                "NewImage": i,
                "SequenceNumber": str(100 + n),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
        }
        for n, i in enumerate(items)
    ]


def test_ses_throttling_is_retried_and_a_failure_is_reported_per_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import ClientError

    from helpdesk import mail
    from tests.conftest import invoke_mapped

    t = open_ticket()
    other = open_ticket("dora")  # its record rides in the same batches, already sent
    records = [r for r in feed_records() if t["id"] in r["dynamodb"]["Keys"]["SK"]["S"]]
    from helpdesk.store import codec

    # forget the acknowledgement was sent: its record goes (as if never claimed)
    items = codec.query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :m)",
        ExpressionAttributeValues={":pk": {"S": f"TICKET#{t['id']}"}, ":m": {"S": "ML#"}},
    )
    for i in items:
        codec.client().delete_item(TableName=codec.table(), Key={"PK": i["PK"], "SK": i["SK"]})
    real = mail.client().send_email
    calls = {"n": 0}

    def throttled_twice(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ClientError(
                {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}},
                "SendEmail",
            )
        return real(**kwargs)

    monkeypatch.setattr(mail, "BASE_DELAY_SECONDS", 0.001)
    monkeypatch.setattr(mail.client(), "send_email", throttled_twice)
    before = len(outbox())
    assert invoke_mapped("ProcessChangesFunction", {"Records": records}) == {
        "batchItemFailures": []
    }
    assert calls["n"] == 3 and len(outbox()) == before + 1
    # When SES keeps throttling, the record is reported failed and its claim released
    for i in codec.query_all(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :m)",
        ExpressionAttributeValues={":pk": {"S": f"TICKET#{t['id']}"}, ":m": {"S": "ML#"}},
    ):
        codec.client().delete_item(TableName=codec.table(), Key={"PK": i["PK"], "SK": i["SK"]})
    calls["n"] = -100
    records = feed_records()
    assert [r for r in records if other["id"] in r["dynamodb"]["Keys"]["SK"]["S"]]
    result = invoke_mapped("ProcessChangesFunction", {"Records": records})
    failed = [
        r["dynamodb"]["SequenceNumber"]
        for r in records
        if t["id"] in r["dynamodb"]["Keys"]["SK"]["S"]
    ]
    assert result == {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
    assert store_claims(t["id"]) == []  # released: the retry may send it
    assert store_claims(other["id"])  # the other record: done before, skipped, not failed


def store_claims(ticket_id: str) -> list[str]:
    from helpdesk.store import codec

    return [
        i["SK"]["S"]
        for i in codec.query_all(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :m)",
            ExpressionAttributeValues={":pk": {"S": f"TICKET#{ticket_id}"}, ":m": {"S": "ML#"}},
        )
    ]


def test_preferences_turn_a_kind_off_and_on() -> None:
    status, prefs, _ = call("get_my_notifications", user="carl")
    assert status == 200 and prefs["email"] == "carl@example.com"
    assert all(prefs["kinds"].values()) and "staff_reply" in prefs["kinds"]
    status, prefs, _ = call(
        "update_my_notifications", user="carl", body={"kinds": {"staff_reply": False}}
    )
    assert status == 200 and prefs["kinds"]["staff_reply"] is False
    assert prefs["kinds"]["ticket_created"] is True
    t = open_ticket()
    staff_reply(t["id"], "you will not see this")
    assert ["you will not see this" in text(m) for m in to(outbox(), "carl@example.com")] == [False]
    status, body, _ = call("update_my_notifications", user="carl", body={"kinds": {"nope": True}})
    assert status == 422, body


def test_one_click_unsubscribe_works_signed_out_and_refuses_a_forged_token() -> None:
    t = open_ticket()
    ack = to(outbox(), "carl@example.com")[0]
    url = str(ack["List-Unsubscribe"]).strip("<>")
    token = url.rsplit("/", 1)[1]
    # When the mail client POSTs the RFC 8058 body to the link, signed out
    event = make_event("public_unsubscribe", path={"token": token})
    event["body"] = "List-Unsubscribe=One-Click"
    event["headers"]["content-type"] = "application/x-www-form-urlencoded"
    event["requestContext"].pop("authorizer", None)
    res = invoke("public_unsubscribe", event)
    assert res["statusCode"] == 200, res
    _, prefs, _ = call("get_my_notifications", user="carl")
    assert prefs["kinds"]["ticket_created"] is False and prefs["kinds"]["staff_reply"] is True
    before = len(outbox())
    open_ticket()
    assert to(outbox()[before:], "carl@example.com") == []
    del t
    # A forged or altered token is refused with problem+json
    for bad in (token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1], "forged.token.x"):
        event = load_event("public_unsubscribe")
        event["pathParameters"] = {"token": bad}
        res = invoke("public_unsubscribe", event)
        assert res["statusCode"] == 404, res
        assert res["headers"]["Content-Type"] == "application/problem+json"
        assert '"UNSUBSCRIBE_LINK_INVALID"' in res["body"]


def test_reply_to_tokens_are_per_ticket_and_recipient_and_verify() -> None:
    from helpdesk import signing

    t = open_ticket(cc=["boss@example.com"])
    msgs = outbox()
    carl = str(to(msgs, "carl@example.com")[0]["Reply-To"])
    boss = str(to(msgs, "boss@example.com")[0]["Reply-To"])
    assert carl != boss
    token = carl.split("+", 1)[1].split("@", 1)[0]
    assert len(carl.split("@", 1)[0]) <= 64  # an address's local part
    value = signing.unsign_short(signing.REPLY_TO, token)
    assert value is not None and value.startswith(f"{t['number']}.")
    # an altered signature (a middle character: the last one carries padding bits) or value
    value_part, sig = token.rsplit(".", 1)
    altered = sig[:5] + ("A" if sig[5] != "A" else "B") + sig[6:]
    assert signing.unsign_short(signing.REPLY_TO, f"{value_part}.{altered}") is None
    assert signing.unsign_short(signing.REPLY_TO, f"{t['number'] + 1}{token[4:]}") is None

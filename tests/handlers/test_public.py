"""The public contact form (issue 7): guest tickets followed with a private link secret."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from helpdesk import guests
from helpdesk.settings import public_form_settings
from helpdesk.store import codec as store_codec
from helpdesk.store import guest_links as store_guest_links
from helpdesk.store import housekeeping as store_housekeeping
from tests.conftest import call, invoke, make_event
from tests.handlers.test_housekeeping import _ttl_removal

pytestmark = pytest.mark.usefixtures("catalog")

AGENT = {"user": "agnes", "roles": "agent"}
FORM = {
    "first_name": "Gail",
    "last_name": "Guest",
    "email": "Gail@Example.com",
    "phone": "+1 555 0100",
    "company": "Acme",
    "subject": "Invoice question",
    "message": "Where is my invoice?",
}


def submit(ip: str = "198.51.100.7", **changes: Any) -> tuple[int, Any, dict[str, str]]:
    event = make_event("public_create_ticket", body={**FORM, **changes})
    event["requestContext"]["http"]["sourceIp"] = ip
    result = invoke("public_create_ticket", event)
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    return result["statusCode"], json.loads(result["body"]), headers


def created(**changes: Any) -> dict[str, Any]:
    status, body, _ = submit(**changes)
    assert status == 201, body
    return body


def follow(ticket_id: str, token: str | None, *, query: bool = False) -> tuple[int, Any]:
    kw: dict[str, Any] = {"path": {"ticket_id": ticket_id}}
    if token is not None:
        kw["query" if query else "headers"] = {("token" if query else "X-Ticket-Token"): token}
    status, body, _ = call("public_get_ticket", **kw)
    return status, body


def test_create_opens_a_guest_ticket_staff_see_flagged() -> None:
    # Given the contact form filled in by someone without an account
    # When it is sent
    body = created()
    # Then a ticket number, id and a long secret come back
    assert body["number"] >= 1 and body["id"].startswith("tkt")
    assert len(body["token"]) >= 40
    # And staff see a guest requester owning it, with the form's contact details
    status, view, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": body["id"]})
    assert status == 200, view
    assert view["requester"]["guest"] is True
    assert view["requester"]["email"] == "gail@example.com"
    assert view["requester"]["user_id"] == guests.guest_user_id("gail@example.com")
    assert "Acme" in view["messages"][0]["body"]
    # And the staff queue flags it
    _, queue, _ = call("admin_list_tickets", **AGENT)
    assert [i["guest"] for i in queue["items"] if i["id"] == body["id"]] == [True]
    # And the secret itself is not stored, only its hash
    link = store_guest_links.get_guest_link(body["id"])
    assert link is not None and body["token"] not in link.secret_hash


def test_invalid_email_is_422() -> None:
    # Given a form with a malformed e-mail / When sent / Then 422
    status, body, _ = submit(email="not-an-email")
    assert status == 422, body


def test_follow_with_header_and_with_query() -> None:
    # Given a guest ticket
    t = created()
    # When it is followed with the secret as a header, then as ?token=
    by_header = follow(t["id"], t["token"])
    by_query = follow(t["id"], t["token"], query=True)
    # Then both show the ticket
    assert by_header[0] == 200 and by_header[1]["id"] == t["id"]
    assert by_query[0] == 200 and by_query[1]["number"] == t["number"]


def test_wrong_missing_or_foreign_token_is_404() -> None:
    # Given two guest tickets
    a = created()
    b = created(email="other@example.com")
    # When one is opened with a wrong, a missing or the other ticket's secret
    # Then each is 404 TICKET_NOT_FOUND (never 401/403)
    for token in ("x" * 43, None, b["token"]):
        status, body = follow(a["id"], token)
        assert status == 404 and body["code"] == "TICKET_NOT_FOUND", (token, body)
    status, body, _ = call(
        "public_reply_ticket",
        path={"ticket_id": a["id"]},
        headers={"X-Ticket-Token": b["token"]},
        body={"message": "sneaky"},
    )
    assert status == 404 and body["code"] == "TICKET_NOT_FOUND"


def test_notes_are_hidden_and_guest_replies_like_a_customer() -> None:
    # Given a guest ticket with a staff reply and an internal note
    t = created()
    for extra in ({}, {"internal": True}):
        status, _, _ = call(
            "admin_reply_ticket",
            **AGENT,
            path={"ticket_id": t["id"]},
            body={"message": "internal" if extra else "Answer", **extra},
        )
        assert status == 201
    # When the guest follows the ticket and replies
    status, reply, _ = call(
        "public_reply_ticket",
        path={"ticket_id": t["id"]},
        query={"token": t["token"]},
        body={"message": "Thanks"},
    )
    _, view = follow(t["id"], t["token"])
    # Then the note is not shown, the reply is, on the customer side
    assert status == 201, reply
    assert reply["message"]["side"] == "customer"
    assert [m["body"] for m in view["messages"]][1:] == ["Answer", "Thanks"]
    assert not any(m["internal"] for m in view["messages"])


def test_reply_to_a_closed_ticket_is_409() -> None:
    # Given a guest ticket closed by staff
    t = created()
    _, staff, _ = call("admin_get_ticket", **AGENT, path={"ticket_id": t["id"]})
    status, body, _ = call(
        "admin_update_ticket",
        **AGENT,
        path={"ticket_id": t["id"]},
        body={"status": "closed"},
        headers={"If-Match": staff["etag"]},
    )
    assert status == 200, body
    # When the guest replies / Then 409 TICKET_CLOSED
    status, body, _ = call(
        "public_reply_ticket",
        path={"ticket_id": t["id"]},
        headers={"X-Ticket-Token": t["token"]},
        body={"message": "again"},
    )
    assert status == 409 and body["code"] == "TICKET_CLOSED", body


def test_honeypot_is_refused_and_creates_nothing() -> None:
    # Given a form whose hidden `website` field was filled (a robot)
    # When it is sent
    status, body, _ = submit(website="http://spam.example")
    # Then 422 SPAM_SUSPECTED and no ticket for that guest
    assert status == 422 and body["code"] == "SPAM_SUSPECTED"
    assert store_housekeeping.requester_ticket_ids(guests.guest_user_id(FORM["email"])) == []


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set the form's limits as the template would (environment), for one test."""

    def set_limits(**env: int) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, str(value))
        public_form_settings.cache_clear()

    yield set_limits
    public_form_settings.cache_clear()


def test_rate_limit_per_email(limits: Callable[..., None]) -> None:
    # Given a limit of 2 forms per e-mail address (template parameter PublicFormEmailLimit)
    limits(PUBLIC_FORM_EMAIL_LIMIT=2)
    # When a third comes from the same address (other IPs)
    for i in range(2):
        assert submit(ip=f"203.0.113.{i}")[0] == 201
    status, body, headers = submit(ip="203.0.113.9")
    # Then 429 RATE_LIMITED with Retry-After, while another address still gets through
    assert status == 429 and body["code"] == "RATE_LIMITED"
    assert int(headers["retry-after"]) >= 1
    assert submit(ip="203.0.113.9", email="fresh@example.com")[0] == 201


def test_rate_limit_per_ip(limits: Callable[..., None]) -> None:
    # Given a limit of 2 forms per source IP (template parameter PublicFormIpLimit)
    limits(PUBLIC_FORM_IP_LIMIT=2)
    # When a third comes from the same IP (other addresses)
    for i in range(2):
        assert submit(email=f"p{i}@example.com")[0] == 201
    status, body, headers = submit(email="p9@example.com")
    # Then 429 with Retry-After, and another IP still gets through
    assert status == 429 and body["code"] == "RATE_LIMITED"
    assert "retry-after" in headers
    assert submit(ip="192.0.2.1", email="p9@example.com")[0] == 201


def test_the_window_is_a_parameter_too(limits: Callable[..., None]) -> None:
    # Given one form per address per 60 s (PublicFormWindowSeconds)
    limits(PUBLIC_FORM_EMAIL_LIMIT=1, PUBLIC_FORM_WINDOW_SECONDS=60)
    assert submit(email="w@example.com")[0] == 201
    # When a second comes at once / Then it waits for the rest of that minute at most
    status, _, headers = submit(email="w@example.com")
    assert status == 429 and 1 <= int(headers["retry-after"]) <= 60
    assert headers["ratelimit-policy"] == "1;w=60"


def test_guests_do_not_count_against_the_per_caller_write_limit(
    monkeypatch: pytest.MonkeyPatch, limits: Callable[..., None]
) -> None:
    # Given a per-caller write limit of 1 (WriteLimit) and the form's own limits
    from helpdesk.settings import rate_limit_settings

    monkeypatch.setenv("WRITE_LIMIT", "1")
    rate_limit_settings.cache_clear()
    try:
        # When one address sends two forms / Then both are taken (its limit is 5)
        assert submit(email="two@example.com")[0] == 201
        assert submit(email="two@example.com")[0] == 201
    finally:
        rate_limit_settings.cache_clear()


def test_erasing_a_guest_removes_the_private_link() -> None:
    # Given a guest ticket
    t = created()
    user_id = guests.guest_user_id(FORM["email"])
    # When an admin erases the guest
    status, report, _ = call(
        "admin_erase_requester",
        user="adam",
        roles="admin",
        path={"user_id": user_id},
        body={"confirm": user_id},
    )
    # Then the link no longer opens the (anonymized) ticket
    assert status == 200, report
    assert follow(t["id"], t["token"])[0] == 404


def test_purging_a_guest_ticket_removes_its_link() -> None:
    # Given a guest ticket an admin deleted
    t = created()
    status, body, _ = call(
        "admin_delete_ticket", user="adam", roles="admin", path={"ticket_id": t["id"]}
    )
    assert status == 200, body
    # When DynamoDB TTL removes it and the purge function runs
    invoke("process_changes", _ttl_removal(t["id"]))
    # Then its link item is gone too
    assert store_guest_links.get_guest_link(t["id"]) is None


def test_a_guest_using_a_customers_address_does_not_take_over_the_lookup() -> None:
    # Given a customer with an account and a ticket
    status, mine, _ = call("create_ticket", user="gail", body={"subject": "s", "message": "m"})
    assert status == 201
    # When someone sends the form with that customer's address
    created(email="gail@example.com")
    # Then staff filtering by the address still find the customer's ticket only
    _, found, _ = call("admin_list_tickets", **AGENT, query={"requester": "gail@example.com"})
    assert [i["id"] for i in found["items"]] == [mine["id"]]


def test_a_link_without_the_guests_name_still_works() -> None:
    # Given a guest link as links were first written (user id and secret hash only)
    from helpdesk.store import guest_links as store_guest_links

    body = created()
    client = store_codec.client()
    key = store_guest_links.guest_link_key(body["id"])
    client.update_item(
        TableName=store_codec.table(),
        Key=key,
        UpdateExpression="REMOVE #n, email",
        ExpressionAttributeNames={"#n": "name"},
    )
    link = store_guest_links.get_guest_link(body["id"])
    assert link is not None and link.email == ""
    # When the guest follows it / Then the ticket shows, the guest named from the ticket
    status, view, _ = call(
        "public_get_ticket",
        path={"ticket_id": body["id"]},
        headers={"X-Ticket-Token": body["token"]},
    )
    assert status == 200, view
    status, reply, _ = call(
        "public_reply_ticket",
        path={"ticket_id": body["id"]},
        headers={"X-Ticket-Token": body["token"]},
        body={"message": "Still there?"},
    )
    assert status == 201 and reply["message"]["author_name"] == "Gail Guest", reply


def test_the_acknowledgement_carries_a_signed_follow_up_link_that_opens_the_ticket() -> None:
    from urllib.parse import parse_qs, urlsplit

    from tests.conftest import settle
    from tests.handlers.test_notifications import outbox, text, to

    # Given a guest who opened a ticket with the form, and the acknowledgement mailed to her
    t = created()
    settle()
    (ack,) = to(outbox(), "gail@example.com")
    (line,) = [w for w in text(ack).split() if "/public/tickets/" in w]
    url = urlsplit(line)
    assert url.path == f"/public/tickets/{t['id']}"
    token = parse_qs(url.query)["token"][0]
    assert token != t["token"]  # the form's secret is never kept, nor mailed
    # When she follows the mailed link; Then it opens her ticket, and answers in it
    assert follow(t["id"], token, query=True)[0] == 200
    event = make_event(
        "public_reply_ticket",
        path={"ticket_id": t["id"]},
        body={"message": "From the link"},
        headers={"X-Ticket-Token": token},
    )
    assert invoke("public_reply_ticket", event)["statusCode"] == 201
    # but not another ticket, nor when altered or signed with another salt
    other = created(email="other@example.com")
    assert follow(other["id"], token, query=True)[0] == 404
    assert follow(t["id"], token[:-2] + "xx", query=True)[0] == 404
    from helpdesk import signing
    from helpdesk.store import guest_links

    link = guest_links.get_guest_link(t["id"])
    assert link is not None
    forged = signing.sign_short(
        signing.REPLY_TO, signing.guest_link_value(t["id"], link.secret_hash)
    )
    assert follow(t["id"], forged, query=True)[0] == 404

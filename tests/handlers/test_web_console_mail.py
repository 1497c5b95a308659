"""The console's mail pages as Lambda runs them: Settings (my e-mail notifications, the
layer calls of GET/PUT /me/notifications) and the resolved mail's one-click rating page
(`/app/rate/<token>`, signed out)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from helpdesk import signing
from helpdesk.notify_kinds import CUSTOMER_KINDS, LABELS, STAFF_KINDS
from helpdesk.store import tickets as store_tickets
from tests.conftest import call
from tests.handlers.test_web_console import (  # noqa: F401  (the fixture is used by name)
    ADMIN,
    AGENT,
    ALICE,
    console,
    csrf_for,
    deployed,
    open_ticket,
)

pytestmark = pytest.mark.usefixtures("aws", "deployed")


def boxes(html: str) -> dict[str, bool]:
    """The Settings form's checkboxes: kind -> ticked."""
    return {
        m[1]: m[2] is not None
        for m in re.finditer(
            r'<input type="checkbox" name="kind_\w+" value="on" '
            r'data-kind="(\w+)"( checked)?>',
            html,
        )
    }


# ------------------------------------------------------------------ Settings


def test_settings_show_my_notifications_with_labels_and_a_nav_link() -> None:
    # When a customer and an agent open Settings
    mine = console(ALICE, "/app/settings")
    staff = console(AGENT, "/app/settings")

    # Then each sees the kinds of mail they may get, all on, in words, for their address
    assert mine["statusCode"] == 200, mine["body"]
    assert boxes(mine["body"]) == dict.fromkeys(CUSTOMER_KINDS, True)
    assert all(LABELS[kind] in mine["body"] for kind in CUSTOMER_KINDS)
    assert "alice@example.com" in mine["body"]
    assert staff["statusCode"] == 200, staff["body"]
    assert boxes(staff["body"]) == dict.fromkeys(CUSTOMER_KINDS + STAFF_KINDS, True)
    # And every signed-in page links it
    assert 'href="/dev/app/settings">Settings</a>' in console(ALICE, "/app/tickets")["body"]
    assert 'href="/dev/app/settings">Settings</a>' in console(AGENT, "/app/queue")["body"]


def test_saving_settings_turns_kinds_off_as_the_api_sees_them() -> None:
    # When Alice saves the form with "Answers from support" unticked
    form = {"csrf": csrf_for(ALICE)} | {
        f"kind_{kind}": "on" for kind in CUSTOMER_KINDS if kind != "staff_reply"
    }
    saved = console(ALICE, "/app/settings", method="POST", form=form)

    # Then she is sent back to the page, which says so and shows the box unticked
    assert saved["statusCode"] == 303, saved["body"]
    assert saved["headers"]["location"] == "/dev/app/settings?saved=1"
    page = console(ALICE, "/app/settings", query="saved=1")["body"]
    assert "data-saved" in page
    assert boxes(page) == {kind: kind != "staff_reply" for kind in CUSTOMER_KINDS}
    # And GET /me/notifications agrees (the staff kinds she was not shown stay as they were)
    _, prefs, _ = call("get_my_notifications", user="alice")
    assert prefs["kinds"] == {kind: kind != "staff_reply" for kind in CUSTOMER_KINDS + STAFF_KINDS}

    # When she ticks it again
    form["kind_staff_reply"] = "on"
    assert console(ALICE, "/app/settings", method="POST", form=form)["statusCode"] == 303

    # Then every kind is on again
    assert all(call("get_my_notifications", user="alice")[1]["kinds"].values())


def test_settings_without_the_csrf_token_or_signed_out_change_nothing() -> None:
    # When the form is posted without the token, with another session's, or signed out
    off = {"kind_ticket_created": "on"}  # every other kind unticked
    answers = [
        console(ALICE, "/app/settings", method="POST", form=off),
        console(ALICE, "/app/settings", method="POST", form=off | {"csrf": csrf_for(AGENT)}),
    ]
    signed_out = console(None, "/app/settings", method="POST", form=off)

    # Then each is refused, and every kind is still on
    for r in answers:
        assert r["statusCode"] == 403 and "CSRF_TOKEN_INVALID" in r["body"]
    assert signed_out["statusCode"] == 303
    assert signed_out["headers"]["location"] == "/dev/app/signin"
    assert all(call("get_my_notifications", user="alice")[1]["kinds"].values())


# ------------------------------------------------------------------ the rating page


def resolved(subject: str = "Printer jam") -> str:
    """Alice's ticket, answered and resolved by an agent."""
    from helpdesk import desk
    from helpdesk.models.staff import StaffReplyRequest

    ticket_id = open_ticket(ALICE, subject)
    desk.reply(AGENT, ticket_id, StaffReplyRequest(message="Fixed", next_status="resolved"))
    return ticket_id


def rated(ticket_id: str) -> tuple[int | None, str | None]:
    ticket = store_tickets.get_ticket(ticket_id)
    assert ticket is not None
    return ticket.rating, ticket.rating_comment


def token_for(ticket_id: str, requester_id: str) -> str:
    """The rating token the resolved mail of `ticket_id` carries (as if for `requester_id`)."""
    ticket = store_tickets.get_ticket(ticket_id)
    assert ticket is not None
    return signing.rating_token(ticket_id, requester_id, ticket.requester_email)


def rate(token: str, rating: str, comment: str = "") -> dict[str, Any]:
    return console(
        None, f"/app/rate/{token}", method="POST", form={"rating": rating, "comment": comment}
    )


def test_opening_a_rating_link_records_nothing_and_posting_the_form_rates() -> None:
    # Given Alice's resolved ticket and the link of score 4 of its mail
    ticket_id = resolved()
    token = token_for(ticket_id, "alice")
    events = store_tickets.get_ticket(ticket_id)
    assert events is not None
    seq = events.event_seq

    # When the link is opened signed out (as a mail scanner would, twice)
    first = console(None, f"/app/rate/{token}", query="score=4")
    console(None, f"/app/rate/{token}", query="score=4")

    # Then the page shows the ticket with 4 chosen, and nothing was written
    assert first["statusCode"] == 200, first["body"]
    ticket = store_tickets.get_ticket(ticket_id)
    assert ticket is not None and ticket.event_seq == seq and rated(ticket_id) == (None, None)
    assert f"#{ticket.number}" in first["body"] and "Printer jam" in first["body"]
    assert re.search(r'value="4" required checked', first["body"])
    assert len(re.findall(r'type="radio" name="rating"', first["body"])) == 5
    assert first["headers"]["cache-control"] == "no-store"

    # When the form is posted, signed out (no session cookie, no CSRF token)
    done = rate(token, "4", "Quick and kind")

    # Then the rating is recorded as Alice's, and the page thanks her
    assert done["statusCode"] == 303, done["body"]
    assert done["headers"]["location"] == f"/dev/app/rate/{token}?done=1"
    assert rated(ticket_id) == (4, "Quick and kind")
    _, view, _ = call("get_ticket", user="alice", path={"ticket_id": ticket_id})
    assert view["rating"] == 4
    thanks = console(None, f"/app/rate/{token}", query="done=1")
    assert thanks["statusCode"] == 200 and "data-rated" in thanks["body"]
    assert "Change my rating" in thanks["body"]

    # And within the change window she may change it with the same link
    assert rate(token, "2")["statusCode"] == 303
    assert rated(ticket_id) == (2, None)


def test_a_forged_altered_foreign_or_expired_token_is_the_404_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk import housekeeping

    ticket_id = resolved()
    token = token_for(ticket_id, "alice")
    payload, rest = token.split(".", 1)
    other = signing.dumps(signing.RATING, {"t": resolved("Other"), "u": "alice"})
    # a token signed 31 days ago (the links work for 30)
    month_ago = time.time() - 31 * 86400
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: month_ago)
        expired = token_for(ticket_id, "alice")
    deleted = resolved("Deleted")
    deleted_token = token_for(deleted, "alice")
    housekeeping.soft_delete(ADMIN, deleted)

    bad = {
        "forged": "forged.token.x",
        "altered": payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest,
        "another ticket's payload": f"{other.split('.', 1)[0]}.{rest}",
        "other salt": signing.dumps(signing.UNSUBSCRIBE, {"t": ticket_id, "u": "alice"}),
        "session salt": signing.dumps(signing.SESSION, {"t": ticket_id, "u": "alice"}),
        "another requester": token_for(ticket_id, "bob"),
        "expired": expired,
        "deleted ticket": deleted_token,
    }
    for why, value in bad.items():
        # When the page is opened, and the form posted, with it
        for answer in (console(None, f"/app/rate/{value}", query="score=5"), rate(value, "5")):
            # Then it is the console's 404 page, never a 500, and nothing is rated
            assert answer["statusCode"] == 404, (why, answer["body"])
            assert "RATING_LINK_INVALID" in answer["body"], why
            assert answer["headers"]["content-type"].startswith("text/html")
    assert rated(ticket_id) == (None, None) and rated(deleted) == (None, None)


def test_a_ticket_that_cannot_be_rated_shows_the_layers_reason() -> None:
    # Given Alice's ticket that is still open, and her link to it
    ticket_id = open_ticket(ALICE, "Still open")
    token = token_for(ticket_id, "alice")

    # When she opens the link, and posts the form
    answers = [console(None, f"/app/rate/{token}", query="score=5"), rate(token, "5")]

    # Then each is the layer's refusal, in its words, and nothing is rated
    for answer in answers:
        assert answer["statusCode"] == 409, answer["body"]
        assert "RATING_NOT_ALLOWED" in answer["body"]
        assert "Only resolved or closed tickets can be rated" in answer["body"]
    assert rated(ticket_id) == (None, None)


def test_a_bad_score_is_the_validation_page() -> None:
    ticket_id = resolved()
    token = token_for(ticket_id, "alice")
    for score in ("9", "0", "x"):
        answer = rate(token, score)
        assert answer["statusCode"] == 422 and "VALIDATION_FAILED" in answer["body"], score
    # an unknown ?score= preselects nothing (the page still opens)
    page = console(None, f"/app/rate/{token}", query="score=9")
    assert page["statusCode"] == 200 and "checked" not in page["body"]
    assert rated(ticket_id) == (None, None)


def test_a_guest_rates_her_ticket_by_the_link() -> None:
    from helpdesk import desk, guests
    from helpdesk.models.public import PublicTicketRequest
    from helpdesk.models.staff import StaffReplyRequest

    # Given a guest's ticket (from the public form), resolved by an agent
    made = guests.create(
        PublicTicketRequest.model_validate(
            {
                "first_name": "Gail",
                "last_name": "Guest",
                "email": "gail@example.com",
                "subject": "Invoice question",
                "message": "Where is my invoice?",
            }
        ),
        "198.51.100.7",
    )
    desk.reply(AGENT, made.id, StaffReplyRequest(message="Sent", next_status="resolved"))
    guest = guests.guest_user_id("gail@example.com")
    token = token_for(made.id, guest)

    # When she opens the link and sends the form, signed out
    assert console(None, f"/app/rate/{token}", query="score=5")["statusCode"] == 200
    assert rate(token, "5", "Thanks")["statusCode"] == 303

    # Then the rating is hers
    assert rated(made.id) == (5, "Thanks")
    from helpdesk.store import feed as store_feed

    ticket = store_tickets.get_ticket(made.id)
    assert ticket is not None
    events = store_feed.get_events([(made.id, ticket.event_seq)])
    (event,) = events.values()
    assert event.type == "rated" and event.actor_id == guest


def test_an_erased_requesters_rating_links_open_nothing() -> None:
    from helpdesk import housekeeping
    from helpdesk.models.housekeeping import EraseRequest

    # Given Alice's resolved ticket and its link, which works
    ticket_id = resolved()
    token = token_for(ticket_id, "alice")
    assert console(None, f"/app/rate/{token}", query="score=5")["statusCode"] == 200
    # When she is erased
    housekeeping.erase_requester(ADMIN, "alice", EraseRequest(confirm="alice"))
    # Then the link is the 404 page, opened or posted, and no rating is stored
    for answer in (console(None, f"/app/rate/{token}", query="score=5"), rate(token, "5", "x")):
        assert answer["statusCode"] == 404, answer["body"]
    assert rated(ticket_id) == (None, None)

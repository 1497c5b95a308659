"""The agent's workspace in the console (issue 22): the queue's combinable filters (kept
across pages, the total or "more", the layer's message on a refused combination), relative
times with the exact time on hover, and the new ticket for a customer (`desk.create_for`, as
POST /admin/tickets)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from helpdesk import clock
from tests.conftest import settle
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


def intake(subject: str, **fields: Any) -> str:
    """A ticket an agent opened for Alice, with the given staff fields."""
    from helpdesk import desk
    from helpdesk.models.staff import StaffCreateTicketRequest

    body = {"requester_id": "alice", "subject": subject, "message": "On the phone"} | fields
    made = desk.create_for(AGENT, StaffCreateTicketRequest.model_validate(body)).id
    settle()  # the list indexer follows, as in AWS
    return made


def subjects(body: str) -> set[str]:
    return set(re.findall(r'<a href="/dev/app/queue/tkt_\w+">([^<]+)</a>', body))


def more_link(body: str) -> str | None:
    found = re.search(r'<a href="/dev/app/queue\?([^"]*)" data-more>', body)
    return html.unescape(found.group(1)) if found else None


# ------------------------------------------------------------------ combinable filters


def test_the_queue_combines_filters_and_keeps_them_across_pages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console import agent

    # Given Alice's profile, and tickets with several priorities and tags
    open_ticket(ALICE, "Plain one")
    wanted = {f"Urgent vip {i}" for i in range(3)}
    for s in sorted(wanted):
        intake(s, priority="high", tags=["vip"])
    intake("High, no tag", priority="high")
    intake("Vip, normal", tags=["vip"])
    intake("High vip, resolved", priority="high", tags=["vip"], status="resolved")
    monkeypatch.setattr(agent, "PAGE", 2)  # pages of two: the filters must follow

    # When an agent filters by two statuses, a priority and a tag at once, page after page
    query = "status=open&status=in_progress&priority=high&tag=vip"
    seen: set[str] = set()
    first = console(AGENT, "/app/queue", query=query)
    body = first["body"]
    pages = 0
    while True:
        pages += 1
        assert pages < 10
        seen |= subjects(body)
        link = more_link(body)
        if link is None:
            break
        # Then the next page's link keeps every filter
        kept = parse_qs(link)
        assert kept.pop("cursor") and kept == {
            "status": ["open", "in_progress"],
            "priority": ["high"],
            "tag": ["vip"],
        }
        answer = console(AGENT, "/app/queue", query=link)
        assert answer["statusCode"] == 200, answer["body"]
        body = answer["body"]

    # Then exactly the tickets meeting all of them, over more than one page
    assert first["statusCode"] == 200, first["body"]
    assert seen == wanted and pages >= 2
    # And the form shows what is applied: both statuses ticked, the priority and the tag
    form = first["body"]
    assert '<input type="checkbox" name="status" value="open" checked>' in form
    assert '<input type="checkbox" name="status" value="in_progress" checked>' in form
    assert '<input type="checkbox" name="status" value="resolved">' in form
    assert '<option value="high" selected>' in form and 'name="tag" value="vip"' in form
    # And a combined filter has no exact count: the page says more may match
    total = re.search(r"<small data-total>\(([^)]*)\)</small>", form)
    assert total and total.group(1) == "2 shown, more may match"


def test_an_exact_filter_shows_its_total_and_the_comma_form_works() -> None:
    # Given three high-priority tickets and one normal
    open_ticket(ALICE, "Plain one")
    for i in range(3):
        intake(f"High {i}", priority="high")

    # When an agent filters by one priority, and by statuses written as the API takes them
    one = console(AGENT, "/app/queue", query="priority=high")
    comma = console(AGENT, "/app/queue", query="status=open,in_progress&unread=1")

    # Then the exact list's total is shown
    assert one["statusCode"] == 200 and "<small data-total>(3)</small>" in one["body"]
    assert comma["statusCode"] == 200, comma["body"]
    assert 'name="unread" value="1" checked' in comma["body"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("external_ref=nocolon&priority=high", 400, "external_ref is &lt;name&gt;:&lt;value&gt;"),
        ("priority=soon&tag=vip", 422, "priority: not a known value"),
        ("status=open&status=sleeping", 422, "status must be one or more of"),
        ("number=abc&tag=vip", 422, "number: a ticket number"),
        ("tag=" + "x" * 300, 422, "tag: at most 254 characters"),
        ("sort=random", 422, "sort: one of activity, created, updated"),
        ("priority=high&cursor=garbage", 400, "INVALID_CURSOR"),
    ],
)
def test_a_refused_combination_shows_the_layers_message_above_the_form(
    query: str, status: int, message: str
) -> None:
    # When an agent sends filters the API would refuse
    result = console(AGENT, "/app/queue", query=query)

    # Then the queue page answers with the refusal's status and message, never a 500,
    # and keeps the form (with the values sent) so the agent can fix it
    assert result["statusCode"] == status, result["body"]
    assert "data-filter-error" in result["body"] and message in result["body"]
    assert 'class="filters queue-filters"' in result["body"]


def test_a_cursor_of_other_filters_is_refused_not_a_500() -> None:
    from console import agent

    open_ticket(ALICE, "Plain one")
    for i in range(3):
        intake(f"High {i}", priority="high")
    agent.PAGE, old = 1, agent.PAGE
    try:
        link = more_link(console(AGENT, "/app/queue", query="priority=high")["body"])
    finally:
        agent.PAGE = old
    assert link is not None
    cursor = link.split("cursor=", 1)[1]

    # When the cursor is sent with other filters
    result = console(AGENT, "/app/queue", query=f"tag=vip&cursor={cursor}")

    # Then the layer's refusal is shown
    assert result["statusCode"] == 400 and "INVALID_CURSOR" in result["body"]


def test_a_customer_gets_no_queue_and_no_intake_form() -> None:
    for path in ("/app/queue", "/app/queue/new"):
        result = console(ALICE, path)
        assert result["statusCode"] == 403 and "FORBIDDEN" in result["body"]
        assert "queue-filters" not in result["body"] and "requester_email" not in result["body"]


# ------------------------------------------------------------------ relative times


@pytest.fixture
def later() -> Iterator[Any]:
    """Move the functions' clock (`helpdesk.clock`, as the local runner's set clock does)."""
    yield clock.set_offset
    clock.set_offset(0)


def test_pages_show_relative_times_with_the_exact_time_on_hover(later: Any) -> None:
    from helpdesk import desk
    from helpdesk.models.staff import StaffReplyRequest

    # Given Alice's ticket with an agent's reply, five minutes ago
    ticket_id = open_ticket(ALICE, "Printer jam")
    desk.reply(AGENT, ticket_id, StaffReplyRequest(message="On it"))
    shown = desk.get_ticket(AGENT, ticket_id)
    later(300)

    # When Alice, then the agent, open the pages that print times
    pages = {
        "my tickets": console(ALICE, "/app/tickets"),
        "thread": console(ALICE, f"/app/tickets/{ticket_id}"),
        "queue": console(AGENT, "/app/queue"),
        "staff thread": console(AGENT, f"/app/queue/{ticket_id}"),
    }

    # Then each shows "5 min ago" in a <time> whose datetime and title are the exact time
    stamp = shown.messages[0].created_at[:19] + "Z"
    tag = f'<time datetime="{stamp}" title="{stamp}">5 min ago</time>'
    for name, answer in pages.items():
        assert answer["statusCode"] == 200, (name, answer["body"])
        assert re.search(r'<time datetime="[^"]+" title="[^"]+">5 min ago</time>', answer["body"])
        assert not re.search(r">\d{4}-\d\d-\d\dT[\d:.]+Z<", answer["body"]), name  # no raw stamp
    assert tag in pages["thread"]["body"] and tag in pages["staff thread"]["body"]
    # And the staff history's events, and the thread's messages, are relative too
    history = re.search(r'<ol class="events">(.*?)</ol>', pages["staff thread"]["body"], re.S)
    assert history and "5 min ago</time> created" in history.group(1)


def test_webhook_deliveries_show_when(monkeypatch: pytest.MonkeyPatch, later: Any) -> None:
    from helpdesk import settings
    from local.webhook_receiver import receiving

    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
    settings.webhook_settings.cache_clear()
    with receiving() as rx:
        form = {"csrf": csrf_for(ADMIN), "action": "create", "url": rx.url, "events": "*"}
        assert console(ADMIN, "/app/webhooks", method="POST", form=form)["statusCode"] == 200
        hook = re.search(r'<tr data-id="(wh_\w+)"', console(ADMIN, "/app/webhooks")["body"])
        assert hook
        form = {"csrf": csrf_for(ADMIN), "action": "ping", "id": hook.group(1)}
        console(ADMIN, "/app/webhooks", method="POST", form=form)
        rx.wait_for(lambda r: len(r) == 1, timeout=5)
    later(7200)
    body = console(ADMIN, "/app/webhooks")["body"]
    assert re.search(
        r"HTTP 200 · <time datetime=\"[^\"]+\" title=\"[^\"]+\">2 hours ago</time>", body
    )
    assert re.search(r"since <time [^>]+>2 hours ago</time>", body)


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("before", "said"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=59), "59 min ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=11, minutes=59), "11 hours ago"),
        (timedelta(hours=30), "yesterday"),  # 30 Nov, 06:00
        (timedelta(hours=37), "2 days ago"),  # 29 Nov, 23:00
        (timedelta(days=6), "6 days ago"),
        (timedelta(days=20), "11 Nov"),
        (timedelta(days=400), "27 Oct 2025"),
        (timedelta(seconds=-30), "just now"),  # a clock a little ahead
        (timedelta(minutes=-10), "in 10 min"),
    ],
)
def test_relative_wording(before: timedelta, said: str) -> None:
    from console.times import relative

    assert relative(NOW - before, NOW) == said


def test_a_time_tag_escapes_and_never_fails() -> None:
    from console.times import time_tag

    assert time_tag(None, NOW) == "—"
    assert str(time_tag("<b>soon</b>", NOW)) == "&lt;b&gt;soon&lt;/b&gt;"
    tag = str(time_tag("2026-12-01T11:54:30.123456Z", NOW))
    exact = "2026-12-01T11:54:30Z"
    assert tag == f'<time datetime="{exact}" title="{exact}">5 min ago</time>'


# ------------------------------------------------------------------ new ticket for a customer


def intake_form(**fields: str) -> dict[str, str]:
    return {
        "csrf": csrf_for(AGENT),
        "subject": "Cannot log in",
        "message": "Called at 9: the password reset mail never came.",
        "channel": "phone",
        "priority": "high",
        "tags": "login, VIP",
        "cc": "boss@example.com",
        "assignee_id": "me",
    } | fields


def created_id(answer: dict[str, Any]) -> str:
    assert answer["statusCode"] == 303, answer["body"]
    found = re.fullmatch(r"/dev/app/queue/(tkt_\w+)", answer["headers"]["location"])
    assert found, answer["headers"]["location"]
    return found.group(1)


def test_an_agent_opens_a_ticket_for_a_known_requester() -> None:
    from helpdesk import catalog, desk
    from helpdesk.models.catalog import DepartmentCreateRequest

    # Given Alice's profile (she has a ticket) and a department
    open_ticket(ALICE, "Earlier")
    dep = catalog.create_department(ADMIN, DepartmentCreateRequest(name="Accounts"))

    # When the agent opens the form, then posts it with her id
    form_page = console(AGENT, "/app/queue/new")
    answer = console(
        AGENT,
        "/app/queue/new",
        method="POST",
        form=intake_form(requester_id="alice", department_id=dep.id),
    )

    # Then the form offered the department, and the answer is the new ticket's staff page
    assert form_page["statusCode"] == 200 and f'<option value="{dep.id}">' in form_page["body"]
    ticket_id = created_id(answer)
    t = desk.get_ticket(AGENT, ticket_id)
    assert (t.requester_id, t.guest, t.channel, t.opened_by) == ("alice", False, "phone", "agnes")
    assert (t.priority, t.assignee_id, t.department_id) == ("high", "agnes", dep.id)
    assert t.tags == ["login", "vip"] and t.cc == ["boss@example.com"]
    assert t.messages[0].author_id == "alice" and t.messages[0].side == "customer"
    page = console(AGENT, f"/app/queue/{ticket_id}")["body"]
    assert "Cannot log in" in page and "by agnes (phone)" in page


def test_an_unknown_email_becomes_a_guest() -> None:
    from helpdesk import desk

    # When the agent opens a ticket for an address nobody signed up with
    answer = console(
        AGENT,
        "/app/queue/new",
        method="POST",
        form=intake_form(
            requester_email="Walk.In@Example.org", requester_name="Walk In", channel="chat"
        ),
    )

    # Then the ticket is a guest's, by that address
    t = desk.get_ticket(AGENT, created_id(answer))
    assert t.guest and t.requester.email == "walk.in@example.org"
    assert t.requester_name == "Walk In" and t.channel == "chat"


def test_a_post_without_the_csrf_token_is_refused() -> None:
    # When a form without (or with another session's) token is posted
    missing = console(AGENT, "/app/queue/new", method="POST", form=intake_form(csrf=""))
    forged = console(AGENT, "/app/queue/new", method="POST", form=intake_form(csrf="x" * 20))

    # Then each is the 403 CSRF page, and no ticket was opened
    for answer in (missing, forged):
        assert answer["statusCode"] == 403 and "CSRF_TOKEN_INVALID" in answer["body"]
    assert "Cannot log in" not in console(AGENT, "/app/queue")["body"]


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({}, 422, "Give either requester ({email, name}) or requester_id"),
        (
            {"requester_id": "alice", "requester_email": "a@example.com", "requester_name": "A"},
            422,
            "Give either requester",
        ),
        ({"requester_email": "not-an-address", "requester_name": "X"}, 422, "requester.email"),
        ({"requester_id": "nobody"}, 404, "REQUESTER_NOT_FOUND"),
        ({"requester_id": "alice", "channel": "pigeon"}, 422, "channel"),
        ({"requester_id": "alice", "assignee_id": "ghost"}, 422, "ASSIGNEE_UNKNOWN"),
        ({"requester_id": "alice", "subject": "  "}, 422, "subject"),
    ],
)
def test_a_refused_form_shows_why_and_keeps_what_was_typed(
    fields: dict[str, str], status: int, message: str
) -> None:
    open_ticket(ALICE, "Earlier")

    # When the agent posts a form the layer refuses
    answer = console(AGENT, "/app/queue/new", method="POST", form=intake_form(**fields))

    # Then the form comes back with the reason above it and the values typed
    assert answer["statusCode"] == status, answer["body"]
    body = answer["body"]
    assert "data-form-error" in body and html.escape(message, quote=False) in body
    assert "Called at 9: the password reset mail never came." in body
    assert 'name="tags" value="login, VIP"' in body
    assert "Cannot log in" not in console(AGENT, "/app/queue")["body"]


# ------------------------------------------------------------------ saved views (sidebar)


def test_the_queue_has_a_sidebar_of_views_with_counts_linking_to_each() -> None:
    from helpdesk import views
    from helpdesk.models.views import ViewCreateRequest

    # Given high-priority tickets and an agent's personal view of them
    open_ticket(ALICE, "Plain one")
    for i in range(2):
        intake(f"Hot {i}", priority="high")
    made = views.create_view(
        AGENT, ViewCreateRequest(name="Hot ones", filter={"priorities": ["high"]})
    )
    settle()  # its backfill, from the view's stream record

    # When the agent opens the queue
    body = console(AGENT, "/app/queue")["body"]

    # Then the sidebar lists the five defaults and his view, each with its count
    sidebar = body.split('<nav class="views"', 1)[1].split("</nav>", 1)[0]
    assert "My open tickets" in sidebar and "Recently solved" in sidebar
    link = f'href="/dev/app/queue?view={made.id}" data-view="{made.id}"'
    assert link in sidebar
    entry = sidebar.split(link, 1)[1].split("</li>", 1)[0]
    assert '<span class="badge" data-count>2</span>' in entry and "(personal)" in entry

    # And the view's page lists its tickets under its name, with its exact total
    page = console(AGENT, "/app/queue", query=f"view={made.id}")
    assert page["statusCode"] == 200, page["body"]
    assert subjects(page["body"]) == {"Hot 0", "Hot 1"}
    assert "<h1>Hot ones <small data-total>(2)</small>" in page["body"]
    assert 'aria-current="page">Hot ones</a>' in page["body"]

    # And another agent's sidebar does not have it
    from tests.handlers.test_web_console import who

    other = console(who("bob", "agent"), "/app/queue")["body"]
    assert made.id not in other


# ------------------------------------------------------------------ service levels (issue 23)


def test_the_ticket_page_shows_its_service_levels_and_the_queue_filters_by_them(
    later: Any,
) -> None:
    from helpdesk import slapolicies
    from helpdesk.models.sla import SlaPolicyCreateRequest

    # Given an urgent ticket's first reply due within an hour (calendar time), and a low one
    # with no target
    slapolicies.create_policy(
        ADMIN,
        SlaPolicyCreateRequest.model_validate(
            {"name": "Urgent", "targets": {"urgent": {"first_reply": {"minutes": 60}}}}
        ),
    )
    open_ticket(ALICE, "Hello")  # Alice is a requester
    urgent = intake("Server down", priority="urgent")
    intake("A question", priority="low")

    # When an agent opens the urgent ticket
    page = console(AGENT, f"/app/queue/{urgent}")

    # Then its first reply shows as running, due in an hour, with its target
    assert page["statusCode"] == 200, page["body"]
    metric = re.search(r'<li class="sla-(\w+)" data-metric="first_reply">(.*?)</li>', page["body"])
    assert metric, page["body"]
    assert metric.group(1) == "active"
    assert re.search(r"\b(59|60) min left", metric.group(2)), metric.group(2)
    assert "(target 60 min, calendar)" in metric.group(2)

    # When the hour has passed, the queue filtered to breached tickets shows it alone, and
    # the filter is kept in the form; sorting by the nearest due time lists it too
    later(2 * 3600)
    breached = console(AGENT, "/app/queue", query="sla=breached")
    assert breached["statusCode"] == 200, breached["body"]
    assert subjects(breached["body"]) == {"Server down"}
    assert '<option value="breached" selected>' in breached["body"]
    by_due = console(AGENT, "/app/queue", query="sort=due")
    assert subjects(by_due["body"]) == {"Server down"}
    over = console(AGENT, f"/app/queue/{urgent}")
    assert re.search(
        r'data-metric="first_reply"><strong>first reply</strong> breached', over["body"]
    )
    li = re.search(r"data-metric=\"first_reply\">(.*?)</li>", over["body"])
    assert li and re.search(r"\b\d+ min over", li.group(1)), li and li.group(1)
    # and an unknown choice is the form's 422, not a 500
    assert console(AGENT, "/app/queue", query="sla=someday")["statusCode"] == 422

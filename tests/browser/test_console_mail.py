"""The console's mail pages in a real browser: Settings, and a resolved mail's rating link."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.browser.conftest import WAIT_MS, Runner
from tests.browser.test_console_flow import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="browser")]


def test_a_customer_turns_a_kind_of_mail_off_in_settings(
    browser: Any, runner: Runner, user: str
) -> None:
    # Given a signed-in customer
    page = sign_in(browser, runner, user, "customer")
    page.wait_for_url("**/app/tickets")

    # When she opens Settings from the navigation, unticks the answers from support and saves
    page.click("nav a:has-text('Settings')")
    page.wait_for_url("**/app/settings")
    box = "input[data-kind=staff_reply]"
    assert page.is_checked(box) and page.is_checked("input[data-kind=ticket_resolved]")
    page.uncheck(box)
    page.click("form.settings button[type=submit]")

    # Then the page says it is saved and shows the box unticked, after a reload too
    page.wait_for_selector("[data-saved]")
    page.reload()
    assert not page.is_checked(box) and page.is_checked("input[data-kind=ticket_resolved]")
    # And the API reads the same preferences
    with runner.client(user) as api:
        kinds = api.get("/me/notifications").json()["kinds"]
    assert kinds["staff_reply"] is False and kinds["ticket_resolved"] is True


def test_the_resolved_mails_rating_link_rates_signed_out(
    browser: Any, runner: Runner, user: str
) -> None:
    # Given a customer's ticket an agent resolved, and the resolved mail it sent her
    with runner.client(user) as me, runner.client(f"agent{user}", "agent") as agent:
        made = me.post("/tickets", json={"subject": f"Jammed {user}", "message": "Help"})
        assert made.status_code == 201, made.text
        ticket = made.json()
        done = agent.patch(f"/admin/tickets/{ticket['id']}", json={"status": "resolved"})
        assert done.status_code == 200, done.text
    box = httpx.get(f"{runner.url}/_local/outbox", timeout=30).json()["messages"]
    (mail,) = [m for m in box if m["to"] == [f"{user}@example.com"] and "resolved" in m["text"]]
    links = dict(re.findall(r"^ +(\d): (\S+)\s*$", mail["text"], re.M))
    assert sorted(links) == ["1", "2", "3", "4", "5"]

    # When she follows the link of score 4 in a browser that never signed in
    context = browser.new_context()
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(links["4"])

    # Then the page names the ticket with 4 chosen; she adds a comment and sends it
    assert page.inner_text("h1 .subject") == f"Jammed {user}"
    assert page.is_checked("input[name=rating][value='4']")
    page.fill("textarea[name=comment]", "Quick and kind.")
    page.click("form.rate button[type=submit]")
    page.wait_for_selector("[data-rated]")
    assert "rated 4/5" in page.inner_text(".meta")

    # And the rating is hers
    with runner.client(user) as me:
        view = me.get(f"/tickets/{ticket['id']}").json()
    assert view["rating"] == 4 and view["rating_comment"] == "Quick and kind."
    context.close()

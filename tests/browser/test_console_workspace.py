"""The agent's workspace in a real browser (issue 22): a ticket opened for a customer who
phoned, then found with several queue filters at once; relative times with the exact time
on hover."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import Runner
from tests.browser.test_console_flow import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="browser")]


def test_an_agent_opens_a_ticket_for_a_caller_and_finds_it_with_combined_filters(
    browser: Any, runner: Runner, user: str, screenshots: Path
) -> None:
    # Given an agent
    agent = sign_in(browser, runner, f"agent{user}", "agent")
    agent.wait_for_url("**/app/queue")
    subject = f"Caller cannot print {user}"

    # When they open a ticket for a caller nobody knows yet, from the navigation
    agent.click("nav a:has-text('New ticket for a customer')")
    agent.wait_for_url("**/app/queue/new")
    agent.fill("input[name=requester_email]", f"{user}@walk-in.example")
    agent.fill("input[name=requester_name]", "Walk In")
    agent.fill("input[name=subject]", subject)
    agent.fill("textarea[name=message]", "Phoned: the printer prints blank pages.")
    agent.select_option("select[name=channel]", "phone")
    agent.select_option("select[name=priority]", "high")
    agent.fill("input[name=tags]", f"{user}, printer")
    agent.fill("input[name=assignee_id]", "me")
    agent.screenshot(path=str(screenshots / "staff-new-ticket.png"), full_page=True)
    agent.click("form.intake button[type=submit]")

    # Then they are on the new ticket's staff page: the caller's message, by phone, a guest
    agent.wait_for_url("**/app/queue/tkt_*")
    assert agent.inner_text("h1 .subject") == subject
    assert "Phoned: the printer prints blank pages." in agent.inner_text(".thread")
    assert f"by agent{user} (phone)" in agent.inner_text("main")
    # And its times are relative, the exact time on hover
    opened = agent.locator(".meta time").first
    assert opened.inner_text() == "just now"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", opened.get_attribute("title") or "")
    assert opened.get_attribute("datetime") == opened.get_attribute("title")

    # When they filter the queue by a status, a priority, an assignee and a tag at once
    agent.goto(f"{runner.url}/app/queue")
    agent.check("input[name=status][value=open]")
    agent.check("input[name=status][value=in_progress]")
    agent.select_option("select[name=priority]", "high")
    agent.fill("input[name=assignee]", "me")
    agent.fill("input[name=tag]", user)
    agent.click("form.queue-filters button[type=submit]")
    agent.wait_for_selector(f"a:has-text('{subject}')")

    # Then the ticket is listed with its relative time, and every filter stays applied
    query = parse_qs(urlsplit(agent.url).query)
    assert query["status"] == ["open", "in_progress"] and query["priority"] == ["high"]
    assert query["assignee"] == ["me"] and query["tag"] == [user]
    row = agent.locator("tr", has_text=subject)
    assert "guest" in row.inner_text()
    assert row.locator("time").inner_text() == "just now"
    assert agent.is_checked("input[name=status][value=open]")
    assert agent.input_value("input[name=tag]") == user
    assert agent.locator("[data-total]").inner_text().startswith("(")
    agent.screenshot(path=str(screenshots / "queue-filters.png"), full_page=True)

    # When one more filter excludes it (low priority), the queue has nothing, no error
    agent.select_option("select[name=priority]", "low")
    agent.click("form.queue-filters button[type=submit]")
    agent.wait_for_url("**priority=low**")
    assert agent.locator("tr", has_text=subject).count() == 0
    assert agent.locator("[data-filter-error]").count() == 0

    # When a combination the layer refuses is sent, its message shows above the form
    agent.fill("input[name=external_ref]", "no-colon")
    agent.click("form.queue-filters button[type=submit]")
    agent.wait_for_selector("[data-filter-error]")
    assert "external_ref is <name>:<value>" in agent.inner_text("[data-filter-error]")
    assert agent.input_value("input[name=external_ref]") == "no-colon"


def test_a_refused_intake_keeps_the_form(browser: Any, runner: Runner, user: str) -> None:
    # Given an agent on the new-ticket form
    agent = sign_in(browser, runner, f"agent{user}", "agent")
    agent.wait_for_url("**/app/queue")
    agent.goto(f"{runner.url}/app/queue/new")

    # When they name a requester id that does not exist
    agent.fill("input[name=requester_id]", f"nobody{user}")
    agent.fill("input[name=subject]", "Lost")
    agent.fill("textarea[name=message]", "Who is this?")
    agent.click("form.intake button[type=submit]")

    # Then the form comes back with the layer's reason and what they typed
    agent.wait_for_selector("[data-form-error]")
    assert "REQUESTER_NOT_FOUND" in agent.inner_text("[data-form-error]")
    assert agent.input_value("textarea[name=message]") == "Who is this?"

"""The console in a real browser: a customer and an agent, one ticket, start to finish."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import WAIT_MS, Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="browser")]


def png(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG (red square), made here so the test ships no binary."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def sign_in(browser: Any, runner: Runner, user: str, role: str) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{runner.url}/app")
    page.wait_for_url("**/app/signin")
    page.fill("input[name=user]", user)
    page.select_option("select[name=role]", role)
    page.click("button:has-text('Sign in')")
    return page


def test_customer_and_agent_work_a_ticket(
    browser: Any, runner: Runner, user: str, screenshots: Path
) -> None:
    # Given a customer signed in through the development sign-in page
    customer = sign_in(browser, runner, user, "customer")
    customer.wait_for_url("**/app/tickets")
    subject = f"Printer on fire {user}"

    # When they open a ticket with a PNG attached (uploaded straight to S3 from the page)
    customer.click("a.button:has-text('New ticket')")
    customer.fill("input[name=subject]", subject)
    customer.fill("textarea[name=message]", "It smells of toner and smoke.")
    customer.select_option("select[name=priority]", "high")
    customer.set_input_files(
        "[data-file]", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": png()}]
    )
    customer.wait_for_selector(".uploads li[data-done]")
    customer.screenshot(path=str(screenshots / "new-ticket.png"))
    customer.click("[data-submit]")
    customer.wait_for_url("**/app/tickets/tkt_*")
    ticket_url = customer.url

    # Then the thread shows the message and the attachment
    assert customer.inner_text("h1 .subject") == subject
    assert "photo.png" in customer.inner_text(".thread")

    # When the customer follows the file's link (with the page's session cookie)
    link = customer.locator(".thread a[data-download]", has_text="photo.png")
    download = customer.request.get(f"{runner.url}{link.get_attribute('href')}")

    # Then it redirects to the stored file, served as an attachment
    assert download.ok and download.body() == png()
    assert download.headers["content-disposition"].startswith("attachment;")

    # Given an agent
    agent = sign_in(browser, runner, f"agent{user}", "agent")
    agent.wait_for_url("**/app/queue")

    # When the agent finds the ticket in the queue
    agent.goto(f"{runner.url}/app/queue?status=open")
    agent.wait_for_selector(f"a:has-text('{subject}')")
    agent.screenshot(path=str(screenshots / "queue.png"))
    agent.click(f"a:has-text('{subject}')")
    agent.wait_for_url("**/app/queue/tkt_*")

    # And adds an internal note, then replies and resolves the ticket
    agent.fill("textarea[name=message]", "Note: customer site has a known fire hazard.")
    agent.click("button[value=note]")
    agent.wait_for_selector(".message.internal")
    agent.fill("textarea[name=message]", "Please unplug it; a technician is on the way.")
    agent.select_option("select[name=next_status]", "resolved")
    agent.click("button[value=reply]")
    agent.wait_for_selector(".message.staff:not(.internal)")
    assert "resolved" in agent.inner_text(".meta")
    agent.screenshot(path=str(screenshots / "agent-ticket.png"), full_page=True)

    # Then the customer's list shows an unread badge
    customer.goto(f"{runner.url}/app/tickets")
    row = customer.locator("tr", has_text=subject)
    assert row.locator(".badge.unread").inner_text() == "1 new"
    customer.screenshot(path=str(screenshots / "my-tickets.png"))

    # And the thread shows the reply but never the internal note
    customer.goto(ticket_url)
    thread = customer.inner_text(".thread")
    assert "a technician is on the way" in thread
    assert "fire hazard" not in thread
    assert customer.locator(".message.internal").count() == 0

    # When the customer rates the resolved ticket
    customer.select_option("select[name=rating]", "5")
    customer.fill("input[name=comment]", "Quick and kind.")
    customer.click("form.rate button")
    customer.wait_for_selector(".meta:has-text('rated 5/5')")
    customer.screenshot(path=str(screenshots / "customer-ticket.png"), full_page=True)

    # Then the badge is gone (the thread was read)
    customer.goto(f"{runner.url}/app/tickets")
    assert customer.locator("tr", has_text=subject).locator(".badge.unread").count() == 0


def test_errors_show_as_a_page(browser: Any, runner: Runner, user: str) -> None:
    # Given a signed-in customer
    page = sign_in(browser, runner, user, "customer")
    page.wait_for_url("**/app/tickets")

    # When they open a ticket that does not exist, and a staff page
    response = page.goto(f"{runner.url}/app/tickets/tkt_doesnotexist")

    # Then each shows the layer's error as a readable message
    assert response is not None and response.status == 404
    assert page.inner_text(".problem .code") == "Error TICKET_NOT_FOUND"
    response = page.goto(f"{runner.url}/app/queue")
    assert response is not None and response.status == 403
    assert "support staff" in page.inner_text(".problem .detail")

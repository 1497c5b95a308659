"""The console's webhooks page in a real browser: an admin subscribes a receiver on
127.0.0.1, sees the secret once, pings it, watches the delivery in the log, redelivers it
and disables the subscription (issue 19, "Console")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from local.webhook_receiver import receiving
from tests.browser.conftest import Runner
from tests.browser.test_console_flow import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="browser")]


def test_an_admin_subscribes_pings_redelivers_and_disables(
    browser: Any, runner: Runner, user: str, screenshots: Path
) -> None:
    with receiving() as rx:
        # Given an admin on the webhooks page
        admin = sign_in(browser, runner, f"admin{user}", "admin")
        admin.goto(f"{runner.url}/app/webhooks")
        admin.wait_for_selector("h1:has-text('Webhooks')")

        # When they subscribe the receiver to one event type
        admin.fill("input[name=url]", rx.url)
        admin.fill("input[name=events]", "ticket.purged")
        admin.fill("input[name=description]", f"browser {user}")
        admin.click("button[value=create]")

        # Then the secret shows once, and the row is enabled with no delivery yet
        secret = admin.inner_text("#new-secret code.secret").strip()
        assert secret.startswith("whsec_")
        row = admin.locator("tr", has_text=f"browser {user}")
        assert "enabled" in row.inner_text() and "none yet" in row.inner_text()
        admin.screenshot(path=str(screenshots / "webhooks-created.png"), full_page=True)
        admin.goto(f"{runner.url}/app/webhooks")
        assert admin.locator("#new-secret").count() == 0  # shown once

        # When they ping it
        row.locator("button[value=ping]").click()
        (ping,) = rx.wait_for(lambda r: len(r) == 1, timeout=10)

        # Then the receiver verifies it with the secret the page showed
        assert ping.verifies(secret) and ping.payload["type"] == "webhook.ping"
        admin.goto(f"{runner.url}/app/webhooks")
        row = admin.locator("tr", has_text=f"browser {user}")
        assert "webhook.ping · delivered · 1 attempt · HTTP 200" in row.inner_text()

        # When they redeliver it: the same webhook-id arrives again
        row.locator("button[value=redeliver]").first.click()
        got = rx.wait_for(lambda r: len(r) == 2, timeout=10)
        assert got[1].id == ping.id and got[1].verifies(secret)
        admin.goto(f"{runner.url}/app/webhooks")
        row = admin.locator("tr", has_text=f"browser {user}")
        assert "2 attempts" in row.inner_text()

        # When they disable it: the row says so and ping is no longer offered
        row.locator("button[value=disable]").click()
        row = admin.locator("tr", has_text=f"browser {user}")
        assert "disabled" in row.inner_text()
        assert row.locator("button[value=ping]").is_disabled()
        admin.screenshot(path=str(screenshots / "webhooks-disabled.png"), full_page=True)
    assert len(rx.received) == 2

"""Saved views in a real browser (issue 22): the queue's sidebar lists the views with their
counts; an agent opens his view and sees its tickets under its name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Runner
from tests.browser.test_console_flow import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(name="browser")]


def test_an_agent_opens_a_view_from_the_sidebar(
    browser: Any, runner: Runner, user: str, screenshots: Path
) -> None:
    # Given two tickets tagged for this test and an agent's personal view of the tag
    agent_id = f"agent{user}"
    with runner.client(user) as me, runner.client(agent_id, "agent") as api:
        made = [
            me.post("/tickets", json={"subject": f"Scanner {n} {user}", "message": "m"}).json()
            for n in range(2)
        ]
        for t in made:
            patched = api.patch(
                f"/admin/tickets/{t['id']}", headers={"If-Match": t["etag"]}, json={"tags": [user]}
            )
            assert patched.status_code == 200, patched.text
        view = api.post("/admin/views", json={"name": f"Scanners {user}", "filter": {"tag": user}})
        assert view.status_code == 201, view.text
        view_id = view.json()["id"]

    # When the agent signs in, the queue's sidebar lists the view with its count
    page = sign_in(browser, runner, agent_id, "agent")
    page.wait_for_url("**/app/queue")
    link = page.locator(f"nav.views a[data-view='{view_id}']")
    assert link.inner_text() == f"Scanners {user}"
    entry = page.locator("nav.views li", has=page.locator(f"a[data-view='{view_id}']"))
    assert entry.locator("[data-count]").inner_text() == "2"
    assert page.locator("nav.views a", has_text="My open tickets").count() == 1

    # And following it opens the view: its name, its two tickets, their exact total
    link.click()
    page.wait_for_url(f"**/app/queue?view={view_id}")
    assert page.inner_text("h1").startswith(f"Scanners {user}")
    assert page.locator("[data-total]").inner_text() == "(2)"
    for t in made:
        assert page.locator("a", has_text=t["subject"]).count() == 1
    assert link.get_attribute("aria-current") == "page"
    page.screenshot(path=str(screenshots / "queue-views.png"), full_page=True)

"""The public contact form end to end: no account, a private link, staff see a guest."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Runner, start_runner
from tests.e2e.test_foundation import assert_problem

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def test_guest_opens_follows_and_replies_without_an_account(runner: Runner) -> None:
    email = f"guest{uuid.uuid4().hex[:8]}@example.com"
    with httpx.Client(base_url=runner.url, timeout=30) as anon:
        # Given someone without an account who fills in the contact form
        sent = anon.post(
            "/public/tickets",
            json={
                "first_name": "Gail",
                "last_name": "Guest",
                "email": email,
                "subject": "Invoice",
                "message": "Where is it?",
            },
        )
        assert sent.status_code == 201, sent.text
        ticket = sent.json()
        path = f"/public/tickets/{ticket['id']}"
        # When a staff member answers and the guest follows the link
        with runner.client("agnes", "agent") as staff:
            answered = staff.post(
                f"/admin/tickets/{ticket['id']}/messages", json={"message": "Sent"}
            )
            assert answered.status_code == 201, answered.text
            view = staff.get(f"/admin/tickets/{ticket['id']}").json()
        followed = anon.get(path, params={"token": ticket["token"]})
        replied = anon.post(
            f"{path}/messages",
            json={"message": "Got it"},
            headers={"X-Ticket-Token": ticket["token"]},
        )
        # Then the guest sees the thread and may reply; staff see a guest requester
        assert followed.status_code == 200, followed.text
        assert [m["body"] for m in followed.json()["messages"]] == ["Where is it?", "Sent"]
        assert replied.status_code == 201, replied.text
        assert view["requester"]["guest"] is True
        # And without the secret the ticket does not exist
        assert_problem(anon.get(path), 404, "TICKET_NOT_FOUND")
        assert_problem(anon.get(path, params={"token": "wrong"}), 404, "TICKET_NOT_FOUND")


def test_the_form_limits_are_template_parameters(tmp_path: Path) -> None:
    # Given a runner started with PublicFormIpLimit=1 (as `sam deploy --parameter-overrides`)
    with start_runner(tmp_path, PublicFormIpLimit="1") as limited:
        with httpx.Client(base_url=limited.url, timeout=30) as anon:
            form = {
                "first_name": "Ida",
                "last_name": "Ip",
                "email": "ida@example.com",
                "subject": "Limits",
                "message": "One per IP",
            }
            # When one IP sends a second form
            assert anon.post("/public/tickets", json=form).status_code == 201
            second = anon.post("/public/tickets", json=form | {"email": "ida2@example.com"})
    # Then it is refused with 429 and the form's policy
    assert second.status_code == 429, second.text
    assert second.json()["code"] == "RATE_LIMITED"
    assert second.headers["ratelimit-policy"] == "1;w=3600"

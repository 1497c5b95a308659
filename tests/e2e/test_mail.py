"""E-mail through the runner (sync pump): the notifier's mail lands in `GET /_local/outbox`
(moto's SES), threaded per ticket; notes mail no customer; an unsubscribed kind is not sent."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import start_runner

pytestmark = [pytest.mark.e2e]


def _outbox(client: httpx.Client) -> list[dict[str, Any]]:
    got = client.get("/_local/outbox")
    assert got.status_code == 200, got.text
    messages: list[dict[str, Any]] = got.json()["messages"]
    return messages


def test_mail_through_the_runner(tmp_path: Path) -> None:
    with start_runner(tmp_path) as runner:
        user = f"u{uuid.uuid4().hex[:10]}"
        me_addr = f"{user}@example.com"
        with (
            runner.client(user) as me,
            runner.client("agnes", "agent") as agent,
            runner.client() as anon,
        ):
            # A customer opens a ticket (with a cc) and gets the acknowledgement
            made = me.post(
                "/tickets", json={"subject": "Printer", "message": "Help", "cc": ["cc@example.com"]}
            )
            assert made.status_code == 201, made.text
            t = made.json()
            box = _outbox(anon)
            ack = [m for m in box if m["to"] == [me_addr]]
            assert len(ack) == 1 and ack[0]["subject"] == f"[#{t['number']}] Printer"
            assert ack[0]["from"].endswith("<support@example.com>")
            assert ack[0]["Message-ID"].endswith("@email.amazonses.com>")
            assert ack[0]["In-Reply-To"] is None and "received your request" in ack[0]["text"]
            assert ack[0]["List-Unsubscribe"].startswith(f"<{runner.url}/public/unsubscribe/")
            assert ack[0]["Reply-To"].startswith("support+")
            # An internal note mails no customer
            path = f"/tickets/{t['id']}/messages"
            note = agent.post(f"/admin{path}", json={"message": "grumpy", "internal": True})
            assert note.status_code == 201
            assert len(_outbox(anon)) == len(box)
            # An agent's public reply mails requester and cc, in the ticket's thread
            assert agent.post(f"/admin{path}", json={"message": "Try again"}).status_code == 201
            new = _outbox(anon)[len(box) :]
            assert sorted(a for m in new for a in m["to"]) == sorted([me_addr, "cc@example.com"])
            (reply,) = [m for m in new if m["to"] == [me_addr]]
            assert "Try again" in reply["text"] and "grumpy" not in reply["text"]
            assert reply["In-Reply-To"] == ack[0]["Message-ID"]
            assert reply["References"] == ack[0]["Message-ID"]
            assert reply["Reply-To"] == ack[0]["Reply-To"]  # per ticket and recipient
            # One click on the reply's unsubscribe link, signed out, stops replies
            link = reply["List-Unsubscribe"].strip("<>").removeprefix(runner.url)
            done = anon.post(
                link,
                content=b"List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert done.status_code == 200, done.text
            assert done.json() == {"email": me_addr, "kind": "staff_reply"}
            prefs = me.get("/me/notifications").json()
            assert prefs["kinds"]["staff_reply"] is False
            before = len(_outbox(anon))
            assert agent.post(f"/admin{path}", json={"message": "Again"}).status_code == 201
            assert [m["to"] for m in _outbox(anon)[before:]] == [["cc@example.com"]]
            # A forged link is refused with problem+json
            bad = anon.post(link[:-3] + "xyz")
            assert bad.status_code == 404
            assert bad.headers["content-type"] == "application/problem+json"
            assert bad.json()["code"] == "UNSUBSCRIBE_LINK_INVALID"
            # The stream's records were each delivered once and none failed
            streams = anon.get("/_local/streams").json()["functions"]
            assert streams["NotifyChangesFunction"]["failures"] == 0

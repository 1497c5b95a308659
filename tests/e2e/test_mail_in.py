"""Mail in through the runner: open a ticket, read the acknowledgement in the outbox, answer
it with `POST /_local/inbound` (as SES would store it), see only the new words on the ticket;
a changed subject, a cc colleague, an auto-reply and a redelivery (issue 21)."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e]


def _outbox(client: httpx.Client, to: str) -> list[dict[str, Any]]:
    got = client.get("/_local/outbox")
    assert got.status_code == 200, got.text
    return [m for m in got.json()["messages"] if m["to"] == [to]]


def _send(client: httpx.Client, msg: EmailMessage) -> None:
    got = client.post("/_local/inbound", content=msg.as_bytes())
    assert got.status_code == 202, got.text


def _answer(ack: dict[str, Any], sender: str, words: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = ack["Reply-To"]
    m["Subject"] = f"Re: {ack['subject']}"
    m["Message-ID"] = make_msgid(domain="mail.example.org")
    m["In-Reply-To"] = ack["Message-ID"]
    m["References"] = ack["Message-ID"]
    quoted = "\n".join(f"> {line}" for line in ack["text"].splitlines())
    m.set_content(f"{words}\n\nOn Mon, 1 Dec 2026, Support wrote:\n{quoted}\n")
    return m


def test_the_mail_loop_on_a_laptop(runner: Runner) -> None:
    user = f"u{uuid.uuid4().hex[:10]}"
    me_addr, colleague = f"{user}@example.com", f"c{user}@example.com"
    with (
        runner.client(user) as me,
        runner.client("agnes", "agent") as agent,
        runner.client() as anon,
    ):
        made = me.post(
            "/tickets", json={"subject": "Printer", "message": "Help", "cc": [colleague]}
        )
        assert made.status_code == 201, made.text
        t = made.json()
        (ack,) = _outbox(anon, me_addr)
        # The requester answers the acknowledgement from his mail client, twice delivered
        reply = _answer(ack, me_addr, "It is the printer on floor 3.")
        _send(anon, reply)
        _send(anon, reply)
        thread = me.get(f"/tickets/{t['id']}").json()["messages"]
        assert [m["body"] for m in thread] == ["Help", "It is the printer on floor 3."]
        # A changed subject and no token still routes by the headers
        later = _answer(ack, me_addr, "Still broken.")
        del later["To"], later["Subject"]
        later["To"], later["Subject"] = "support@example.com", "printer (again)"
        later["References"] = f"{ack['Message-ID']} <{reply['Message-ID'].strip('<>')}>"
        _send(anon, later)
        # The colleague on cc answers her copy: the same ticket, as herself
        (cc_ack,) = _outbox(anon, colleague)
        _send(anon, _answer(cc_ack, colleague, "Same here."))
        thread = me.get(f"/tickets/{t['id']}").json()["messages"]
        assert [m["body"] for m in thread][2:] == ["Still broken.", "Same here."]
        assert thread[3]["author_id"].startswith("guest_")
        # An out-of-office reply creates nothing and is listed with its reason
        ooo = _answer(ack, me_addr, "I am away until Monday.")
        ooo["Auto-Submitted"] = "auto-replied"
        _send(anon, ooo)
        assert len(me.get(f"/tickets/{t['id']}").json()["messages"]) == 4
        dropped = agent.get("/admin/inbound", params={"status": "dropped"}).json()["items"]
        mine = [d for d in dropped if d["sender"] == me_addr]
        assert mine and mine[0]["reason"] == "auto_submitted"
        # and staff can open the original of what came in
        accepted = agent.get("/admin/inbound", params={"status": "accepted"}).json()["items"]
        entry = next(a for a in accepted if a["ticket_id"] == t["id"])
        detail = agent.get(f"/admin/inbound/{entry['id']}").json()
        raw = httpx.get(detail["raw_url"])
        assert raw.status_code == 200 and b"Message-ID" in raw.content
        assert me.get(f"/admin/inbound/{entry['id']}").status_code == 403

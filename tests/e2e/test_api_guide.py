"""docs/api.md's sh blocks run, in order, against the runner (docs stay true)."""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import Runner

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def documents(text: str) -> list[dict[str, Any]]:
    docs, decoder, text = [], json.JSONDecoder(), text.strip()
    while text:
        if text[0] != "{":
            text = text.split("\n", 1)[1].strip() if "\n" in text else ""
            continue
        doc, end = decoder.raw_decode(text)
        docs.append(doc)
        text = text[end:].strip()
    return docs


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_api_guide_examples(runner: Runner) -> None:
    guide = (ROOT / "docs" / "api.md").read_text()
    script = "\n".join(re.findall(r"```sh\n(.*?)```", guide, re.S))
    stdout = runner.run_sh(script)
    docs = documents(stdout)
    codes = [d.get("code") for d in docs if "code" in d]
    # the errors the guide shows, in order
    assert codes == [
        "TOKEN_MISSING",
        "VALIDATION_FAILED",
        "TICKET_NOT_FOUND",
        "TICKET_CLOSED",
        "TICKET_NOT_FOUND",
        "PRECONDITION_FAILED",  # the staff desk: a stale If-Match
        "AGENT_UNKNOWN",  # a department's agents: an id not in the staff directory
        "FORBIDDEN",  # saved views: an agent may not share a view
        "FORBIDDEN",  # housekeeping: an agent may not delete
        "TICKET_NOT_FOUND",  # a deleted ticket, for its requester
        "TICKET_NOT_FOUND",  # the public form: a wrong link secret
        "SPAM_SUSPECTED",  # the honeypot
    ], codes
    retried = [d for d in docs if d.get("subject") == "Invoice 4711 is wrong"]
    assert len(retried) == 2 and retried[0]["id"] == retried[1]["id"]
    assert "204" in stdout  # the presigned upload
    # the saved view: the agent's PRINTER ticket (assigned to him, tagged hardware) on it
    listed = [[v.get("name") for v in d.get("items") or []] for d in docs]
    assert any("My open tickets" in names and "My hardware" in names for names in listed)
    on_view = [d for d in docs if d.get("total") == 1 and d.get("items")]
    assert any(d["items"][0].get("subject") == "Printer jams" for d in on_view)
    attached = [d for d in docs if d.get("subject") == "Screenshot"]
    assert attached and attached[0]["attachments"][0]["file_name"] == "shot.png"
    # the internal note is echoed to the agent once and never shown in Alice's view
    assert stdout.count("check the warranty") == 1
    by_ref = [
        d
        for d in docs
        if "items" in d and any(i.get("subject") == "Printer jams" for i in d["items"])
    ]
    assert by_ref, "the external_ref filter found the ticket"
    merged = [d for d in docs if "messages_moved" in d]
    assert merged and merged[0]["messages_moved"] >= 1
    followed = [d for d in docs if d.get("subject") == "Do you ship to Norway?" and "messages" in d]
    assert followed, "the visitor read the ticket with the link secret"
    guest_reply = [
        d
        for d in docs
        if isinstance(d.get("message"), dict) and d["message"].get("body") == "To Tromso, ideally."
    ]
    assert guest_reply, "the visitor replied with the secret in ?token="

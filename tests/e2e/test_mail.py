"""E-mail through the runner (sync pump): the notifier's mail lands in `GET /_local/outbox`
(moto's SES), threaded per ticket; notes mail no customer; an unsubscribed kind is not sent."""

from __future__ import annotations

import json
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
            assert streams["ProcessChangesFunction"]["failures"] == 0
            # A replayed stream batch (every FEED record again, to the notifier as the
            # runner's workers run it: same backend, same environment) sends nothing twice
            sent = len(_outbox(anon))
            _replay_feed(runner, tmp_path)
            assert len(_outbox(anon)) == sent


def test_a_bounce_suppresses_the_address_until_an_admin_lifts_it(tmp_path: Path) -> None:
    with start_runner(tmp_path) as runner:
        user = f"u{uuid.uuid4().hex[:10]}"
        me_addr = f"{user}@example.com"
        with (
            runner.client(user) as me,
            runner.client("agnes", "agent") as agent,
            runner.client("adam", "admin") as admin,
            runner.client() as anon,
        ):
            made = me.post("/tickets", json={"subject": "Printer", "message": "Help"})
            assert made.status_code == 201, made.text
            path = f"/admin/tickets/{made.json()['id']}"
            # SES reports a hard bounce of the customer's address (as its configuration
            # set publishes it: the topic's raw delivery to the mail events queue)
            sent = anon.post("/_local/mail-events", json={"type": "bounce", "email": me_addr})
            assert sent.status_code == 202, sent.text
            assert sent.json()["queues"] == ["MailEventsQueue"]
            # Then staff see it in the list and on the ticket
            listed = agent.get("/admin/suppressions").json()["items"]
            assert [(s["email"], s["reason"]) for s in listed] == [(me_addr, "bounce")]
            assert [u["email"] for u in agent.get(path).json()["undeliverable"]] == [me_addr]
            # and an agent's reply mails nobody
            before = len(_outbox(anon))
            assert agent.post(f"{path}/messages", json={"message": "Hi"}).status_code == 201
            assert len(_outbox(anon)) == before
            # An admin lifts it: the next reply reaches the customer
            assert admin.delete(f"/admin/suppressions/{me_addr}").status_code == 204
            assert agent.get(path).json()["undeliverable"] == []
            assert agent.post(f"{path}/messages", json={"message": "Again"}).status_code == 201
            assert [m["to"] for m in _outbox(anon)[before:]] == [[me_addr]]
            # A malformed request to the development route is a problem, not a crash
            bad = anon.post("/_local/mail-events", json={"type": "delivery", "email": "x"})
            assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_FAILED"


REPLAY = """
import json, sys
sys.path.insert(0, "functions/process_changes")
import app
class Context:
    function_name = "ProcessChangesFunction"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:notify"
    aws_request_id = "replay"
    def get_remaining_time_in_millis(self):
        return 30000
print(json.dumps(app.lambda_handler(json.load(sys.stdin), Context())))
"""


def _replay_feed(runner: Any, state: Path) -> None:
    """Every FEED item of the runner's table, as stream INSERT records, to the notifier in a
    process of its own with the runner's backend (as a retried stream batch would come)."""
    import os
    import re
    import subprocess
    import sys

    import boto3

    from tests.conftest import ROOT

    log = (state / "runner.log").read_text()
    endpoint = re.search(r"backend : moto at (\S+)", log)
    assert endpoint, log
    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=endpoint[1],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    table = "helpdesk-local-tickets"
    items = ddb.query(
        TableName=table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "FEED"}},
    )["Items"]
    assert items
    records = [
        {
            "eventID": str(n),
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": {"PK": i["PK"], "SK": i["SK"]},
                "NewImage": i,
                "SequenceNumber": str(n),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
        }
        for n, i in enumerate(items)
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | creds
    env |= {
        "AWS_ENDPOINT_URL": endpoint[1],
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "TABLE_NAME": table,
        "CONSOLE_SIGNING_KEY_ID": "helpdesk-local/ConsoleSigningKey",
        "PUBLIC_BASE_URL": runner.url,
        "PYTHONPATH": f"{ROOT}/layers/shared:{ROOT}",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    out = subprocess.run(
        [sys.executable, "-c", REPLAY],
        input=json.dumps({"Records": records}),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"batchItemFailures": []}

"""Webhooks end to end on the runner as `make run` serves it (async pump, the backoff shortened
through template parameters): receivers on 127.0.0.1 verify every delivery with the
`standardwebhooks` package (docs/design.md 2., "Webhooks")."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.webhook_receiver import Receiver, receiving
from tests.e2e.conftest import Runner, start_runner

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def hooks_runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """A runner of this module's own: the async pump (retries wait out their delays on its
    thread) and a 1-2 s backoff. The change-type test uses the session's (sync) runner,
    whose workers the other e2e tests have warmed."""
    with start_runner(
        tmp_path_factory.mktemp("webhooks"),
        pump="async",
        WebhookRetryBaseSeconds="1",
        WebhookRetryMaxSeconds="2",
        WriteLimit="100000",
    ) as started:
        yield started


@pytest.fixture
def admin(hooks_runner: Runner) -> Iterator[httpx.Client]:  # a fresh token per test
    with hooks_runner.client("adam", "admin") as client:
        yield client


def subscribe(admin: httpx.Client, rx: Receiver, events: list[str]) -> dict[str, Any]:
    made = admin.post("/admin/webhooks", json={"url": rx.url, "events": events})
    assert made.status_code == 201, made.text
    return dict(made.json())


def open_ticket(runner: Runner, user: str, subject: str = "Printer") -> dict[str, Any]:
    with runner.client(user) as me:
        made = me.post("/tickets", json={"subject": subject, "message": "Help"})
        assert made.status_code == 201, made.text
        return dict(made.json())


def test_every_kind_of_change_arrives_signed_with_its_type(runner: Runner) -> None:
    user = f"u{uuid.uuid4().hex[:10]}"
    with (
        receiving() as rx,
        runner.client("agnes", "agent") as agent,
        runner.client("adam", "admin") as admin,
    ):
        hook = subscribe(admin, rx, ["*"])
        a, b = open_ticket(runner, user), open_ticket(runner, user, "Toner")
        path = f"/admin/tickets/{a['id']}"
        assert agent.post(f"{path}/messages", json={"message": "on it"}).status_code == 201
        note = agent.post(f"{path}/messages", json={"message": "n", "internal": True})
        assert note.status_code == 201
        etag = agent.get(path).json()["etag"]
        assigned = agent.patch(path, json={"assignee_id": "agnes"}, headers={"If-Match": etag})
        assert assigned.status_code == 200, assigned.text
        assert admin.delete(f"/admin/tickets/{b['id']}").status_code == 200
        assert admin.post(f"/admin/tickets/{b['id']}/restore").status_code == 200
        merged = agent.post(f"/admin/tickets/{b['id']}/merge", json={"target_id": a["id"]})
        assert merged.status_code == 200, merged.text
        erased = admin.post(f"/admin/requesters/{user}/erase", json={"confirm": user})
        assert erased.status_code == 200, erased.text
        wanted = {
            "ticket.created",
            "message.created",
            "note.created",
            "ticket.assigned",
            "ticket.deleted",
            "ticket.restored",
            "ticket.merged",
            "requester.erased",
        }
        got = rx.wait_for(lambda r: wanted <= {x.payload["type"] for x in r}, timeout=20)
        assert admin.delete(f"/admin/webhooks/{hook['id']}").status_code == 204
    mine = [r for r in got if r.payload["ticket_id"] in (a["id"], b["id"])]
    assert all(r.verifies(hook["secret"]) for r in mine)
    assert all(r.id == r.payload["id"] for r in mine)
    assert len({r.id for r in mine}) == len(mine)  # each change once
    (merge,) = [r.payload for r in mine if r.payload["type"] == "ticket.merged"]
    assert merge["data"]["source_id"] == b["id"] and merge["data"]["target_id"] == a["id"]


def test_503_twice_then_200_is_three_attempts_with_one_webhook_id(
    hooks_runner: Runner, admin: httpx.Client
) -> None:
    with receiving(script=[(503, {}), (503, {})]) as rx:
        hook = subscribe(admin, rx, ["ticket.created"])
        open_ticket(hooks_runner, f"u{uuid.uuid4().hex[:10]}")
        got = rx.wait_for(lambda r: len(r) >= 3, timeout=20)
        time.sleep(0.5)
        assert len(rx.received) == 3
    assert len({r.id for r in got}) == 1 and all(r.verifies(hook["secret"]) for r in got)
    log = admin.get(f"/admin/webhooks/{hook['id']}/deliveries").json()["items"]
    assert [(d["status"], d["attempts"]) for d in log] == [("delivered", 3)]
    assert [a["status_code"] for a in log[0]["history"]] == [503, 503, 200]
    assert admin.delete(f"/admin/webhooks/{hook['id']}").status_code == 204


def test_410_disables_the_subscription(hooks_runner: Runner, admin: httpx.Client) -> None:
    with receiving(script=[(410, {})]) as rx:
        hook = subscribe(admin, rx, ["ticket.created"])
        open_ticket(hooks_runner, f"u{uuid.uuid4().hex[:10]}")
        rx.wait_for(lambda r: len(r) == 1, timeout=15)
        deadline = time.monotonic() + 10
        while admin.get(f"/admin/webhooks/{hook['id']}").json()["enabled"]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        open_ticket(hooks_runner, f"u{uuid.uuid4().hex[:10]}")
        time.sleep(1.5)
        assert len(rx.received) == 1
    state = admin.get(f"/admin/webhooks/{hook['id']}").json()
    assert not state["enabled"] and "410" in state["disabled_reason"]


def test_a_slow_receiver_does_not_delay_a_fast_one(
    hooks_runner: Runner, admin: httpx.Client
) -> None:
    # Given a receiver that answers after 8 s (within the 10 s timeout) and a fast one
    with receiving(delay=8.0) as slow, receiving() as fast:
        slow_hook = subscribe(admin, slow, ["ticket.created"])
        fast_hook = subscribe(admin, fast, ["ticket.created"])
        # When three tickets are opened one after another
        for n in range(3):
            open_ticket(hooks_runner, f"u{uuid.uuid4().hex[:10]}", f"Ticket {n}")
        fast.wait_for(lambda r: len(r) == 3, timeout=15)
        slow.wait_for(lambda r: len(r) >= 1, timeout=15)
        # Then the fast one has all three before the slow one has answered its first
        answered_first = slow.received[0].at + 8.0
        assert fast.received[-1].at < answered_first, fast.received[-1].at - slow.received[0].at
        slow.wait_for(lambda r: len(r) == 3, timeout=30)
    for hook in (slow_hook, fast_hook):
        assert admin.delete(f"/admin/webhooks/{hook['id']}").status_code == 204


def test_rotation_signs_with_old_and_new_secret(hooks_runner: Runner, admin: httpx.Client) -> None:
    with receiving() as rx:
        hook = subscribe(admin, rx, ["ticket.created"])  # a ping goes whatever the events
        rotated = admin.post(f"/admin/webhooks/{hook['id']}/rotate-secret")
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        ping = admin.post(f"/admin/webhooks/{hook['id']}/ping")
        assert ping.status_code == 202, ping.text
        (got,) = rx.wait_for(lambda r: len(r) == 1, timeout=15)
    assert got.payload["type"] == "webhook.ping" and got.id == ping.json()["event_id"]
    assert got.verifies(hook["secret"]) and got.verifies(new)
    assert not got.verifies("whsec_" + "A" * 44)
    assert admin.delete(f"/admin/webhooks/{hook['id']}").status_code == 204

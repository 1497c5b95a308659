"""Webhooks through the handlers, on moto: the admin's routes, the dispatcher (a replayed
stream batch delivers nothing twice), the delivery (signatures, retries with one webhook-id,
Retry-After, 410, consecutive failures) and the SSRF refusals (docs/design.md, "Webhooks")."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

import tests.conftest as cf
from local.webhook_receiver import receiving
from tests.conftest import call, invoke_mapped, pump
from tests.handlers.test_housekeeping import ADMIN, AGENT, open_ticket

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture(autouse=True)
def webhook_env(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from helpdesk import settings

    monkeypatch.setenv("WEBHOOK_QUEUE_URL", cf._refs["WebhookDeliveryQueue"])
    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "0")  # retries at once (DelaySeconds 0)
    monkeypatch.setenv("WEBHOOK_MAX_CONSECUTIVE_FAILURES", "5")
    settings.webhook_settings.cache_clear()
    pump()  # the stream read from its start, the queue served
    yield
    settings.webhook_settings.cache_clear()


def subscribe(url: str, events: list[str] | None = None) -> dict[str, Any]:
    status, body, _ = call(
        "admin_create_webhook", **ADMIN, body={"url": url, "events": events or ["*"]}
    )
    assert status == 201, body
    return body


def deliveries(webhook_id: str) -> list[dict[str, Any]]:
    status, body, _ = call(
        "admin_list_webhook_deliveries", **ADMIN, path={"webhook_id": webhook_id}
    )
    assert status == 200, body
    return list(body["items"])


def webhook(webhook_id: str) -> dict[str, Any]:
    status, body, _ = call("admin_get_webhook", **ADMIN, path={"webhook_id": webhook_id})
    assert status == 200, body
    return dict(body)


# ---------------------------------------------------------------- the admin's routes


def test_only_admins_manage_webhooks() -> None:
    for who in ({"user": "carl", "roles": "customer"}, AGENT):
        status, body, _ = call("admin_list_webhooks", **who)
        assert status == 403 and body["code"] == "FORBIDDEN", body
        status, body, _ = call(
            "admin_create_webhook", **who, body={"url": "https://example.com/h", "events": ["*"]}
        )
        assert status == 403, body


def test_create_shows_the_secret_once_and_validates() -> None:
    status, made, _ = call(
        "admin_create_webhook",
        **ADMIN,
        body={"url": "https://example.com/h", "events": ["ticket.created"], "description": "x"},
    )
    assert status == 201 and made["secret"].startswith("whsec_")
    assert len(__import__("base64").b64decode(made["secret"][6:])) >= 24
    got = webhook(made["id"])
    assert "secret" not in got and got["enabled"] and got["events"] == ["ticket.created"]
    status, listed, _ = call("admin_list_webhooks", **ADMIN)
    assert [w["id"] for w in listed["items"]] == [made["id"]] and "secret" not in listed["items"][0]
    bad = [
        ({"url": "https://example.com/h", "events": ["ticket.exploded"]}, "WEBHOOK_EVENT_UNKNOWN"),
        ({"url": "ftp://example.com/h", "events": ["*"]}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "http://10.0.0.1/h", "events": ["*"]}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "https://169.254.169.254/latest", "events": ["*"]}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "https://user:pw@example.com/h", "events": ["*"]}, "WEBHOOK_URL_NOT_ALLOWED"),
        ({"url": "https://[fd00::1]/h", "events": ["*"]}, "WEBHOOK_URL_NOT_ALLOWED"),
    ]
    for payload, code in bad:
        status, body, _ = call("admin_create_webhook", **ADMIN, body=payload)
        assert status == 422 and body["code"] == code, (payload, body)
    status, body, _ = call("admin_create_webhook", **ADMIN, body={"url": "https://e.com/h"})
    assert status == 422, body  # events are required


def test_update_disable_enable_delete_and_not_found() -> None:
    made = subscribe("https://example.com/h")
    path = {"webhook_id": made["id"]}
    status, body, _ = call("admin_update_webhook", **ADMIN, path=path, body={"enabled": False})
    assert status == 200 and not body["enabled"] and "admin" in body["disabled_reason"]
    status, body, _ = call("admin_ping_webhook", **ADMIN, path=path)
    assert status == 409 and body["code"] == "WEBHOOK_DISABLED"
    status, body, _ = call(
        "admin_update_webhook",
        **ADMIN,
        path=path,
        body={"enabled": True, "events": ["note.created", "*"], "url": "https://e.org/x"},
    )
    assert status == 200 and body["enabled"] and body["disabled_reason"] is None
    assert body["events"] == ["*"] and body["url"] == "https://e.org/x"
    status, _, _ = call("admin_delete_webhook", **ADMIN, path=path)
    assert status == 204
    for name in ("admin_get_webhook", "admin_delete_webhook", "admin_rotate_webhook_secret"):
        status, body, _ = call(name, **ADMIN, path=path)
        assert status == 404 and body["code"] == "WEBHOOK_NOT_FOUND", name


# ---------------------------------------------------------------- dispatch and delivery


def test_changes_arrive_signed_with_the_feed_item_as_body() -> None:
    with receiving() as rx:
        made = subscribe(rx.url, ["ticket.created", "message.created"])
        ticket = open_ticket()
        status, _, _ = call(
            "admin_reply_ticket",
            **AGENT,
            path={"ticket_id": ticket["id"]},
            body={"message": "on it"},
        )
        assert status == 201
        got = rx.wait_for(lambda r: len(r) >= 2, timeout=5)
    types = sorted(r.payload["type"] for r in got)
    assert types == ["message.created", "ticket.created"]  # no note/assign: not subscribed
    for r in got:
        assert r.verifies(made["secret"])
        assert r.id == r.payload["id"] and r.payload["ticket_id"] == ticket["id"]
        assert r.headers["content-type"] == "application/json"
    log = deliveries(made["id"])
    assert {d["status"] for d in log} == {"delivered"} and all(d["attempts"] == 1 for d in log)
    assert all(d["status_code"] == 200 and d["duration_ms"] >= 0 for d in log)


def _feed_insert_batch() -> dict[str, Any]:
    """The stream's FEED inserts so far, as one Lambda event (a replayed batch)."""
    from local.pump import ShardReader

    p = pump()
    p._refresh_shards(force=True)
    consumer = next(c for (fn, _, _), c in p.consumers.items() if fn == "ProcessChangesFunction")
    reader = ShardReader(
        p.streams_client, consumer.reader.stream_arn, consumer.reader.shard_id, "TRIM_HORIZON"
    )
    records = []
    while True:
        got = reader.read()
        if not got:
            break
        records += [i.record for i in got if i.record["dynamodb"]["Keys"]["PK"]["S"] == "FEED"]
    return {"Records": [r for r in records if r["eventName"] == "INSERT"]}


def test_a_replayed_stream_batch_delivers_nothing_twice() -> None:
    with receiving() as rx:
        made = subscribe(rx.url)
        open_ticket()
        rx.wait_for(lambda r: len(r) == 1, timeout=5)
        batch = _feed_insert_batch()
        assert batch["Records"]
        result = invoke_mapped("ProcessChangesFunction", batch)
        assert result == {"batchItemFailures": []}
        cf.settle()
        assert len(rx.received) == 1
    assert len(deliveries(made["id"])) == 1


def test_a_retry_keeps_the_webhook_id_and_the_log_shows_each_attempt() -> None:
    with receiving(script=[(503, {}), (500, {})]) as rx:
        made = subscribe(rx.url, ["ticket.created"])
        open_ticket()
        got = rx.wait_for(lambda r: len(r) >= 3, timeout=10)
    assert len({r.id for r in got}) == 1 and len({r.body for r in got}) == 1
    (log,) = deliveries(made["id"])
    assert log["status"] == "delivered" and log["attempts"] == 3
    assert [a["status_code"] for a in log["history"]] == [503, 500, 200]
    assert log["history"][0]["error"] == "HTTP 503"
    assert webhook(made["id"])["consecutive_failures"] == 0


def test_retry_after_is_honoured_on_429_and_503(monkeypatch: pytest.MonkeyPatch) -> None:
    with receiving(script=[(429, {"Retry-After": "120"})]) as rx:
        made = subscribe(rx.url, ["ticket.created"])
        open_ticket()
        rx.wait_for(lambda r: len(r) == 1, timeout=5)
        cf.settle()
    (log,) = deliveries(made["id"])
    assert log["status"] == "pending" and log["attempts"] == 1
    wait = datetime.fromisoformat(log["next_attempt_at"]) - datetime.fromisoformat(
        log["last_attempt_at"]
    )
    assert 119 <= wait.total_seconds() <= 121


def test_410_disables_the_subscription_with_a_reason() -> None:
    with receiving(script=[(410, {})]) as rx:
        made = subscribe(rx.url)
        open_ticket()
        rx.wait_for(lambda r: len(r) == 1, timeout=5)
        open_ticket()  # nothing more is sent
        assert len(rx.received) == 1
    got = webhook(made["id"])
    assert not got["enabled"] and "410" in got["disabled_reason"]
    assert deliveries(made["id"])[-1]["status"] == "failed"


def test_consecutive_failures_disable_the_subscription() -> None:
    with receiving(script=[(500, {})] * 10) as rx:
        made = subscribe(rx.url, ["ticket.created"])
        open_ticket()
        rx.wait_for(lambda r: len(r) >= 5, timeout=10)
        cf.settle()
        assert len(rx.received) == 5  # WEBHOOK_MAX_CONSECUTIVE_FAILURES
    got = webhook(made["id"])
    assert not got["enabled"] and "5 consecutive failed deliveries" == got["disabled_reason"]


def test_ping_and_redeliver_keep_one_webhook_id() -> None:
    with receiving() as rx:
        made = subscribe(rx.url, ["ticket.created"])
        path = {"webhook_id": made["id"]}
        status, ping, _ = call("admin_ping_webhook", **ADMIN, path=path)
        assert status == 202, ping
        (got,) = rx.wait_for(lambda r: len(r) == 1, timeout=5)
        assert got.payload["type"] == "webhook.ping" and got.id == ping["event_id"]
        status, body, _ = call(
            "admin_redeliver_webhook",
            **ADMIN,
            path={**path, "delivery_id": ping["delivery_id"]},
        )
        assert status == 202 and body["status"] == "pending", body
        got2 = rx.wait_for(lambda r: len(r) == 2, timeout=5)
        assert got2[1].id == got.id and got2[1].verifies(made["secret"])
        status, body, _ = call(
            "admin_redeliver_webhook", **ADMIN, path={**path, "delivery_id": "dl_nope"}
        )
        assert status == 404 and body["code"] == "WEBHOOK_DELIVERY_NOT_FOUND"
    (log,) = deliveries(made["id"])
    assert log["attempts"] == 2 and log["status"] == "delivered"


def test_rotation_signs_with_both_secrets_during_the_overlap() -> None:
    with receiving() as rx:
        made = subscribe(rx.url, ["ticket.created"])
        status, rotated, _ = call(
            "admin_rotate_webhook_secret", **ADMIN, path={"webhook_id": made["id"]}
        )
        assert status == 200 and rotated["secret"] != made["secret"]
        assert rotated["previous_secret_expires_at"]
        open_ticket()
        (got,) = rx.wait_for(lambda r: len(r) == 1, timeout=5)
    assert got.verifies(made["secret"]) and got.verifies(rotated["secret"])
    assert len(got.headers["webhook-signature"].split(" ")) == 2


def test_delivery_log_pages_newest_first() -> None:
    with receiving() as rx:
        made = subscribe(rx.url, ["ticket.created"])
        for _ in range(3):
            open_ticket()
        rx.wait_for(lambda r: len(r) == 3, timeout=5)
    path = {"webhook_id": made["id"]}
    status, first, _ = call(
        "admin_list_webhook_deliveries", **ADMIN, path=path, query={"limit": "2"}
    )
    assert status == 200 and len(first["items"]) == 2 and first["next_cursor"]
    status, second, _ = call(
        "admin_list_webhook_deliveries",
        **ADMIN,
        path=path,
        query={"limit": "2", "cursor": first["next_cursor"]},
    )
    ids = [d["id"] for d in first["items"] + second["items"]]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    status, body, _ = call(
        "admin_list_webhook_deliveries", **ADMIN, path=path, query={"cursor": "bad"}
    )
    assert status == 400 and body["code"] == "INVALID_CURSOR"


# ---------------------------------------------------------------- SSRF at send time


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254", "10.1.2.3", "::1"])
def test_a_name_resolving_to_a_non_public_address_is_refused_at_send_time(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    from helpdesk import settings

    monkeypatch.setenv("WEBHOOK_ALLOW_LOOPBACK", "false")  # as in AWS
    settings.webhook_settings.cache_clear()
    made = subscribe("https://hooks.example.com/h", ["ticket.created"])
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def fake_getaddrinfo(host: str, port: int, *a: Any, **k: Any) -> list[Any]:
        assert host == "hooks.example.com"
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    connected: list[Any] = []
    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: connected.append(a))
    open_ticket()
    (log,) = deliveries(made["id"])
    assert not connected
    assert log["history"][0]["error"].startswith("refused: the host resolves to a non-public")
    assert log["history"][0]["status_code"] is None


def test_outbound_rules() -> None:
    from helpdesk import outbound

    allowed = outbound.address_allowed
    assert allowed("93.184.216.34", allow_loopback=False)
    for ip in (
        "127.0.0.1",
        "10.0.0.1",
        "192.168.1.1",
        "172.16.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
    ):
        assert not allowed(ip, allow_loopback=False), ip
    assert allowed("127.0.0.1", allow_loopback=True)
    assert not allowed("10.0.0.1", allow_loopback=True)
    for url in ("http://example.com/h", "http://127.0.0.1:9000/h", "https://localhost/h"):
        with pytest.raises(outbound.RefusedError):
            outbound.check_url(url, allow_loopback=False)
    outbound.check_url("http://127.0.0.1:9000/h", allow_loopback=True)
    with pytest.raises(outbound.RefusedError):
        outbound.check_url("http://example.com/h", allow_loopback=True)  # http: loopback only
    assert outbound.retry_after("30") == 30.0 and outbound.retry_after("soon") is None


def test_no_redirect_is_followed() -> None:
    with receiving(script=[(302, {"Location": "http://127.0.0.1:1/elsewhere"})]) as rx:
        made = subscribe(rx.url, ["ticket.created"])
        open_ticket()
        got = rx.wait_for(lambda r: len(r) >= 2, timeout=5)
    assert len({r.id for r in got}) == 1  # retried at the same URL, never at the Location
    log = deliveries(made["id"])[0]
    assert log["history"][0]["status_code"] == 302 and log["history"][0]["error"] == "HTTP 302"


def test_after_an_erasure_a_redelivery_carries_the_redaction_and_the_log_no_copy() -> None:
    from tests.handlers.test_housekeeping import _erase

    with receiving() as rx:
        # Given zoe's ticket.created, delivered with her subject
        made = subscribe(rx.url, ["ticket.created"])
        status, ticket, _ = call(
            "create_ticket", user="zoe", body={"subject": "Zoe Quill's tax form", "message": "x"}
        )
        assert status == 201, ticket
        (first,) = rx.wait_for(lambda r: len(r) == 1, timeout=5)
        assert first.payload["data"]["subject"] == "Zoe Quill's tax form"
        # When an admin erases zoe, then redelivers that delivery
        status, report = _erase("zoe", "zoe")
        assert status == 200, report
        (log,) = deliveries(made["id"])
        status, body, _ = call(
            "admin_redeliver_webhook",
            **ADMIN,
            path={"webhook_id": made["id"], "delivery_id": log["id"]},
        )
        assert status == 202, body
        got = rx.wait_for(lambda r: len(r) == 2, timeout=5)
    # Then the same webhook-id arrives, signed, with the subject as the feed shows it now
    again = got[1]
    assert again.id == first.id and again.verifies(made["secret"])
    assert again.payload["data"]["subject"] is None  # the redacted event's free text
    assert "Zoe Quill" not in again.body
    assert again.payload["ticket_id"] == ticket["id"]
    # and no item of the table (the delivery log included) still holds the subject
    import boto3

    ddb = boto3.client("dynamodb", region_name=cf.REGION)
    items = ddb.scan(TableName=cf.TABLE)["Items"]
    assert not [i for i in items if "Zoe Quill" in str(i)]

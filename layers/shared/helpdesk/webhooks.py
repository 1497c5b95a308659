"""Webhooks (Standard Webhooks 1.0): subscriptions, the dispatcher and the delivery.

- The admin's routes (`/admin/webhooks*`): create (the signing secret shown once), list,
  get, update (url, events, enable / disable), delete, rotate the secret (the old one
  signs too for 24 h), ping, the delivery log and redelivery.
- `dispatch`: the table stream's change-feed inserts (one record per ticket change), each
  rendered as the feed pages it (`changes.render`), become one delivery per matching enabled
  subscription and item (a conditional put: a replayed batch creates none twice) and one
  queue message each.
- `deliver`: one queue message, one POST (`outbound.post`: SSRF checks at send time), the
  attempt recorded on the delivery; a failure is queued again with exponential backoff and
  jitter (or the receiver's Retry-After) until the retry window is spent; 410 and too many
  consecutive failures disable the subscription with a reason.

docs/design.md 2., "Webhooks" says why it is built this way.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import random
import time
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from helpdesk import changes, outbound, telemetry
from helpdesk.aws import new_client
from helpdesk.clock import iso, now, parse
from helpdesk.errors import (
    InvalidCursorError,
    WebhookDeliveryNotFoundError,
    WebhookDisabledError,
    WebhookEventUnknownError,
    WebhookLimitReachedError,
    WebhookNotFoundError,
    WebhookUrlNotAllowedError,
)
from helpdesk.ids import decode_cursor, encode_cursor, new_id
from helpdesk.models.changes import ChangeActor, ChangeItem
from helpdesk.models.webhooks import (
    Delivery,
    DeliveryPage,
    PingResult,
    Webhook,
    WebhookCreateRequest,
    WebhookList,
    WebhookUpdateRequest,
    WebhookWithSecret,
)
from helpdesk.principal import Principal
from helpdesk.settings import webhook_settings
from helpdesk.store import feed as store_feed
from helpdesk.store import webhooks as store_webhooks

ALL = "*"
PING = "webhook.ping"
EVENT_TYPES = frozenset(changes.TYPES.values())
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ROTATION_OVERLAP = timedelta(hours=24)
MAX_WEBHOOKS = 50
MAX_DELAY_SECONDS = 900  # SQS DelaySeconds: longer waits hop through the queue
CURSOR_LIST = "webhook-deliveries"
USER_AGENT = "helpdesk-webhooks/1.0"
REQUEUE_AFTER_SECONDS = 120  # the delivery queue's VisibilityTimeout


# ---------------------------------------------------------------- helpers


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes (the Standard Webhooks secret format)."""
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


def delivery_id_of(item_id: str, occurred_at: str) -> str:
    """A delivery's id from its item: time-sortable (the log is newest first), the same for
    the same item (a replayed batch finds it), an id the API accepts."""
    ms = int(parse(occurred_at).timestamp() * 1000)
    return f"dl_{ms:013d}{hashlib.sha256(item_id.encode()).hexdigest()[:16]}"


def signatures(sub: Mapping[str, Any], msg_id: str, at: datetime, body: str) -> str:
    """The webhook-signature header: `v1,<sig>` with the secret, and with the previous one
    while the rotation overlap lasts (space separated, as the spec allows)."""
    from standardwebhooks import Webhook as Signer  # the one place that signs

    secrets = [str(sub["secret"])]
    previous, until = sub.get("previous_secret"), sub.get("previous_secret_expires_at")
    if previous and until and parse(str(until)) > at:
        secrets.append(str(previous))
    return " ".join(Signer(s).sign(msg_id, at, body) for s in secrets)


def _view(sub: Mapping[str, Any]) -> Webhook:
    return Webhook.model_validate(
        {k: v for k, v in sub.items() if k in Webhook.model_fields}
        | {"consecutive_failures": int(sub.get("consecutive_failures", 0))}
    )


def _with_secret(sub: Mapping[str, Any]) -> WebhookWithSecret:
    return WebhookWithSecret.model_validate(_view(sub).model_dump() | {"secret": sub["secret"]})


def _delivery(d: Mapping[str, Any]) -> Delivery:
    return Delivery.model_validate({k: v for k, v in d.items() if k in Delivery.model_fields})


def _check_url(url: str) -> str:
    try:
        outbound.check_url(url, allow_loopback=webhook_settings().webhook_allow_loopback)
    except outbound.RefusedError as ex:
        raise WebhookUrlNotAllowedError(f"Webhook URL not allowed: {ex}") from ex
    return url


def _check_events(events: list[str]) -> list[str]:
    unique = list(dict.fromkeys(events))
    unknown = [e for e in unique if e != ALL and e not in EVENT_TYPES]
    if unknown:
        raise WebhookEventUnknownError(
            f"Unknown event types {unknown}; known: {sorted(EVENT_TYPES)} or *"
        )
    return [ALL] if ALL in unique else unique


def _get(webhook_id: str) -> dict[str, Any]:
    sub = store_webhooks.get_webhook(webhook_id)
    if sub is None:
        raise WebhookNotFoundError()
    return sub


# ---------------------------------------------------------------- the admin's routes


def create(p: Principal, body: WebhookCreateRequest) -> WebhookWithSecret:
    p.require_admin()
    url, events = _check_url(body.url), _check_events(body.events)
    if len(store_webhooks.list_webhooks()) >= MAX_WEBHOOKS:
        raise WebhookLimitReachedError()
    at = iso(now())
    sub = {
        "id": new_id("wh"),
        "url": url,
        "events": events,
        "description": body.description,
        "enabled": True,
        "consecutive_failures": 0,
        "created_at": at,
        "updated_at": at,
        "created_by": p.user_id,
        "secret": new_secret(),
    }
    store_webhooks.create_webhook(sub)
    return _with_secret(sub)


def list_all(p: Principal) -> WebhookList:
    p.require_admin()
    subs = sorted(store_webhooks.list_webhooks(), key=lambda s: str(s["created_at"]))
    return WebhookList(items=[_view(s) for s in subs])


def get(p: Principal, webhook_id: str) -> Webhook:
    p.require_admin()
    return _view(_get(webhook_id))


def update(p: Principal, webhook_id: str, body: WebhookUpdateRequest) -> Webhook:
    p.require_admin()
    sets: dict[str, Any] = {"updated_at": iso(now())}
    if body.url is not None:
        sets["url"] = _check_url(body.url)
    if body.events is not None:
        sets["events"] = _check_events(body.events)
    if body.description is not None:
        sets["description"] = body.description
    if body.enabled is True:
        sets |= {
            "enabled": True,
            "disabled_reason": None,
            "disabled_at": None,
            "consecutive_failures": 0,
        }
    elif body.enabled is False:
        sets |= {
            "enabled": False,
            "disabled_reason": f"disabled by an admin ({p.user_id})",
            "disabled_at": sets["updated_at"],
        }
    return _view(store_webhooks.update_webhook(webhook_id, sets))


def delete(p: Principal, webhook_id: str) -> None:
    p.require_admin()
    if not store_webhooks.delete_webhook(webhook_id):
        raise WebhookNotFoundError()


def rotate_secret(p: Principal, webhook_id: str) -> WebhookWithSecret:
    """A new secret; the current one keeps signing (a second signature) for 24 hours."""
    p.require_admin()
    sub = _get(webhook_id)
    at = now()
    updated = store_webhooks.update_webhook(
        webhook_id,
        {
            "secret": new_secret(),
            "previous_secret": sub["secret"],
            "previous_secret_expires_at": iso(at + ROTATION_OVERLAP),
            "secret_rotated_at": iso(at),
            "updated_at": iso(at),
        },
    )
    return _with_secret(updated)


def ping(p: Principal, webhook_id: str) -> PingResult:
    """Queue a `webhook.ping` delivery (it shows in the delivery log like any other)."""
    p.require_admin()
    sub = _get(webhook_id)
    if not sub.get("enabled"):
        raise WebhookDisabledError()
    at = iso(now())
    item = ChangeItem(
        id=new_id("ping"),
        type=PING,
        occurred_at=at,
        ticket_id="",
        ticket_number=0,
        actor=ChangeActor(id=p.user_id, side="staff"),
        data={"webhook_id": webhook_id},
    )
    delivery_id = delivery_id_of(item.id, at)
    _create_delivery(webhook_id, delivery_id, item)
    enqueue([_message(webhook_id, delivery_id, 1, time.time())])
    return PingResult(delivery_id=delivery_id, event_id=item.id)


def deliveries(p: Principal, webhook_id: str, *, limit: int, cursor: str | None) -> DeliveryPage:
    p.require_admin()
    _get(webhook_id)
    before = str(decode_cursor(cursor, expect=CURSOR_LIST)["k"]) if cursor else None
    if before is not None and not before.startswith("dl_"):
        raise InvalidCursorError()
    items, more = store_webhooks.list_deliveries(webhook_id, before, limit)
    next_cursor = encode_cursor({"l": CURSOR_LIST, "k": items[-1]["SK"]}) if more else None
    return DeliveryPage(items=[_delivery(d) for d in items], next_cursor=next_cursor)


def redeliver(p: Principal, webhook_id: str, delivery_id: str) -> Delivery:
    """Send a delivery again (same webhook-id and body), its retry window starting anew."""
    p.require_admin()
    sub = _get(webhook_id)
    if not sub.get("enabled"):
        raise WebhookDisabledError()
    found = store_webhooks.get_delivery(webhook_id, delivery_id)
    if found is None:
        raise WebhookDeliveryNotFoundError()
    at = iso(now())
    attempt = int(found.get("attempts", 0)) + 1
    updated = store_webhooks.update_delivery(
        webhook_id,
        delivery_id,
        {
            "status": "pending",
            "next_attempt_at": at,
            "first_attempt_at": None,
            "redelivered_at": at,
        },
    )
    if updated is None:
        raise WebhookDeliveryNotFoundError()
    enqueue([_message(webhook_id, delivery_id, attempt, time.time())])
    return _delivery(updated)


# ---------------------------------------------------------------- the queue


@lru_cache(maxsize=1)
def _sqs() -> Any:
    from botocore.config import Config

    return new_client("sqs", Config(retries={"mode": "standard", "max_attempts": 3}))


def _message(webhook_id: str, delivery_id: str, attempt: int, due: float) -> dict[str, Any]:
    return {"webhook_id": webhook_id, "delivery_id": delivery_id, "attempt": attempt, "due": due}


def enqueue(messages: Iterable[Mapping[str, Any]]) -> None:
    """Queue delivery messages, each delayed until its `due` time (at most 900 s a hop)."""
    url = webhook_settings().webhook_queue_url
    entries = []
    for n, message in enumerate(messages):
        wait = max(0.0, float(message["due"]) - time.time())
        entries.append(
            {
                "Id": str(n),
                "MessageBody": json.dumps(message),
                "DelaySeconds": min(MAX_DELAY_SECONDS, math.ceil(wait)),
            }
        )
    for start in range(0, len(entries), 10):
        out = _sqs().send_message_batch(QueueUrl=url, Entries=entries[start : start + 10])
        if out.get("Failed"):
            raise RuntimeError(f"queueing deliveries failed: {out['Failed']}")


# ---------------------------------------------------------------- the dispatcher


def _create_delivery(webhook_id: str, delivery_id: str, item: ChangeItem) -> bool:
    at = now()
    return store_webhooks.create_delivery(
        webhook_id,
        delivery_id,
        {
            "id": delivery_id,
            "webhook_id": webhook_id,
            "event_id": item.id,
            "event_type": item.type,
            # the item without its `data`, rendered again at each attempt (changes.current)
            "payload": changes.without_data(item).model_dump_json(),
            "status": "pending",
            "attempts": 0,
            "created_at": iso(at),
            "next_attempt_at": iso(at),
            "ttl": int(at.timestamp()) + webhook_settings().webhook_delivery_log_days * 86400,
        },
    )


def _wants(sub: Mapping[str, Any], event_type: str) -> bool:
    events = sub.get("events") or []
    return ALL in events or event_type in events


class Dispatcher:
    """One stream batch's dispatcher (the subscriptions read once, on first use)."""

    def __init__(self) -> None:
        self._subs: list[dict[str, Any]] | None = None

    @property
    def subscriptions(self) -> list[dict[str, Any]]:
        if self._subs is None:
            self._subs = [s for s in store_webhooks.list_webhooks() if s.get("enabled")]
        return self._subs

    def dispatch(self, image: Mapping[str, Any] | None) -> int:
        """One stream record's new image: the deliveries it makes, queued; how many."""
        if not store_feed.is_feed_image(dict(image or {})) or not self.subscriptions:
            return 0
        record = store_feed.from_image(dict(image or {}))
        messages = []
        for item in changes.render(record):
            for sub in self.subscriptions:
                if not _wants(sub, item.type):
                    continue
                delivery_id = delivery_id_of(item.id, item.occurred_at)
                if not _create_delivery(sub["id"], delivery_id, item):
                    # replayed: queue it again only if it was never tried although it is
                    # older than a first attempt takes (a crash between the put and the
                    # send lost its message); otherwise its message is on its way
                    found = store_webhooks.get_delivery(sub["id"], delivery_id)
                    if (
                        not found
                        or int(found.get("attempts", 0))
                        or found.get("status") != ("pending")
                    ):
                        continue
                    age = (now() - parse(str(found["created_at"]))).total_seconds()
                    if age < REQUEUE_AFTER_SECONDS:
                        continue
                messages.append(_message(sub["id"], delivery_id, 1, time.time()))
        if messages:
            enqueue(messages)
            telemetry.count("WebhookDeliveriesQueued", len(messages))
        return len(messages)


# ---------------------------------------------------------------- the delivery


def backoff(attempt: int) -> float:
    """Seconds before attempt `attempt + 1`: doubling from the base up to the cap, with
    jitter (half fixed, half random)."""
    s = webhook_settings()
    delay = min(s.webhook_retry_max_seconds, s.webhook_retry_base_seconds * 2 ** (attempt - 1))
    return float(delay / 2 + random.uniform(0, delay / 2))  # jitter, not a secret


def _body(stored: str) -> str:
    """A delivery's body at this attempt: the stored item with its `data` as the feed shows
    it now (a retry or a redelivery after an erasure carries the redaction, not a copy)."""
    item = ChangeItem.model_validate_json(stored)
    now_item = changes.current(item)
    return stored if now_item is item else now_item.model_dump_json()


def deliver(message: Mapping[str, Any]) -> str:
    """One queue message: wait (hop) if it is early, else one attempt. What happened (for
    the log). Raises only when the attempt could not be recorded (SQS then retries it)."""
    s = webhook_settings()
    webhook_id, delivery_id = str(message["webhook_id"]), str(message["delivery_id"])
    attempt, due = int(message["attempt"]), float(message.get("due", 0))
    if due - time.time() > 1:
        enqueue([message])  # a wait longer than SQS's 900 s: one more hop
        return "waiting"
    found = store_webhooks.get_delivery(webhook_id, delivery_id)
    if found is None:
        return "gone"
    if found.get("status") != "pending" or int(found.get("attempts", 0)) >= attempt:
        return "duplicate"  # a message delivered twice by SQS, or an attempt made already
    sub = store_webhooks.get_webhook(webhook_id)
    at = now()
    if sub is None or not sub.get("enabled"):
        why = "the webhook was deleted" if sub is None else "the webhook is disabled"
        store_webhooks.update_delivery(
            webhook_id,
            delivery_id,
            {"status": "failed", "error": why, "next_attempt_at": None},
        )
        return "cancelled"
    body = _body(str(found["payload"]))
    msg_id = str(found["event_id"])
    stamp = at.replace(microsecond=0)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": signatures(sub, msg_id, stamp, body),
    }
    answer = outbound.post(str(sub["url"]), body, headers, allow_loopback=s.webhook_allow_loopback)
    ok = answer.status is not None and 200 <= answer.status < 300
    record = {
        "attempt": attempt,
        "at": iso(at),
        "status_code": answer.status,
        "duration_ms": answer.duration_ms,
        "error": None if ok else (answer.error or f"HTTP {answer.status}"),
    }
    sets: dict[str, Any] = {
        "attempts": attempt,
        "status_code": answer.status,
        "duration_ms": answer.duration_ms,
        "error": record["error"],
        "response_body": answer.body or None,
        "last_attempt_at": iso(at),
        "first_attempt_at": found.get("first_attempt_at") or iso(at),
    }
    telemetry.count("WebhookAttempts")
    if ok:
        store_webhooks.update_delivery(
            webhook_id,
            delivery_id,
            sets | {"status": "delivered", "next_attempt_at": None},
            attempt=record,
        )
        if int(sub.get("consecutive_failures", 0)):
            store_webhooks.update_webhook(webhook_id, {"consecutive_failures": 0})
        return "delivered"
    telemetry.count("WebhookFailures")
    failures = int(
        store_webhooks.update_webhook(webhook_id, {}, adds={"consecutive_failures": 1}).get(
            "consecutive_failures", 0
        )
    )
    reason: str | None = None
    if answer.status == 410:
        reason = "the endpoint answered 410 Gone"
    elif failures >= s.webhook_max_consecutive_failures:
        reason = f"{failures} consecutive failed deliveries"
    if reason:
        store_webhooks.disable_webhook_if_enabled(
            webhook_id, {"disabled_reason": reason, "disabled_at": iso(at), "updated_at": iso(at)}
        )
        store_webhooks.update_delivery(
            webhook_id,
            delivery_id,
            sets | {"status": "failed", "next_attempt_at": None},
            attempt=record,
        )
        return "disabled"
    wait = backoff(attempt)
    if answer.status in (429, 503) and answer.retry_after is not None:
        wait = max(answer.retry_after, 1.0)
    first = parse(str(sets["first_attempt_at"]))
    next_at = at + timedelta(seconds=wait)
    if (next_at - first).total_seconds() > s.webhook_retry_window_seconds:
        store_webhooks.update_delivery(
            webhook_id,
            delivery_id,
            sets | {"status": "failed", "next_attempt_at": None},
            attempt=record,
        )
        return "gave up"
    # queue the next attempt before recording this one: a crash in between makes this
    # message come back and the attempt run again (at least once), never lost
    enqueue([_message(webhook_id, delivery_id, attempt + 1, time.time() + wait)])
    store_webhooks.update_delivery(
        webhook_id, delivery_id, sets | {"next_attempt_at": iso(next_at)}, attempt=record
    )
    return "retrying"

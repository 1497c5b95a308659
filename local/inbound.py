"""Mail in, locally: a raw message stored where SES's receipt rule stores it, and S3's event
notification of it sent to the queue the bucket notifies (the runner's `POST /_local/inbound`,
`make mail-in FILE=x.eml`).

Template-driven: the bucket and the key prefix are the receipt rule's `S3Action`
(`BucketName`, `ObjectKeyPrefix`); the queues are the bucket's `NotificationConfiguration`
`QueueConfigurations` whose event and key filter match the new object. The key is
`<prefix><uuid4 hex>` (SES names the object by its own message id). The bytes are stored as
given: what SES adds in AWS (Received, X-SES-Spam-Verdict, X-SES-Virus-Verdict,
Authentication-Results) is the file's to carry, as the test corpus's messages do.

The local backend does not configure the bucket's notification in moto: moto would send S3's
`s3:TestEvent` to the queue when it is configured (at every backend's creation, in every
handler test), and anything a test writes under the prefix would be delivered to the
function besides what the test means to deliver. So this module sends the notification
itself, with S3's JSON shape, unless the bucket has that notification configured (a real
bucket, or another endpoint's that honours it): then S3 sends it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from local.template import App, event_time, referenced

# SES accepts a message of up to 40 MiB (headers, body and attachments) for an S3 action
SES_MAX_MESSAGE_BYTES = 40 * 1024 * 1024


class NoReceiptRule(LookupError):
    """The template has no receipt rule storing mail in one of its buckets."""


@dataclass(frozen=True)
class Drop:
    """Where a receipt rule's S3 action stores mail, and who is told."""

    bucket: str  # the bucket's logical id
    prefix: str  # ObjectKeyPrefix
    queues: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]  # (queue id, event, rules)

    def notified(self, key: str) -> list[str]:
        """The logical ids of the queues notified of an object created at `key`."""
        out = []
        for queue, event, rules in self.queues:
            if not (event == "s3:ObjectCreated:*" or event == "s3:ObjectCreated:Put"):
                continue
            if all(_rule_matches(name, value, key) for name, value in rules):
                out.append(queue)
        return out


def _rule_matches(name: str, value: str, key: str) -> bool:
    if name.lower() == "prefix":
        return key.startswith(value)
    if name.lower() == "suffix":
        return key.endswith(value)
    return False


def drop(app: App) -> Drop:
    """The template's (first) receipt rule that stores mail in one of its buckets."""
    buckets = app.resources("AWS::S3::Bucket")
    for rule in app.resources("AWS::SES::ReceiptRule").values():
        for action in (rule.get("Properties") or {}).get("Rule", {}).get("Actions") or []:
            s3 = action.get("S3Action") or {}
            bucket = referenced(s3.get("BucketName"))
            if bucket not in buckets:
                continue
            config = (buckets[bucket].get("Properties") or {}).get("NotificationConfiguration")
            queues = []
            for q in (config or {}).get("QueueConfigurations") or []:
                queue = referenced(q.get("Queue"))
                if queue is None:
                    continue
                rules = (q.get("Filter") or {}).get("S3Key", {}).get("Rules") or []
                queues.append(
                    (queue, str(q.get("Event")), tuple((r["Name"], r["Value"]) for r in rules))
                )
            return Drop(bucket, str(s3.get("ObjectKeyPrefix") or ""), tuple(queues))
    raise NoReceiptRule("template.yaml has no SES receipt rule with an S3 action to its bucket")


def s3_event(
    bucket: str, key: str, size: int, etag: str, region: str, at: datetime | None = None
) -> dict[str, Any]:
    """S3's event notification of one created object, as S3 sends it to a queue."""
    at = at or datetime.now(UTC)
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": event_time(at),
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "helpdesk-local-inbound",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    # S3 URL-encodes the key (a space is "+"; the slashes stay)
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": f"{int(at.timestamp() * 1e6):016X}",
                    },
                },
            }
        ]
    }


def _configured(s3: Any, bucket: str, queue_arn: str) -> bool:
    """Whether the bucket itself notifies the queue (`queue_arn`; any queue when the ARN is
    not known here, as for a deployed stack's): then S3 sends the event, not us."""
    try:
        config = s3.get_bucket_notification_configuration(Bucket=bucket)
    except Exception:  # an endpoint without notifications: we send it
        return False
    arns = [q.get("QueueArn") for q in config.get("QueueConfigurations") or []]
    return queue_arn in arns if queue_arn else bool(arns)


def store(
    app: App,
    refs: dict[str, str],
    raw: bytes,
    session: Any,
    endpoint: str | None = None,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """Store `raw` as SES would and notify the bucket's queues: `{"bucket", "key", "notified"}`
    (the logical ids of the queues this sent the notification to)."""
    where = drop(app)
    bucket = refs.get(where.bucket)
    if not bucket:
        raise LookupError(f"no name for {where.bucket} (HELPDESK_BUCKET_{where.bucket})")
    key = f"{where.prefix}{uuid.uuid4().hex}"
    s3 = session.client("s3", endpoint_url=endpoint)
    put = s3.put_object(Bucket=bucket, Key=key, Body=raw)
    etag = str(put.get("ETag", "")).strip('"')
    event = json.dumps(s3_event(bucket, key, len(raw), etag, region))
    sqs = session.client("sqs", endpoint_url=endpoint)
    sent = []
    for queue in where.notified(key):
        if _configured(s3, bucket, refs.get(f"{queue}.Arn", "")):
            continue
        if not refs.get(queue):
            raise LookupError(f"no URL for {queue}: the bucket does not notify it either")
        sqs.send_message(QueueUrl=refs[queue], MessageBody=event)
        sent.append(queue)
    return {"bucket": bucket, "key": key, "notified": sent}

"""Bounces and complaints, locally: SES's event for a mail that bounced or was marked as spam,
delivered where the configuration set's event destination delivers it (the runner's
`POST /_local/mail-events`; moto's SES sends nothing and so bounces nothing).

Template-driven: an `AWS::SES::ConfigurationSetEventDestination` whose `MatchingEventTypes`
has the event's type publishes it to EventBridge (`EventBridgeDestination`); each
`AWS::Events::Rule` whose `EventPattern` matches the event (`local.pump.matches`, the same
matcher as the stream filters) sends it to its SQS targets, in EventBridge's envelope
(`detail-type`, `source: aws.ses`, `detail`: SES's event). The event has SES's shape
(`eventType`, `mail` with the configuration set's tag, `bounce` / `complaint`: the fields
"Amazon SES event publishing" documents), so the function reads what it reads in AWS.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from local.pump import matches
from local.template import App, event_time, referenced, resolve

KINDS = {"bounce": "Bounce", "complaint": "Complaint"}
# EventBridge's detail-type of each SES event type
DETAIL_TYPES = {"Bounce": "Email Bounced", "Complaint": "Email Complaint Received"}
BOUNCE_TYPES = ("Permanent", "Transient", "Undetermined")


def ses_event(
    kind: str,
    email: str,
    *,
    sender: str = "support@example.com",
    configuration_set: str = "helpdesk-local-mail",
    bounce_type: str = "Permanent",
    message_id: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """SES's event of one bounce or complaint of a mail to `email`."""
    at = at or datetime.now(UTC)
    message_id = message_id or f"0100{uuid.uuid4().hex}-000000"
    mail = {
        "timestamp": event_time(at),
        "source": sender,
        "sendingAccountId": "123456789012",
        "messageId": message_id,
        "destination": [email],
        "headersTruncated": False,
        "tags": {"ses:configuration-set": [configuration_set]},
    }
    if kind == "bounce":
        permanent = bounce_type == "Permanent"
        return {
            "eventType": "Bounce",
            "mail": mail,
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General" if permanent else "MailboxFull",
                "bouncedRecipients": [
                    {
                        "emailAddress": email,
                        "action": "failed",
                        "status": "5.1.1" if permanent else "4.2.2",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown"
                        if permanent
                        else "smtp; 452 4.2.2 mailbox full",
                    }
                ],
                "timestamp": event_time(at),
                "feedbackId": f"0100{uuid.uuid4().hex}-000000",
                "reportingMTA": "dsn; local.runner",
            },
        }
    return {
        "eventType": "Complaint",
        "mail": mail,
        "complaint": {
            "complainedRecipients": [{"emailAddress": email}],
            "timestamp": event_time(at),
            "feedbackId": f"0100{uuid.uuid4().hex}-000000",
            "complaintFeedbackType": "abuse",
            "userAgent": "local.runner",
        },
    }


def eventbridge(event: dict[str, Any], region: str = "us-east-1") -> dict[str, Any]:
    """EventBridge's envelope of an SES event (what a rule's SQS target receives)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPES[str(event["eventType"])],
        "source": "aws.ses",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": event,
    }


def destinations(app: App, refs: dict[str, str], envelope: dict[str, Any]) -> list[str]:
    """The queues (logical ids) an SES event in EventBridge's `envelope` reaches: if a
    configuration set publishes its type to EventBridge, the SQS targets of every rule
    whose pattern matches it."""
    event_type = str(envelope["detail"]["eventType"]).lower()
    published = any(
        dest.get("Enabled", True)
        and event_type in [str(t).lower() for t in dest.get("MatchingEventTypes") or []]
        and "EventBridgeDestination" in dest
        for res in app.resources("AWS::SES::ConfigurationSetEventDestination").values()
        for dest in [(res.get("Properties") or {}).get("EventDestination") or {}]
    )
    if not published:
        return []
    out = []
    for res in app.resources("AWS::Events::Rule").values():
        props = res.get("Properties") or {}
        if props.get("State", "ENABLED") != "ENABLED":
            continue
        if not matches(resolve(props.get("EventPattern") or {}, refs), envelope):
            continue
        for target in props.get("Targets") or []:
            queue = referenced(target.get("Arn"), "Arn")
            if queue and queue in app.resources("AWS::SQS::Queue"):
                out.append(queue)
    return out


def deliver(
    app: App,
    refs: dict[str, str],
    event: dict[str, Any],
    session: Any,
    endpoint: str | None = None,
) -> list[str]:
    """Send `event` (SES's) to every queue it reaches; the queues' logical ids."""
    envelope = eventbridge(event, session.region_name or "us-east-1")
    targets = destinations(app, refs, envelope)
    if not targets:
        kind = str(event["eventType"]).lower()
        raise LookupError(
            f"template.yaml sends no {kind} events of this configuration set to a queue"
        )
    sqs = session.client("sqs", endpoint_url=endpoint)
    for queue in targets:
        url = refs.get(queue)
        if not url:
            raise LookupError(f"no URL for {queue}")
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
    return targets

"""E-mail in the template: the configuration set, the identity and its parameters, the
notifier's mapping and failure path, and `ses:SendEmail` only where mail is sent."""

from __future__ import annotations

import json

import pytest

from local.template import App
from local.template import app as load_app


@pytest.fixture(scope="module")
def tpl() -> App:
    return load_app()


def test_identity_and_configuration_set_come_from_parameters(tpl: App) -> None:
    params = tpl.doc["Parameters"]
    assert {"SenderAddress", "SupportDomain", "NotificationQueueAddress", "PublicBaseUrl"} <= set(
        params
    )
    (identity,) = tpl.resources("AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == {"Ref": "SupportDomain"}
    (logical_id,) = tpl.resources("AWS::SES::ConfigurationSet")
    assert identity["Properties"]["ConfigurationSetAttributes"]["ConfigurationSetName"] == {
        "Ref": logical_id
    }
    props = tpl.resources("AWS::SES::ConfigurationSet")[logical_id]["Properties"]
    assert set(props["SuppressionOptions"]["SuppressedReasons"]) == {"BOUNCE", "COMPLAINT"}
    env = tpl.functions["ProcessChangesFunction"].environment
    assert env["SENDER_ADDRESS"] == {"Ref": "SenderAddress"}
    assert env["MAIL_CONFIGURATION_SET"] == {"Ref": logical_id}


def test_only_the_notifier_sends_and_only_from_the_identity_through_the_set(tpl: App) -> None:
    for name, fn in tpl.functions.items():
        ses = [s for s in fn.statements if any(str(a).startswith("ses:") for a in s["Action"])]
        if name == "AdminDeleteSuppressionFunction":  # SES's suppression list, nothing else
            assert ses == [
                {"Effect": "Allow", "Action": ["ses:DeleteSuppressedDestination"], "Resource": "*"}
            ]
            continue
        if name != "ProcessChangesFunction":
            assert not ses, name
            continue
        (grant,) = ses
        assert grant["Action"] == ["ses:SendEmail"] and grant["Effect"] == "Allow"
        resources = [r["Fn::Sub"] for r in grant["Resource"]]
        assert len(resources) == 2 and "*" not in json.dumps(resources)
        assert resources[0].endswith(":identity/${SupportDomain}")
        assert resources[1].endswith(":configuration-set/${MailConfigurationSet}")


def test_the_notifier_reads_feed_inserts_with_retries_a_failure_queue_and_alarms(
    tpl: App,
) -> None:
    fn = tpl.functions["ProcessChangesFunction"]
    (event,) = fn.properties["Events"].values()
    props = event["Properties"]
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    feed = {"eventName": ["INSERT"], "dynamodb": {"Keys": {"PK": {"S": ["FEED"]}}}}
    assert feed in patterns  # the other pattern: TTL removals (the purge)
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    queue = props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    alarms = tpl.resources("AWS::CloudWatch::Alarm")
    watched = {json.dumps(a["Properties"].get("Dimensions", [])) for a in alarms.values()}
    assert any(queue in w for w in watched)
    assert any("ProcessChangesFunction" in w for w in watched)
    # the one-click unsubscribe route works signed out
    route = tpl.functions["PublicUnsubscribeFunction"].properties["Events"]["Api"]["Properties"]
    assert route["Auth"] == {"Authorizer": "NONE"}


def test_bounces_and_complaints_reach_the_suppressing_function_and_nothing_is_lost(
    tpl: App,
) -> None:
    res = tpl.doc["Resources"]
    # the configuration set publishes its bounces and complaints to the default event bus
    (dest,) = tpl.resources("AWS::SES::ConfigurationSetEventDestination").values()
    props = dest["Properties"]
    assert props["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    event_dest = props["EventDestination"]
    assert set(event_dest["MatchingEventTypes"]) == {"bounce", "complaint"}
    assert event_dest["EventBridgeDestination"]["EventBusArn"]["Fn::Sub"].endswith(
        ":event-bus/default"
    )
    # one rule takes this stack's configuration set's (not another stack's in the account)
    rule = res["MailEventsRule"]["Properties"]
    assert rule["EventPattern"] == {
        "source": ["aws.ses"],
        "detail-type": ["Email Bounced", "Email Complaint Received"],
        "detail": {"mail": {"tags": {"ses:configuration-set": [{"Ref": "MailConfigurationSet"}]}}},
    }
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["MailEventsQueue", "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]}
    # the queue lets that rule send, and no one else
    statements = res["QueuesPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (events,) = [s for s in statements if s.get("Principal") == {"Service": "events.amazonaws.com"}]
    assert events["Action"] == "sqs:SendMessage"
    assert events["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["MailEventsRule", "Arn"]}}
    }
    # a message the function keeps failing ends in the alarmed dead-letter queue
    queue = res["MailEventsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    alarm = res["MailDeadLetterQueueDepthAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["MailDeadLetterQueue", "QueueName"]}}
    ]
    # the function reads that queue, reports failures per message, and may only put items
    fn = tpl.functions["ProcessMailEventsFunction"]
    (event,) = res["ProcessMailEventsFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["MailEventsQueue", "Arn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert [a for s in fn.statements for a in s["Action"]] == ["dynamodb:PutItem"]
    # (the visibility timeout covers six of the function's timeouts)
    assert (
        queue["VisibilityTimeout"] >= 6 * res["ProcessMailEventsFunction"]["Properties"]["Timeout"]
    )


def test_every_queue_requires_tls(tpl: App) -> None:
    policy = tpl.doc["Resources"]["QueuesPolicy"]["Properties"]
    queues = set(tpl.resources("AWS::SQS::Queue"))
    assert {q["Ref"] for q in policy["Queues"]} == queues
    (deny,) = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {r["Fn::GetAtt"][0] for r in deny["Resource"]} == queues

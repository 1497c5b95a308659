"""Mail in (issue 21) in the template: SES's receipt rule stores each message in the inbound
bucket (inbound/), whose notification feeds a queue with a dead-letter queue and an alarm;
the bucket and the queue let only SES and S3 in, for this stack's rule and bucket; the three
functions get what their work needs and no more."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import pytest

from local.template import ROOT, App, resolve
from local.template import app as load_app

TOOLS_PY = ROOT / ".venv-tools" / "bin" / "python"
PREFIX = "inbound/"
# what a deployment resolves the names with (the longest stage and region names S3 must take)
REFS = {
    "Stage": "prod",
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "111122223333",
}
RECEIVE = "ReceiveMailFunction"
LIST = "AdminListInboundFunction"
GET = "AdminGetInboundFunction"


@pytest.fixture(scope="module")
def tpl() -> App:
    return load_app()


def _res(tpl: App, logical_id: str) -> dict[str, Any]:
    res: dict[str, Any] = tpl.doc["Resources"][logical_id]
    return res


def _props(tpl: App, logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = _res(tpl, logical_id)["Properties"]
    return props


def _statements(tpl: App, policy: str) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = _props(tpl, policy)["PolicyDocument"]["Statement"]
    return statements


def _rule_arn(tpl: App, refs: dict[str, str]) -> str:
    """The receipt rule's ARN as SES sends it in aws:SourceArn (from the rule's own names)."""
    rule = _props(tpl, "InboundMailReceiptRule")
    set_name = resolve(_props(tpl, "InboundMailReceiptRuleSet")["RuleSetName"], refs)
    rule_name = resolve(rule["Rule"]["Name"], refs)
    return (
        f"arn:{refs['AWS::Partition']}:ses:{refs['AWS::Region']}:{refs['AWS::AccountId']}:"
        f"receipt-rule-set/{set_name}:receipt-rule/{rule_name}"
    )


def test_the_receipt_rule_set_holds_one_rule_storing_the_support_domains_mail(tpl: App) -> None:
    # Given the rule set and its rule
    (set_id,) = tpl.resources("AWS::SES::ReceiptRuleSet")
    assert set_id == "InboundMailReceiptRuleSet"
    assert resolve(_props(tpl, set_id)["RuleSetName"], REFS) == "helpdesk-prod-inbound"
    (rule_id,) = tpl.resources("AWS::SES::ReceiptRule")
    props = _props(tpl, rule_id)
    assert props["RuleSetName"] == {"Ref": set_id}
    rule = props["Rule"]
    # Then it takes every address of the support domain (support+<token>@ replies included),
    # scans for spam and viruses (the verdict headers), refuses mail sent without TLS
    assert rule["Recipients"] == [{"Ref": "SupportDomain"}]
    assert rule["Enabled"] is True
    assert rule["ScanEnabled"] is True
    assert rule["TlsPolicy"] == "Require"
    # and stores the message in the inbound bucket under inbound/, nothing else
    (action,) = rule["Actions"]
    assert set(action) == {"S3Action"}
    assert action["S3Action"]["BucketName"] == {"Ref": "InboundMailBucket"}
    assert action["S3Action"]["ObjectKeyPrefix"] == PREFIX
    assert not {"KmsKeyArn", "TopicArn"} & set(action["S3Action"])
    # created once SES may write there (it writes a test object when the rule is made)
    assert _res(tpl, rule_id)["DependsOn"] == "InboundMailBucketPolicy"
    # and the rule set is named in the outputs, to be activated (CloudFormation cannot)
    assert tpl.doc["Outputs"]["InboundMailReceiptRuleSetName"]["Value"] == {"Ref": set_id}


def test_the_inbound_bucket_is_private_encrypted_for_ses_and_kept(tpl: App) -> None:
    bucket = _res(tpl, "InboundMailBucket")
    props = bucket["Properties"]
    assert bucket["DeletionPolicy"] == "Retain" and bucket["UpdateReplacePolicy"] == "Retain"
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    # SSE-S3: SES's S3 action writes with it without a KMS grant
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    # raw messages are kept (staff open the original): nothing expires them
    assert "LifecycleConfiguration" not in props
    # an explicit name (the queue policy names it): a valid S3 name at the longest stage
    longest = REFS | {"Stage": "x" * 16, "AWS::Region": "ap-southeast-2"}
    name = resolve(props["BucketName"], longest)
    assert len(name) <= 63 and name == name.lower()
    assert resolve(props["BucketName"], REFS) == "helpdesk-prod-inbound-111122223333-eu-west-1"
    assert tpl.doc["Outputs"]["InboundMailBucketName"]["Value"] == {"Ref": "InboundMailBucket"}


def test_the_bucket_notifies_the_queue_of_objects_under_inbound_only(tpl: App) -> None:
    bucket = _res(tpl, "InboundMailBucket")
    notification = bucket["Properties"]["NotificationConfiguration"]
    assert set(notification) == {"QueueConfigurations"}
    (queue,) = notification["QueueConfigurations"]
    assert queue["Event"] == "s3:ObjectCreated:*"
    assert queue["Queue"] == {"Fn::GetAtt": ["InboundMailQueue", "Arn"]}
    # the prefix the receipt rule writes under (SES's setup test object aside, nothing else)
    (rule,) = queue["Filter"]["S3Key"]["Rules"]
    rule_action = _props(tpl, "InboundMailReceiptRule")["Rule"]["Actions"][0]["S3Action"]
    assert rule == {"Name": "prefix", "Value": rule_action["ObjectKeyPrefix"]}
    # S3 checks it may send when the notification is configured: the policy comes first
    assert bucket["DependsOn"] == "QueuesPolicy"


def test_the_bucket_policy_lets_only_this_stacks_receipt_rule_write_and_only_inbound(
    tpl: App,
) -> None:
    statements = _statements(tpl, "InboundMailBucketPolicy")
    assert _props(tpl, "InboundMailBucketPolicy")["Bucket"] == {"Ref": "InboundMailBucket"}
    deny = [s for s in statements if s["Effect"] == "Deny"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    # Then TLS is required of everyone
    (tls,) = deny
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert tls["Principal"] == "*" and tls["Action"] == "s3:*"
    # and SES may put objects under inbound/, nothing more
    assert allow["Principal"] == {"Service": "ses.amazonaws.com"}
    assert allow["Action"] in ("s3:PutObject", ["s3:PutObject"])
    assert allow["Resource"] == {"Fn::Sub": "${InboundMailBucket.Arn}/inbound/*"}
    # for this account's rule of this rule set (no other account's SES: the confused deputy)
    condition = resolve(allow["Condition"], REFS)
    assert condition == {
        "StringEquals": {
            "aws:SourceAccount": "111122223333",
            "aws:SourceArn": _rule_arn(tpl, REFS),
        }
    }


def test_the_queue_takes_only_the_inbound_buckets_notifications(tpl: App) -> None:
    statements = _statements(tpl, "QueuesPolicy")
    queues = _props(tpl, "QueuesPolicy")["Queues"]
    assert {"Ref": "InboundMailQueue"} in queues and {"Ref": "MailDeadLetterQueue"} in queues
    (tls,) = [s for s in statements if s["Effect"] == "Deny"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::GetAtt": ["InboundMailQueue", "Arn"]} in tls["Resource"]
    # the only grant on the inbound queue is S3's
    (allow,) = [
        s
        for s in statements
        if s["Effect"] == "Allow" and "InboundMailQueue" in json.dumps(s["Resource"])
    ]
    assert allow["Principal"] == {"Service": "s3.amazonaws.com"}
    assert allow["Action"] in ("sqs:SendMessage", ["sqs:SendMessage"])
    assert allow["Resource"] == {"Fn::GetAtt": ["InboundMailQueue", "Arn"]}
    # the bucket by the name it is given (a !Ref would close the bucket <-> policy cycle)
    bucket_name = resolve(_props(tpl, "InboundMailBucket")["BucketName"], REFS)
    assert resolve(allow["Condition"], REFS) == {
        "StringEquals": {"aws:SourceAccount": "111122223333"},
        "ArnEquals": {"aws:SourceArn": f"arn:aws:s3:::{bucket_name}"},
    }


def test_the_queue_redrives_to_an_alarmed_dead_letter_queue(tpl: App) -> None:
    queue = _props(tpl, "InboundMailQueue")
    dlq = _props(tpl, "MailDeadLetterQueue")
    fn = tpl.functions[RECEIVE]
    # a batch in flight never reappears while the function may still run (Lambda's 6x advice)
    assert int(queue["VisibilityTimeout"]) >= 6 * fn.timeout
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }
    assert queue["SqsManagedSseEnabled"] is True and dlq["SqsManagedSseEnabled"] is True
    assert int(dlq["MessageRetentionPeriod"]) == 14 * 86400
    alarm = _props(tpl, "MailDeadLetterQueueDepthAlarm")
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["MailDeadLetterQueue", "QueueName"]}}
    ]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert alarm["Threshold"] == {"Ref": "FailureQueueDepthThreshold"}
    assert tpl.doc["Outputs"]["MailDeadLetterQueueUrl"]["Value"] == {"Ref": "MailDeadLetterQueue"}
    # and the dashboard's alarm widget lists it
    body = _props(tpl, "Dashboard")["DashboardBody"]["Fn::Sub"][0]
    assert "${MailDeadLetterQueueDepthAlarm.Arn}" in body


def test_the_receiving_function_is_fed_by_the_queue_reporting_each_message(tpl: App) -> None:
    fn = tpl.functions[RECEIVE]
    assert not fn.routes
    ((_, event),) = fn.properties["Events"].items()
    assert event["Type"] == "SQS"
    props = event["Properties"]
    assert props["Queue"] == {"Fn::GetAtt": ["InboundMailQueue", "Arn"]}
    assert props["BatchSize"] == 10
    assert props["MaximumBatchingWindowInSeconds"] == 0
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert fn.timeout == 60
    env = fn.environment
    assert env["INBOUND_BUCKET"] == {"Ref": "InboundMailBucket"}
    assert env["BUCKET_NAME"] == {"Ref": "AttachmentsBucket"}
    assert env["SUPPORT_DOMAIN"] == {"Ref": "SupportDomain"}
    assert env["SENDER_ADDRESS"] == {"Ref": "SenderAddress"}
    assert env["CONSOLE_SIGNING_KEY_ID"] == {"Ref": "ConsoleSigningKey"}
    assert env["INBOUND_MAX_MESSAGE_BYTES"] == {"Ref": "InboundMaxMessageBytes"}
    assert env["INBOUND_NEW_TICKETS_PER_SENDER_PER_HOUR"] == {
        "Ref": "InboundNewTicketsPerSenderPerHour"
    }
    # a mail's files meet the uploads' own limits
    assert env["ATTACHMENT_MAX_BYTES"] == {"Ref": "AttachmentMaxBytes"}
    assert env["ATTACHMENT_ALLOWED_TYPES"] == {"Ref": "AttachmentAllowedTypes"}


def test_the_parameters_default_to_the_layers_defaults(tpl: App) -> None:
    from helpdesk.settings import InboundSettings

    params = tpl.doc["Parameters"]
    defaults = InboundSettings()
    size = params["InboundMaxMessageBytes"]
    assert size["Type"] == "Number"
    assert int(size["Default"]) == defaults.inbound_max_message_bytes == 10 * 1024 * 1024
    assert int(size["MaxValue"]) == 40 * 1024 * 1024  # what SES receives at most
    rate = params["InboundNewTicketsPerSenderPerHour"]
    assert rate["Type"] == "Number"
    assert int(rate["Default"]) == defaults.inbound_new_tickets_per_sender_per_hour == 5


def _table_actions(tpl: App, name: str) -> set[str]:
    return {a for a in tpl.functions[name].actions if a.startswith("dynamodb:")}


def test_the_receiving_function_may_do_what_opening_and_replying_may_and_no_more(
    tpl: App,
) -> None:
    # Given what opening a ticket and replying to one (customer or staff) are granted
    union = set().union(
        *(
            _table_actions(tpl, f)
            for f in ("CreateTicketFunction", "ReplyTicketFunction", "AdminReplyTicketFunction")
        )
    )
    fn = tpl.functions[RECEIVE]
    # Then mail gets no more on the table (test_least_privilege.py holds it to what its code
    # reaches: not the routes' DeleteItem), never a Scan
    assert _table_actions(tpl, RECEIVE) <= union
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"} <= fn.actions
    assert "dynamodb:Scan" not in fn.actions
    # the signing keys (to verify a reply's token) and no other secret
    (secret,) = [s for s in fn.statements if any("secretsmanager" in a for a in s["Action"])]
    assert secret["Action"] == ["secretsmanager:GetSecretValue"]
    assert secret["Resource"] == {"Ref": "ConsoleSigningKey"}
    # no mail sending (the acknowledgement is the notifier's) and no queue action of its own
    # (SAM grants the mapping's), nothing on the stream
    assert not {a for a in fn.actions if a.split(":")[0] in ("ses", "sqs", "sns", "lambda")}
    assert not {a for a in fn.actions if "Stream" in a or a == "dynamodb:GetRecords"}


def test_the_admin_routes_read_only_behind_the_default_authorizer(tpl: App) -> None:
    routes = {r.key: r for r in tpl.routes if r.path.startswith("/admin/inbound")}
    assert set(routes) == {"GET /admin/inbound", "GET /admin/inbound/{inbound_id}"}
    assert routes["GET /admin/inbound"].function == LIST
    assert routes["GET /admin/inbound/{inbound_id}"].function == GET
    default = tpl.doc["Resources"]["HttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"]
    for route in routes.values():
        assert route.authorizer == default, route.key
        event = tpl.doc["Resources"][route.function]["Properties"]["Events"]["Api"]
        assert "Auth" not in event["Properties"], route.key  # as the other /admin routes
    assert _table_actions(tpl, LIST) <= {"dynamodb:Query", "dynamodb:GetItem"}
    assert not {a for a in tpl.functions[LIST].actions if not a.startswith("dynamodb:")}
    assert "INBOUND_BUCKET" not in tpl.functions[LIST].environment
    assert _table_actions(tpl, GET) == {"dynamodb:GetItem"}
    s3 = [s for s in tpl.functions[GET].statements if any(a.startswith("s3:") for a in s["Action"])]
    assert s3 == [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": {"Fn::Sub": "${InboundMailBucket.Arn}/inbound/*"},
        }
    ]
    assert tpl.functions[GET].environment["INBOUND_BUCKET"] == {"Ref": "InboundMailBucket"}


def test_only_receiving_the_raw_message_link_erasure_and_purge_reach_the_inbound_bucket(
    tpl: App,
) -> None:
    readers, erasers = set(), set()
    raw = {"Fn::Sub": "${InboundMailBucket.Arn}/inbound/*"}
    for name, fn in tpl.functions.items():
        for stmt in fn.statements:
            resources = stmt.get("Resource")
            resources = resources if isinstance(resources, list) else [resources]
            for resource in resources:
                if "InboundMailBucket" not in json.dumps(resource):
                    continue
                if stmt["Action"] == ["s3:GetObject"]:
                    # SES writes the messages, nothing rewrites them
                    assert resource == raw, name
                    readers.add(name)
                else:
                    # erasure and the TTL purge delete every version of a raw message
                    assert stmt["Action"] in (["s3:ListBucketVersions"], ["s3:DeleteObjectVersion"])
                    assert resource in (raw, {"Fn::Sub": "${InboundMailBucket.Arn}"}), name
                    erasers.add(name)
    assert readers == {RECEIVE, GET}
    assert erasers == {"AdminEraseRequesterFunction", "ProcessChangesFunction"}


def test_the_new_functions_share_the_queue_functions_alarm_group(tpl: App) -> None:
    groups: dict[str, set[str]] = {}
    for alarm, res in tpl.resources("AWS::CloudWatch::Alarm").items():
        for metric in res["Properties"].get("Metrics", []):
            stat = metric.get("MetricStat", {}).get("Metric", {})
            if stat.get("MetricName") == "Errors" and stat.get("Namespace") == "AWS/Lambda":
                groups.setdefault(alarm, set()).add(stat["Dimensions"][0]["Value"]["Ref"])
    (group,) = [g for g in groups.values() if "DeliverWebhooksFunction" in g]
    assert {RECEIVE, LIST, GET} <= group


def test_sam_gives_the_mapping_its_alias_and_the_queue_permissions() -> None:
    if not TOOLS_PY.exists():
        if os.environ.get("CI"):
            pytest.fail("tools venv missing: `make test` installs it")
        pytest.skip("tools venv (.venv-tools) not installed; run `make test`")
    # Given the template as SAM expands it
    out = subprocess.run(
        [str(TOOLS_PY), "-m", "local.lint_template", "--expand"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    resources = json.loads(out.stdout)["Resources"]
    # Then the queue has one mapping, to the function's alias, reporting item failures
    (mapping,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["InboundMailQueue", "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Ref": "ReceiveMailFunctionAliaslive"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # and the role (stacks/roles.yaml) polls with the managed SQS execution policy
    # (receive, delete, queue attributes; as the webhook delivery's), while its own
    # statements hold no SQS action
    role = load_app().doc["Resources"]["ReceiveMailFunctionRole"]["Properties"]
    assert any(
        ":policy/service-role/AWSLambdaSQSQueueExecutionRole" in arn
        for arn in map(json.dumps, role["ManagedPolicyArns"])
    )
    inline = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    assert not [s for s in inline if any(str(a).startswith("sqs:") for a in s["Action"])]

"""Operations in the template: every failure has a path and a page, every alarm threshold
is a parameter, every function deploys behind an alias that CodeDeploy can roll back on the
alarms, and the dashboard shows every function (docs/design.md, "Operations")."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from functools import cache
from typing import Any

import pytest

from local.template import ROOT, App, conditions, resolve
from local.template import app as load_app

TOOLS_PY = ROOT / ".venv-tools" / "bin" / "python"
# Event sources Lambda polls and invokes synchronously (an event source mapping); any other
# non-HTTP source invokes asynchronously and would need a DLQ/on-failure destination.
STREAMS = {"DynamoDB", "Kinesis"}
QUEUES = {"SQS"}
# A rate rule's invocation carries nothing to lose (its event is the time): the next tick is
# the retry, so such a function needs no failure destination and takes no async retry (a
# retry would only run late); its errors page through its group's alarm (the SLA sweep).
SCHEDULES = {"Schedule"}
ALARM_LIMIT = 10  # metrics per metric-math alarm; alarms per CodeDeploy deployment group
# Function groups whose Errors alarm pages but is no rollback trigger: CodeDeploy takes at
# most 10 alarms (the API's two and eight groups). Their routes' failures roll back through
# the API's 5xx-rate alarm; a scheduled function's errors page (docs/design.md, section 9).
NOT_ROLLBACK_TRIGGERS = {"ViewsFunctionsErrorsAlarm", "SlaFunctionsErrorsAlarm"}
CANARY = "Canary10Percent5Minutes"


@pytest.fixture(scope="module")
def tpl() -> App:
    return load_app()


def _alarms(tpl: App) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in tpl.resources("AWS::CloudWatch::Alarm").items()}


def _events(tpl: App) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (name, ev["Type"], ev.get("Properties", {}))
        for name, res in tpl.resources("AWS::Serverless::Function").items()
        for ev in (res["Properties"].get("Events") or {}).values()
    ]


def _ref_target(value: Any) -> str:
    """The logical id a `!Ref X`, `!GetAtt X.Attr` or `!Ref X.Alias` names."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"]).split(".", 1)[0]
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    return ""


def _failure_queues(tpl: App) -> set[str]:
    """Every queue the template names as a dead-letter or on-failure target."""
    found: set[str] = set()
    for _, _, props in _events(tpl):
        found.add(
            _ref_target(props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"))
        )
    for queue in tpl.resources("AWS::SQS::Queue").values():
        redrive = queue["Properties"].get("RedrivePolicy") or {}
        found.add(_ref_target(redrive.get("deadLetterTargetArn")))
    for fn in tpl.functions.values():
        found.add(_ref_target((fn.properties.get("DeadLetterQueue") or {}).get("TargetArn")))
        on_failure = (fn.properties.get("EventInvokeConfig") or {}).get("DestinationConfig", {})
        found.add(_ref_target(on_failure.get("OnFailure", {}).get("Destination")))
    return found - {""}


def test_every_event_source_is_synchronous_or_has_a_failure_destination(tpl: App) -> None:
    # Given every function's event sources
    sources = _events(tpl)
    assert any(kind in STREAMS for _, kind, _ in sources), "the table stream's consumers are gone?"
    for name, kind, props in sources:
        if kind == "HttpApi":
            continue  # synchronous: the caller sees the error
        if kind in SCHEDULES:
            props_of_fn = tpl.resources("AWS::Serverless::Function")[name]["Properties"]
            assert props_of_fn["EventInvokeConfig"]["MaximumRetryAttempts"] == 0, name
            assert str(props["Schedule"]).startswith("rate("), name
            continue
        # Then a stream mapping reports per record, bisects, gives up within bounds and
        # sends what it gave up on to a failure queue (nothing dropped silently)
        assert kind in STREAMS | QUEUES, (
            f"{name}: {kind} invokes asynchronously; give it an on-failure destination and "
            "extend this test and the CKV_AWS_116 reason in .checkov.yaml"
        )
        assert props.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], name
        if kind in STREAMS:
            assert props.get("BisectBatchOnFunctionError") is True, name
            assert 0 <= int(props["MaximumRetryAttempts"]) <= 100, name
            assert 60 <= int(props["MaximumRecordAgeInSeconds"]) <= 86400, name
            on_failure = props["DestinationConfig"]["OnFailure"]
            assert on_failure["Type"] == "SQS", name
            assert _ref_target(on_failure["Destination"]) in tpl.resources("AWS::SQS::Queue")
        else:
            # an SQS source's failure path is its queue's redrive policy
            source = _ref_target(props["Queue"])
            queue = tpl.doc["Resources"][source]["Properties"]
            assert queue["RedrivePolicy"]["deadLetterTargetArn"], name


def test_no_stream_has_more_readers_than_dynamodb_streams_serves(tpl: App) -> None:
    # DynamoDB Streams serves at most two concurrent readers per shard; a third mapping is
    # throttled and falls behind. The consumers share one mapping (helpdesk.consumers).
    readers: dict[str, list[str]] = {}
    for name, kind, props in _events(tpl):
        if kind == "DynamoDB":
            readers.setdefault(_ref_target(props["Stream"]), []).append(name)
    assert {stream: sorted(names) for stream, names in readers.items()} == {
        "TicketsTable": ["IndexListsFunction", "ProcessChangesFunction"]
    }


def test_every_failure_queue_is_encrypted_and_has_an_alarm_that_pages(tpl: App) -> None:
    queues = _failure_queues(tpl)
    assert {"ChangeFailureQueue", "IndexFailureQueue"} <= queues
    watched = {
        _ref_target(dim["Value"]): props
        for props in _alarms(tpl).values()
        if props.get("Namespace") == "AWS/SQS"
        and props.get("MetricName") == "ApproximateNumberOfMessagesVisible"
        for dim in props["Dimensions"]
        if dim["Name"] == "QueueName"
    }
    for queue in queues:
        assert queue in watched, f"failure queue {queue} has no depth alarm"
        assert watched[queue]["AlarmActions"] == [{"Ref": "AlarmTopic"}], queue
        props = tpl.doc["Resources"][queue]["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId"), queue
    # and every queue in the template is a failure queue (or a source with its own)
    for queue in tpl.resources("AWS::SQS::Queue"):
        assert queue in queues or tpl.doc["Resources"][queue]["Properties"].get("RedrivePolicy")


def test_alarm_thresholds_are_parameters_and_every_alarm_notifies_the_topic(tpl: App) -> None:
    params = tpl.doc["Parameters"]
    alarms = _alarms(tpl)
    assert len(alarms) >= 10
    for name, props in alarms.items():
        threshold = props["Threshold"]
        assert isinstance(threshold, dict) and "Ref" in threshold, f"{name}: literal threshold"
        param = params[threshold["Ref"]]
        assert param["Type"] == "Number" and "Default" in param, name
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert props["TreatMissingData"] == "notBreaching", name
        metrics = [m for m in props.get("Metrics", []) if "MetricStat" in m]
        assert len(metrics) <= ALARM_LIMIT, f"{name}: a metric-math alarm takes at most 10"
        if props.get("Metrics"):
            assert sum(bool(m.get("ReturnData")) for m in props["Metrics"]) == 1, name


def test_the_alarm_email_subscription_is_optional(tpl: App) -> None:
    sub = tpl.doc["Resources"]["AlarmEmailSubscription"]
    assert sub["Condition"] == "HasAlarmEmail"
    assert tpl.doc["Parameters"]["AlarmEmail"]["Default"] == ""
    assert conditions(tpl.doc, {"AlarmEmail": ""})["Condition::HasAlarmEmail"] == "false"
    on = conditions(tpl.doc, {"AlarmEmail": "oncall@example.com"})
    assert on["Condition::HasAlarmEmail"] == "true"
    # CloudWatch can publish to the encrypted topic: its key lets the service in
    topic = tpl.doc["Resources"]["AlarmTopic"]["Properties"]
    key = tpl.doc["Resources"][_ref_target(topic["KmsMasterKeyId"])]["Properties"]
    services = [s["Principal"].get("Service") for s in key["KeyPolicy"]["Statement"]]
    assert "cloudwatch.amazonaws.com" in services


def _group_members(tpl: App, metric: str) -> Counter[str]:
    members: Counter[str] = Counter()
    for props in _alarms(tpl).values():
        for m in props.get("Metrics", []):
            stat = m.get("MetricStat", {}).get("Metric", {})
            if stat.get("Namespace") == "AWS/Lambda" and stat.get("MetricName") == metric:
                (dim,) = stat["Dimensions"]
                members[_ref_target(dim["Value"])] += 1
    return members


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_is_in_exactly_one_alarm_group(tpl: App, metric: str) -> None:
    # When a function is added, add it to one group's Errors and Throttles alarms and
    # to the same group's list in the dashboard (a group holds at most 10 functions)
    members = _group_members(tpl, metric)
    assert set(members) == set(tpl.functions), set(tpl.functions) ^ set(members)
    assert all(n == 1 for n in members.values()), [f for f, n in members.items() if n > 1]


def _dashboard(tpl: App) -> tuple[str, dict[str, Any]]:
    ((_, dash),) = tpl.resources("AWS::CloudWatch::Dashboard").items()
    body, variables = dash["Properties"]["DashboardBody"]["Fn::Sub"]
    return body, variables


def test_the_dashboard_shows_every_function_in_one_group_and_the_business_metrics(
    tpl: App,
) -> None:
    body, variables = _dashboard(tpl)
    seen: Counter[str] = Counter()
    for name, value in variables.items():
        assert f"${{{name}}}" in body, f"{name} is not used by the dashboard"
        separator, terms = value["Fn::Join"]
        assert separator == " OR "
        for term in terms:
            (fn,) = re.findall(r"\$\{(\w+)\}", term["Fn::Sub"])
            seen[fn] += 1
    assert set(seen) == set(tpl.functions) and set(seen.values()) == {1}
    # The same groups as the alarms: each group's functions share one Errors alarm
    errors_alarm_of = {
        _ref_target(m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]): alarm
        for alarm, props in _alarms(tpl).items()
        for m in props.get("Metrics", [])
        if m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "Errors"
        and m["MetricStat"]["Metric"]["Namespace"] == "AWS/Lambda"
    }
    for name, value in variables.items():
        fns = [re.findall(r"\$\{(\w+)\}", t["Fn::Sub"])[0] for t in value["Fn::Join"][1]]
        assert len({errors_alarm_of[f] for f in fns}) == 1, name
    # Then, substituted, the body is JSON CloudWatch accepts, with the business metrics
    text = re.sub(r"\$\{[^}]+\}", "x", body)
    doc = json.loads(text)
    metrics = json.dumps(doc)
    for name in ("TicketsCreated", "Replies", "FirstResponseSeconds", "RateLimited"):
        assert f'"Helpdesk", "{name}"' in metrics or f'MetricName=\\"{name}\\"' in metrics, name
    assert '"IdempotentReplays"' in metrics
    alarm_widget = next(w for w in doc["widgets"] if w["type"] == "alarm")
    assert len(alarm_widget["properties"]["alarms"]) == len(_alarms(tpl))


def _rollback_alarm_names(tpl: App) -> list[str]:
    refs = {"AWS::StackName": "helpdesk-prod"}
    prefs = tpl.doc["Globals"]["Function"]["DeploymentPreference"]
    return [resolve(a, refs) for a in prefs["Alarms"]]


def test_every_function_deploys_behind_an_alias_with_the_strategy_parameter(tpl: App) -> None:
    params = tpl.doc["Parameters"]
    assert params["DeploymentStrategy"]["Default"] == "AllAtOnce"
    assert CANARY in params["DeploymentStrategy"]["AllowedValues"]
    for name, fn in tpl.functions.items():
        assert fn.properties.get("AutoPublishAlias") == "live", name
        pref = fn.properties["DeploymentPreference"]
        assert pref["Type"] == {"Ref": "DeploymentStrategy"}, name


def test_rollback_triggers_are_the_api_and_function_error_alarms(tpl: App) -> None:
    refs = {"AWS::StackName": "helpdesk-prod"}
    names = _rollback_alarm_names(tpl)
    assert 0 < len(names) <= ALARM_LIMIT
    by_name = {resolve(p.get("AlarmName"), refs): k for k, p in _alarms(tpl).items()}
    triggers = {by_name[n] for n in names}  # KeyError: a trigger names no alarm
    errors_alarms = {
        k
        for k, p in _alarms(tpl).items()
        for m in p.get("Metrics", [])
        if m.get("MetricStat", {}).get("Metric", {}).get("MetricName") == "Errors"
    } - {"TableSystemErrorsAlarm"}
    # A group may watch its errors without rolling back on them: CodeDeploy takes 10 alarms,
    # all in use; its routes' failures roll back through the API's 5xx-rate alarm
    # (docs/design.md 9., "Alarms"). Such a group's alarm is not named (no trigger names it).
    not_triggers = {k for k in errors_alarms if "AlarmName" not in _alarms(tpl)[k]}
    assert not_triggers <= NOT_ROLLBACK_TRIGGERS, not_triggers
    assert {"ApiErrorRateAlarm", "ApiLatencyAlarm"} | (errors_alarms - not_triggers) == triggers


def test_prod_deploys_with_a_canary() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    prod = config["prod"]["deploy"]["parameters"]["parameter_overrides"]
    assert f"DeploymentStrategy={CANARY}" in prod
    dev = config["default"]["deploy"]["parameters"]["parameter_overrides"]
    assert "DeploymentStrategy" not in dev  # AllAtOnce, the default


def test_the_authorizer_and_its_permission_use_the_alias(tpl: App) -> None:
    ((_, api),) = tpl.resources("AWS::Serverless::HttpApi").items()
    (auth,) = api["Properties"]["Auth"]["Authorizers"].values()
    assert auth["FunctionArn"] == {"Ref": "AuthorizerFunction.Alias"}
    permission = tpl.doc["Resources"]["AuthorizerInvokePermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "AuthorizerFunction.Alias"}
    assert tpl.authorizers["BearerAuthorizer"].function == "AuthorizerFunction"


def test_snapstart_is_an_option_on_published_versions(tpl: App) -> None:
    assert tpl.doc["Parameters"]["SnapStart"]["Default"] == "false"
    snap = tpl.doc["Globals"]["Function"]["SnapStart"]["ApplyOn"]
    assert snap == {"Fn::If": ["UseSnapStart", "PublishedVersions", "None"]}
    for value, applied in (("true", "PublishedVersions"), ("false", "None")):
        refs = conditions(tpl.doc, {"SnapStart": value})
        assert resolve(snap, refs) == applied


def test_public_routes_are_throttled_harder_than_the_stage(tpl: App) -> None:
    ((_, api),) = tpl.resources("AWS::Serverless::HttpApi").items()
    props = api["Properties"]
    stage = props["DefaultRouteSettings"]
    public = {r.key for r in tpl.routes if r.path.startswith("/public/")}
    assert public and set(props["RouteSettings"]) == public
    params = tpl.doc["Parameters"]
    for key, limits in props["RouteSettings"].items():
        burst = int(params[limits["ThrottlingBurstLimit"]["Ref"]]["Default"])
        rate = int(params[limits["ThrottlingRateLimit"]["Ref"]]["Default"])
        assert 0 < burst < stage["ThrottlingBurstLimit"], key
        assert 0 < rate < stage["ThrottlingRateLimit"], key


def test_access_logs_carry_latencies_and_errors_with_the_request_id(tpl: App) -> None:
    ((_, api),) = tpl.resources("AWS::Serverless::HttpApi").items()
    line = json.loads(api["Properties"]["AccessLogSettings"]["Format"])
    assert line["requestId"] == "$context.requestId"  # what the functions log (request_id)
    values = set(line.values())
    for variable in (
        "$context.integration.latency",
        "$context.authorizer.latency",
        "$context.error.message",
        "$context.integrationErrorMessage",
        "$context.authorizer.error",
        "$context.integration.requestId",
    ):
        assert variable in values, variable


@cache
def _expanded(**parameters: str) -> dict[str, Any]:
    out = subprocess.run(
        [str(TOOLS_PY), "-m", "local.lint_template", "--expand"]
        + [f"{k}={v}" for k, v in parameters.items()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def test_with_a_canary_every_function_is_invoked_through_an_alias_codedeploy_shifts() -> None:
    if not TOOLS_PY.exists():
        if os.environ.get("CI"):
            pytest.fail("tools venv missing: `make test` installs it")
        pytest.skip("tools venv (.venv-tools) not installed; run `make test`")
    # Given the template expanded by SAM as `sam deploy --config-env prod` would
    resources = _expanded(DeploymentStrategy=CANARY)["Resources"]

    def of_type(type_: str) -> dict[str, Any]:
        return {k: v for k, v in resources.items() if v["Type"] == type_}

    functions = of_type("AWS::Lambda::Function")
    aliases = {
        v["Properties"]["FunctionName"]["Ref"]: (k, v)
        for k, v in of_type("AWS::Lambda::Alias").items()
    }
    groups = of_type("AWS::CodeDeploy::DeploymentGroup")
    # Then every function has a `live` alias whose updates CodeDeploy shifts with the canary
    assert set(aliases) == set(functions)
    for fn, (_, alias) in aliases.items():
        assert alias["Properties"]["Name"] == "live", fn
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        group = groups[update["DeploymentGroupName"]["Ref"]]["Properties"]
        config = group["DeploymentConfigName"]["Fn::Sub"]
        assert config[0].replace("${ConfigName}", config[1]["ConfigName"]) == (
            f"CodeDeployDefault.Lambda{CANARY}"
        ), fn
        # rolled back on the alarms
        assert group["AutoRollbackConfiguration"]["Enabled"] is True
        assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
        assert group["AlarmConfiguration"]["Enabled"] is True
        assert len(group["AlarmConfiguration"]["Alarms"]) >= 2
    # and everything that invokes a function invokes its alias: the routes, the
    # authorizer, the stream mapping and the permissions
    alias_ids = {k for k, _ in aliases.values()}
    text = json.dumps(resources["HttpApi"]["Properties"]["Body"])
    invoked = set(re.findall(r'"Ref": "(\w+)"', text)) & (set(functions) | alias_ids)
    assert invoked and invoked <= alias_ids, invoked - alias_ids
    for mapping in of_type("AWS::Lambda::EventSourceMapping").values():
        assert mapping["Properties"]["FunctionName"]["Ref"] in alias_ids
    for name, permission in of_type("AWS::Lambda::Permission").items():
        assert _ref_target(permission["Properties"]["FunctionName"]) in alias_ids, name

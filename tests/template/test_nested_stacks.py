"""The nested stacks (docs/design.md, "The 500-resource limit"): stacks/roles.yaml holds every
function's execution role (one per function, trusted by Lambda only, with what Lambda itself
needs for the function's event sources), stacks/monitoring.yaml the alarms and dashboard;
each gets exactly the parameters it declares, and every stack stays inside the limit."""

from __future__ import annotations

import json
import os
import tomllib
from typing import Any

import pytest

from local.template import NESTED, ROOT, load, referenced
from local.template import app as load_app
from tests.template.test_operations import CANARY, _expanded

TOOLS_PY = ROOT / ".venv-tools" / "bin" / "python"
ROLES = ROOT / "stacks" / "roles.yaml"
STACK_LIMIT = 500  # CloudFormation's resources per stack
BASIC = "service-role/AWSLambdaBasicExecutionRole"
SOURCE_POLICIES = {
    "SQS": "service-role/AWSLambdaSQSQueueExecutionRole",
    "DynamoDB": "service-role/AWSLambdaDynamoDBExecutionRole",
}


def _managed(role: dict[str, Any]) -> set[str]:
    return {
        json.dumps(arn).split(":policy/", 1)[1].rstrip('"}')
        for arn in role["Properties"]["ManagedPolicyArns"]
    }


def test_every_function_assumes_its_own_role_from_the_roles_stack() -> None:
    # Given the template as written and the roles stack
    parent = load()
    roles = load(ROLES)
    (app,) = [
        k
        for k, v in parent["Resources"].items()
        if v["Type"] == NESTED and v["Properties"]["Location"] == "stacks/roles.yaml"
    ]
    functions = {
        k: v for k, v in parent["Resources"].items() if v["Type"] == "AWS::Serverless::Function"
    }
    for name, fn in functions.items():
        props = fn["Properties"]
        # Then no function lets SAM make a role in the parent (no Policies), and each names
        # the roles stack's output for its own role
        assert "Policies" not in props, f"{name}: grants belong in stacks/roles.yaml"
        assert props["Role"] == {"Fn::GetAtt": [app, f"Outputs.{name}RoleArn"]}, name
        assert roles["Outputs"][f"{name}RoleArn"]["Value"] == {"Fn::GetAtt": [f"{name}Role", "Arn"]}
    # and the stack holds exactly those roles: none shared, none left over
    assert set(roles["Resources"]) == {f"{name}Role" for name in functions}
    assert set(roles["Outputs"]) == {f"{name}RoleArn" for name in functions}
    # and every parameter it takes is passed
    assert set(parent["Resources"][app]["Properties"]["Parameters"]) == set(roles["Parameters"])


def test_roles_trust_lambda_only_and_carry_what_their_event_sources_need() -> None:
    tpl = load_app()
    resources = tpl.doc["Resources"]
    for name, fn in tpl.functions.items():
        role = resources[f"{name}Role"]
        statement = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ], name
        events = (fn.properties.get("Events") or {}).values()
        sources = {e["Type"] for e in events if e["Type"] in SOURCE_POLICIES}
        # Then Lambda may write the function's logs, poll its stream or queue, and nothing
        # more is managed
        assert _managed(role) == {BASIC} | {SOURCE_POLICIES[s] for s in sources}, name
        # and a stream mapping's failure destination is the one extra grant, on that queue
        destinations = [
            e["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
            for e in events
            if "DestinationConfig" in e.get("Properties", {})
        ]
        extra = [
            p["PolicyDocument"]["Statement"]
            for p in role["Properties"].get("Policies", [])
            if p["PolicyName"] != "code"
        ]
        expected = [
            [{"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": d}] for d in destinations
        ]
        assert extra == expected, name
        assert {referenced(d) for d in destinations} <= set(resources)


def test_the_parent_stack_stays_inside_cloudformations_resource_limit() -> None:
    if not TOOLS_PY.exists():
        if os.environ.get("CI"):
            pytest.fail("tools venv missing: `make test` installs it")
        pytest.skip("tools venv (.venv-tools) not installed; run `make test`")
    # Given the parent template expanded by SAM as a canary deploy submits it
    resources = _expanded(DeploymentStrategy=CANARY)["Resources"]
    # Then it has no role of a function, and each stack is under the limit
    assert not [
        k
        for k, v in resources.items()
        if v["Type"] == "AWS::IAM::Role" and k != "CodeDeployServiceRole"
    ]
    assert len(resources) < STACK_LIMIT, len(resources)
    for stack in (ROOT / "stacks").glob("*.yaml"):
        assert len(load(stack)["Resources"]) < STACK_LIMIT, stack


def test_each_nested_stack_is_passed_exactly_the_parameters_it_declares() -> None:
    parent = load()
    apps = {k: v for k, v in parent["Resources"].items() if v["Type"] == NESTED}
    assert {v["Properties"]["Location"] for v in apps.values()} == {
        f"stacks/{p.name}" for p in (ROOT / "stacks").glob("*.yaml")
    }
    for name, res in apps.items():
        child = load(ROOT / res["Properties"]["Location"])
        passed = res["Properties"].get("Parameters", {})
        assert set(passed) == set(child.get("Parameters", {})), name
        # a parent parameter passed on keeps its type (a threshold stays a Number)
        for key, value in passed.items():
            source = value.get("Ref") if isinstance(value, dict) else None
            if source in parent["Parameters"]:
                declared = parent["Parameters"][source].get("Type", "String")
                assert child["Parameters"][key]["Type"] == declared, (name, key)


def test_every_deploy_may_create_the_nested_stack() -> None:
    # A nested application needs CAPABILITY_AUTO_EXPAND, its unnamed roles CAPABILITY_IAM
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for env, commands in config.items():
        if isinstance(commands, dict) and "deploy" in commands:
            capabilities = commands["deploy"]["parameters"]["capabilities"].split()
            assert {"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"} <= set(capabilities), env

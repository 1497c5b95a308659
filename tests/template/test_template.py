"""template.yaml is the single source of truth: every route has a function, a handler and an
event; every function has a route; policies are least privilege; the table is what the store
expects. cfn-lint runs on the template and on its SAM expansion."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from local.template import ROOT, App
from local.template import app as load_app

TOOLS_PY = ROOT / ".venv-tools" / "bin" / "python"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
NON_HTTP_FUNCTIONS = {
    "AuthorizerFunction",
    "IndexListsFunction",
    "ProcessChangesFunction",
    "DeliverWebhooksFunction",
    "ReceiveMailFunction",
    "ProcessMailEventsFunction",
    "SlaSweepFunction",
}
# actions IAM cannot scope to a resource (the service authorization reference lists no
# resource type for them): granted on "*", and only these
WILDCARD_ONLY_ACTIONS = {"ses:DeleteSuppressedDestination"}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "ANY"}
WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}


@pytest.fixture(scope="module")
def tpl() -> App:
    return load_app()


def test_cfn_lint_on_template_and_expansion() -> None:
    if not TOOLS_PY.exists():
        if os.environ.get("CI"):
            pytest.fail("tools venv missing: `make test` installs it")
        pytest.skip("tools venv (.venv-tools) not installed; run `make test`")
    # Given the template; When linted as written and as SAM expands it; Then nothing is reported.
    out = subprocess.run(
        [str(TOOLS_PY), "-m", "local.lint_template"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_checkov_passes_with_only_the_documented_skips() -> None:
    if not CHECKOV.exists():
        if os.environ.get("CI"):
            pytest.fail("checkov venv missing: `make test` installs it")
        pytest.skip("checkov (.venv-checkov) not installed; run `make test`")
    # Given the template and .checkov.yaml (each skip justified there); When scanned; Then clean.
    out = subprocess.run(
        [str(CHECKOV), "-f", "template.yaml"]
        + [a for t in sorted((ROOT / "stacks").glob("*.yaml")) for a in ("-f", str(t))]
        + ["--config-file", ".checkov.yaml", "-o", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(out.stdout)  # both files, one report
    failed = [(f["check_id"], f["resource"]) for f in report["results"]["failed_checks"]]
    assert failed == [], failed
    assert report["summary"]["passed"] > 40


def test_every_route_has_a_function_handler_and_event(tpl: App) -> None:
    assert tpl.routes, "no routes in template"
    for route in tpl.routes:
        assert route.method in METHODS, route
        fn = tpl.functions[route.function]
        module, attr = fn.handler.rsplit(".", 1)
        source = ROOT / fn.code_uri / f"{module}.py"
        assert source.exists(), f"{route.key}: {source} missing"
        names = {
            n.id
            for node in ast.walk(ast.parse(source.read_text()))
            if isinstance(node, ast.Assign)
            for n in node.targets
            if isinstance(n, ast.Name)
        }
        names |= {
            n.name for n in ast.parse(source.read_text()).body if isinstance(n, ast.FunctionDef)
        }
        assert attr in names, f"{source} defines no {attr}"
        event_file = ROOT / "events" / f"{Path(fn.code_uri).name}.json"
        assert event_file.exists(), f"{route.key}: {event_file} missing (python -m local.events)"
        event = json.loads(event_file.read_text())
        assert event["routeKey"] in {r.key for r in fn.routes}


def test_every_function_has_a_route_or_is_the_authorizer(tpl: App) -> None:
    for name, fn in tpl.functions.items():
        assert fn.routes or name in NON_HTTP_FUNCTIONS, f"{name} has no HttpApi route"
    authorizer_fns = {a.function for a in tpl.authorizers.values()}
    assert authorizer_fns <= set(tpl.functions)


def test_handler_routes_match_the_template(tpl: App) -> None:
    """The Powertools route in app.py is the template's route (method and path)."""
    for route in tpl.routes:
        if route.path == "$default":
            continue
        fn_dir = ROOT / tpl.functions[route.function].code_uri
        source = (fn_dir / "app.py").read_text()
        if route.html:
            # Starlette routes: the console (its `console` package) declares /app and its pages
            source = "".join(f.read_text() for f in sorted(fn_dir.rglob("*.py")))
            prefix = route.path.removesuffix("/{proxy+}")
            assert f'Route("{prefix}"' in source or f'Route("{prefix}/' in source, route.key
            continue
        declared = {
            (m.group(1).upper(), re.sub(r"<([^>]+)>", r"{\1}", m.group(2)))
            for m in re.finditer(r"@app\.(get|post|put|patch|delete)\(\s*\"([^\"]+)\"", source)
        }
        assert (route.method, route.path) in declared, (
            f"{route.key} not declared in app.py: {declared}"
        )


def test_only_public_routes_skip_the_authorizer(tpl: App) -> None:
    public = {r.key for r in tpl.routes if r.authorizer is None}
    for key in public:
        path = key.split(" ", 1)[-1]
        # the web console authenticates with its own signed session cookie
        assert key == "$default" or path.startswith(
            ("/public/", "/openapi.json", "/docs", "/app")
        ), key


@cache
def _layer_imports(module: str) -> frozenset[str]:
    """helpdesk.* modules reachable from `module` (static import graph)."""
    path = ROOT / "layers" / "shared" / (module.replace(".", "/") + ".py")
    found = {module}
    if not path.exists():
        return frozenset(found)
    # Module-level imports only: a lazy import inside a function that this route never
    # calls (e.g. the idempotency store behind `Operation.run`) is not a use.
    for node in ast.parse(path.read_text()).body:
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("helpdesk"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("helpdesk")]
        for name in names:
            if (
                ROOT / "layers" / "shared" / (name.replace(".", "/") + ".py")
            ).exists() and name not in found:
                found |= _layer_imports(name)
    return frozenset(found)


def _function_modules(fn_dir: Path) -> set[str]:
    """Layer modules app.py and the modules packaged with it (the console's) import."""
    mods: set[str] = set()
    for source in sorted(fn_dir.rglob("*.py")):
        for node in ast.parse(source.read_text()).body:
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("helpdesk")
            ):
                for name in [node.module] + [f"{node.module}.{a.name}" for a in node.names]:
                    mods |= _layer_imports(name)
    return mods


def _resource_text(stmt: dict[str, Any]) -> str:
    return json.dumps(stmt.get("Resource"))


def test_policies_are_least_privilege(tpl: App) -> None:
    for name, fn in tpl.functions.items():
        # every store module reaches the table through `store.codec` (the client)
        uses_table = "helpdesk.store.codec" in _function_modules(ROOT / fn.code_uri)
        statements = fn.statements
        table_actions = {a for s in statements for a in s["Action"] if a.startswith("dynamodb:")}
        for s in statements:
            assert s["Effect"] == "Allow"
            if s.get("Resource") in ("*", ["*"]):
                assert set(s["Action"]) <= WILDCARD_ONLY_ACTIONS, f"{name}: wildcard resource"
            assert (
                "*" not in s["Action"]
                and "dynamodb:*" not in s["Action"]
                and "s3:*" not in s["Action"]
            )
            if any(a.startswith("dynamodb:") for a in s["Action"]):
                assert "TicketsTable" in _resource_text(s), (
                    f"{name}: DynamoDB grant on another resource"
                )
        assert bool(table_actions) == uses_table, f"{name}: table access {table_actions} vs code"
        assert "dynamodb:Scan" not in table_actions, f"{name}: lists are Queries, never Scans"
        if fn.routes and all(r.method == "GET" for r in fn.routes) and name != "AuthorizerFunction":
            assert not (table_actions & WRITE_ACTIONS), f"{name}: read-only route with write access"


def test_table_is_what_the_store_expects(tpl: App) -> None:
    ((_, table),) = tpl.resources("AWS::DynamoDB::Table").items()
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["PK", "SK"]
    assert {g["IndexName"] for g in props["GlobalSecondaryIndexes"]} >= {"GSI1", "GSI2"}
    assert table.get("DeletionPolicy") == "Retain"


def test_globals_pin_runtime_and_architecture(tpl: App) -> None:
    g = tpl.doc["Globals"]["Function"]
    assert g["Runtime"] == "python3.13" and g["Architectures"] == ["arm64"]
    # No X-Ray: the SDK's import would break the cold-start budget (docs/design.md section 7)
    assert "Tracing" not in g
    functions = tpl.resources("AWS::Serverless::Function").values()
    assert all("Tracing" not in f["Properties"] for f in functions)
    layers = tpl.resources("AWS::Serverless::LayerVersion")
    assert all(r["Metadata"]["BuildMethod"] == "python3.13" for r in layers.values())

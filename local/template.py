"""Read template.yaml: the single source of truth for routes, functions, table and bucket.

Used by the local runner, the OpenAPI assembly and the template tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
CONSOLE_PREFIX = "/app"  # the web console's routes (functions/web_console)


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that understands CloudFormation's short tags (!Ref, !Sub, ...)."""


def _tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> Any:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    """One template file as written (what `sam build` and the linters read)."""
    with path.open() as fh:
        doc: dict[str, Any] = yaml.load(fh, Loader=_CfnLoader)  # a SafeLoader subclass
    return doc


NESTED = "AWS::Serverless::Application"


def _as_sub(value: Any) -> str:
    """A parameter value as `Fn::Sub` text: `!GetAtt A.B` -> `${A.B}`, `!Ref X` -> `${X}`."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if isinstance(value, dict) and "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    return str(value)


def _bind(value: Any, params: dict[str, Any]) -> Any:
    """A nested template's value with its parameters replaced by what the parent passes."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in params:
            return params[value["Ref"]]
        if set(value) == {"Fn::Sub"}:
            arg = value["Fn::Sub"]
            text = arg if isinstance(arg, str) else arg[0]
            text = re.sub(
                r"\$\{([^}!.]+)\}",
                lambda m: _as_sub(params[m.group(1)]) if m.group(1) in params else m.group(0),
                text,
            )
            return {"Fn::Sub": text if isinstance(arg, str) else [text, _bind(arg[1], params)]}
        return {k: _bind(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_bind(v, params) for v in value]
    return value


def merged(doc: dict[str, Any], base: Path = ROOT) -> dict[str, Any]:
    """The template with its nested stacks (`AWS::Serverless::Application` with a local
    `Location`: stacks/roles.yaml, stacks/monitoring.yaml) folded in: their resources and
    conditions bound to the parameters
    the parent passes, and `!GetAtt <App>.Outputs.<Name>` replaced by the output's value. The
    runner, the OpenAPI assembly and the template tests read this one logical template; the
    linters and `sam build` read the files (a stack's 500-resource limit is per file)."""
    out = dict(doc)
    resources = dict(doc["Resources"])
    outputs: dict[str, Any] = {}
    conditions_: dict[str, Any] = dict(doc.get("Conditions") or {})
    for app_id, res in doc["Resources"].items():
        location = res.get("Properties", {}).get("Location")
        if res["Type"] != NESTED or not isinstance(location, str) or "://" in location:
            continue
        child = load(base / location)
        params = res["Properties"].get("Parameters", {})
        for name, value in child.get("Resources", {}).items():
            if name in resources:
                raise ValueError(f"{location}: {name} is also a resource of the parent")
            resources[name] = _bind(value, params)
        for name, value in (child.get("Outputs") or {}).items():
            outputs[f"{app_id}.Outputs.{name}"] = _bind(value["Value"], params)
        for name, value in (child.get("Conditions") or {}).items():
            conditions_[name] = _bind(value, params)

    def fold(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Fn::GetAtt"} and ".".join(value["Fn::GetAtt"]) in outputs:
                return outputs[".".join(value["Fn::GetAtt"])]
            return {k: fold(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fold(v) for v in value]
        return value

    out["Resources"] = {name: fold(value) for name, value in resources.items()}
    out["Conditions"] = conditions_
    return out


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST, ..., ANY
    path: str  # /tickets/{ticket_id}, or $default
    function: str  # logical id
    authorizer: str | None  # authorizer name, None for public routes

    @property
    def html(self) -> bool:
        """A web console page (text/html, its own cookie sign-in), not a JSON API operation."""
        return self.path == CONSOLE_PREFIX or self.path.startswith(CONSOLE_PREFIX + "/")

    @property
    def key(self) -> str:
        return "$default" if self.path == "$default" else f"{self.method} {self.path}"

    def matcher(self) -> re.Pattern[str]:
        out = ""
        for part in re.split(r"(\{[^}]+\})", self.path):
            if part.startswith("{") and part.endswith("+}"):
                out += f"(?P<{part[1:-2]}>.+)"
            elif part.startswith("{"):
                out += f"(?P<{part[1:-1]}>[^/]+)"
            else:
                out += re.escape(part)
        return re.compile(f"^{out}$")

    @property
    def specificity(self) -> tuple[int, int, int]:
        greedy = self.path.count("+}")
        params = self.path.count("{")
        return (greedy, params, -len(self.path))


@dataclass
class Function:
    logical_id: str
    code_uri: str
    handler: str
    timeout: int
    memory: int
    environment: dict[str, Any]
    routes: list[Route] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def statements(self) -> list[dict[str, Any]]:
        """The IAM statements of what the function's code may call: its role's `code`
        policy (stacks/roles.yaml), or inline SAM `Policies` (SAM policy templates, which
        this template does not use, are not expanded)."""
        out: list[dict[str, Any]] = []
        for policy in self.properties.get("Policies") or []:
            if isinstance(policy, dict):
                out += policy.get("Statement", [])
        return out

    @property
    def actions(self) -> set[str]:
        """Every IAM action the function is granted (`dynamodb:GetItem`, `s3:PutObject`, ...)."""
        return {
            a
            for s in self.statements
            for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        }


@dataclass
class Authorizer:
    name: str
    function: str
    identity_headers: list[str]
    simple_responses: bool


@dataclass
class App:
    doc: dict[str, Any]
    functions: dict[str, Function]
    routes: list[Route]
    authorizers: dict[str, Authorizer]
    layer_dirs: list[str]

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.doc["Resources"].items() if v["Type"] == type_}


def _merge(globals_: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    out = dict(globals_)
    for key, value in props.items():
        if key == "Environment":
            g = globals_.get("Environment", {}).get("Variables", {})
            out["Environment"] = {"Variables": {**g, **value.get("Variables", {})}}
        else:
            out[key] = value
    return out


def event_time(at: datetime) -> str:
    """A time as AWS's event payloads print it (S3, SES, Lambda's failure records): UTC,
    milliseconds, `Z`."""
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def referenced(value: Any, attribute: str | None = None) -> str | None:
    """The logical id a property names: `!Ref X` or `!GetAtt X.<attribute>` (any attribute
    when `attribute` is None); None for anything else."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        name, attr = value["Fn::GetAtt"][0], value["Fn::GetAtt"][1]
        return str(name) if attribute is None or attr == attribute else None
    if isinstance(value, dict) and isinstance(value.get("Ref"), str) and attribute is None:
        return str(value["Ref"])
    return None


def _function_of(arn: Any) -> str:
    """The function logical id behind an ARN reference: `!GetAtt Fn.Arn` or SAM's alias
    reference `!Ref Fn.Alias` (AutoPublishAlias); "" for anything else."""
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        return str(arn["Fn::GetAtt"][0])
    if isinstance(arn, dict) and isinstance(arn.get("Ref"), str):
        return str(arn["Ref"]).split(".", 1)[0]
    return ""


def parse(doc: dict[str, Any]) -> App:
    resources: dict[str, dict[str, Any]] = doc["Resources"]
    fglobals = doc.get("Globals", {}).get("Function", {})
    functions: dict[str, Function] = {}
    routes: list[Route] = []
    authorizers: dict[str, Authorizer] = {}
    default_auth: dict[str, str | None] = {}
    for api_id, res in resources.items():
        if res["Type"] != "AWS::Serverless::HttpApi":
            continue
        auth = res.get("Properties", {}).get("Auth", {})
        default_auth[api_id] = auth.get("DefaultAuthorizer")
        for name, cfg in auth.get("Authorizers", {}).items():
            authorizers[name] = Authorizer(
                name=name,
                function=_function_of(cfg.get("FunctionArn", {})),
                identity_headers=[h.lower() for h in cfg.get("Identity", {}).get("Headers", [])],
                simple_responses=bool(cfg.get("EnableSimpleResponses")),
            )
    for logical_id, res in resources.items():
        if res["Type"] != "AWS::Serverless::Function":
            continue
        props = _merge(fglobals, res.get("Properties", {}))
        role = resources.get(referenced(props.get("Role"), "Arn") or "")
        if role is not None and role["Type"] == "AWS::IAM::Role":
            props["Policies"] = [
                p["PolicyDocument"]
                for p in role["Properties"].get("Policies", [])
                if p["PolicyName"] == "code"
            ]
        fn = Function(
            logical_id=logical_id,
            code_uri=str(props["CodeUri"]),
            handler=str(props.get("Handler", "app.lambda_handler")),
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            environment=props.get("Environment", {}).get("Variables", {}),
            properties=props,
        )
        for event in (res.get("Properties", {}).get("Events") or {}).values():
            if event.get("Type") != "HttpApi":
                continue
            ep = event.get("Properties", {})
            api = ep.get("ApiId", {}).get("Ref") if isinstance(ep.get("ApiId"), dict) else None
            auth_name = ep.get("Auth", {}).get("Authorizer", default_auth.get(api or "", None))
            route = Route(
                method=str(ep.get("Method", "ANY")).upper(),
                path=str(ep.get("Path", "$default")),
                function=logical_id,
                authorizer=None if auth_name in (None, "NONE") else auth_name,
            )
            fn.routes.append(route)
            routes.append(route)
        functions[logical_id] = fn
    layer_dirs = [
        str(r["Properties"]["ContentUri"])
        for r in resources.values()
        if r["Type"] == "AWS::Serverless::LayerVersion"
    ]
    routes.sort(key=lambda r: r.specificity)
    return App(doc, functions, routes, authorizers, layer_dirs)


@lru_cache(maxsize=1)
def app() -> App:
    return parse(merged(load()))


def resolve(value: Any, refs: dict[str, str]) -> Any:
    """Resolve !Ref / !Sub / !GetAtt against `refs` (logical id or parameter -> value)."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, arg),) = value.items()
        if name == "Ref":
            return refs.get(arg, "")
        if name == "Fn::GetAtt":
            return refs.get(".".join(arg), refs.get(arg[0], ""))
        if name == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(refs.get(m.group(1), "")), text)
        if name == "Fn::If":
            condition, if_true, if_false = arg
            chosen = if_true if refs.get(f"Condition::{condition}") == "true" else if_false
            return resolve(chosen, refs)
        if name.startswith("Fn::"):
            return ""
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, refs) for k, v in value.items()}
    return value


def conditions(doc: dict[str, Any], refs: dict[str, str]) -> dict[str, str]:
    """The template's Conditions evaluated against `refs`, as `Condition::<name>` refs
    ("true"/"false") for `resolve`'s `Fn::If` (Equals, Not, And, Or, Condition)."""
    defined = doc.get("Conditions") or {}

    def truth(expr: Any) -> bool:
        ((name, arg),) = expr.items()
        if name == "Fn::Equals":
            left, right = (resolve(a, refs) for a in arg)
            return str(left) == str(right)
        if name == "Fn::Not":
            return not truth(arg[0])
        if name == "Fn::And":
            return all(truth(a) for a in arg)
        if name == "Fn::Or":
            return any(truth(a) for a in arg)
        if name == "Condition":
            return truth(defined[arg])
        raise ValueError(f"unsupported condition function {name}")

    return {f"Condition::{name}": str(truth(expr)).lower() for name, expr in defined.items()}

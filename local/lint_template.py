"""Lint template.yaml: cfn-lint on the template and on its SAM-expanded form, and on each
nested stack it deploys from this repository (stacks/*.yaml).

cfn-lint alone accepts things the expansion exposes (a bad runtime, a !Ref to
a missing resource inside a policy), so we expand with samtranslator first.
Runs in the tools virtualenv (`make lint`, tests/template).
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from local.template import NESTED, ROOT, TEMPLATE, load

# cfn-lint rules we skip, with the reason (each must be justified here).
IGNORE_CHECKS = [
    # W3005: SAM adds DependsOn the linter finds redundant in the expanded output.
    "W3005",
    # W1020: SAM's own expansion emits Fn::Sub without variables (permission ARNs).
    "W1020",
]


def expand(doc: dict[str, Any], parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The CloudFormation template `sam deploy` would submit (code locations faked), with
    `parameters` as `--parameter-overrides` (SAM resolves some while transforming)."""
    from samtranslator.translator.transform import transform

    doc = copy.deepcopy(doc)
    for res in doc["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://bucket/{props[key].strip('/')}.zip"
        if res["Type"] == NESTED and "://" not in str(props.get("Location")):
            # `sam package` uploads a nested template and points at its S3 URL
            props["Location"] = f"https://bucket.s3.amazonaws.com/{props['Location']}"

    class _NoIam:
        """We name no managed policies by short name, so no IAM lookup is needed (offline)."""

        def load(self) -> dict[str, str]:
            return {}

    out: dict[str, Any] = transform(doc, parameters or {}, _NoIam())
    return out


# ... and on the expanded template only (the template as written is linted for them):
EXPANDED_IGNORE_CHECKS = [
    # W2001 "parameter not used": SAM resolves some parameters while transforming
    # (DeploymentPreference.Type from DeploymentStrategy), so the expansion no longer names
    # them; an unused parameter still fails the lint of the template as written.
    "W2001",
]


def lint(path: Path, ignore: list[str] | None = None) -> list[str]:
    from cfnlint.api import ManualArgs, lint_file

    checks = IGNORE_CHECKS + (ignore or [])
    matches = lint_file(path, config=ManualArgs(ignore_checks=checks, regions=["us-east-1"]))
    return [f"{m.rule.id} {m.message} ({m.filename}:{m.linenumber})" for m in matches]


# Parameter sets the expansion is linted with. SAM resolves only DeploymentStrategy while
# transforming (the rest stay !Ref/!If), so the defaults' expansion differs from prod's
# (samconfig.toml: a canary) in one deployment-config name: lint prod's, the larger case.
VARIANTS: dict[str, dict[str, str]] = {
    "canary": {"DeploymentStrategy": "Canary10Percent5Minutes"},
}


def nested_stacks(doc: dict[str, Any]) -> list[Path]:
    """The template files of the nested stacks `doc` deploys from this repository."""
    return [
        ROOT / str(r["Properties"]["Location"])
        for r in doc["Resources"].values()
        if r["Type"] == NESTED and "://" not in str(r["Properties"].get("Location"))
    ]


def main(argv: list[str]) -> int:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if argv[:1] == ["--expand"]:
        # `--expand Name=Value ...`: print the expansion (tests/template read it)
        params = dict(a.split("=", 1) for a in argv[1:])
        print(json.dumps(expand(load(), params)))
        return 0
    problems = [f"template: {p}" for p in lint(TEMPLATE)]
    for stack in nested_stacks(load()):
        problems += [f"{stack.relative_to(ROOT)}: {p}" for p in lint(stack)]
    with tempfile.TemporaryDirectory() as tmp:
        for name, params in VARIANTS.items():
            out = Path(tmp) / f"expanded-{name}.json"
            out.write_text(json.dumps(expand(load(), params), indent=1))
            problems += [f"expanded ({name}): {p}" for p in lint(out, EXPANDED_IGNORE_CHECKS)]
    for p in problems:
        print(p)
    print(f"lint_template: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
